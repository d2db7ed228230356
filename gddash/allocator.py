"""Ask the C allocator to hand freed memory back to the system (glibc only).

glibc serves blocks under its mmap threshold from heaps it keeps after they are
freed, and it raises that threshold to the size of any block freed (up to
32 MB): after one visitor's upload is freed, the next visitor's arrays of the
same size come from a heap the server then holds for good. A fixed threshold
puts every block of 256 KiB or more in its own mapping, returned to the system
the moment it is freed, and two arenas keep the many session threads from each
growing a heap of their own. Both are mallopt(3) settings: measured with three
visitors uploading 49 MB files, the server fell back to 80 MB above idle after
they left instead of 260 MB (``benchmarks/abuse.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt(3) parameters, from glibc's <malloc.h>.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024
ARENAS = 2


def return_freed_memory() -> bool:
    """Set glibc's mmap threshold and arena count; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl without mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_ARENA_MAX, ARENAS)
    )
