"""Ask the C allocator to hand freed memory back to the system (glibc only).

glibc serves blocks under its mmap threshold from heaps it keeps after they are
freed, and it raises that threshold to the size of any block freed (up to
32 MB): after one visitor's upload is freed, the next visitor's arrays of the
same size come from a heap the server then holds for good. A fixed threshold
puts every block of 1 MiB or more in its own mapping, returned to the system
the moment it is freed, and two arenas keep the many session threads from each
growing a heap of their own. Both are mallopt(3) settings: measured with three
visitors uploading 49 MB files (the threshold then at 256 KiB), the server fell
back to 80 MB above idle after they left instead of 260 MB
(``benchmarks/abuse.py``). Smaller blocks come
back only from the top of a heap; ``give_back_free_pages`` asks glibc for the
free pages inside it too (malloc_trim(3)), when a visitor's results are freed.

A mapping's price is a page fault per 4 KiB the first time it is touched.
pandas' CSV parser allocates and frees buffers for every block it reads: at a
256 KiB threshold the Gram pass of 4·10⁶ CSV rows paid 550,000-650,000 faults
(175,000-210,000 at 1 MiB) and took 1.2-2.0x as long (five alternating runs).
With eight uploading visitors the server's memory after they left was the
same at both thresholds (+70-82 MB from idle, two runs each).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt(3) parameters, from glibc's <malloc.h>.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1024 * 1024
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def give_back_free_pages() -> bool:
    """Return the free pages inside glibc's heaps to the system (malloc_trim(0)).

    A few milliseconds on a server of 500 MB; measured after three uploading
    visitors left, it returned 10-22 MB that freed small blocks had left in the
    middle of the heaps. False where there is no glibc.
    """
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return bool(trim(0))


def return_freed_memory() -> bool:
    """Set glibc's mmap threshold and arena count; False where there is no glibc."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:  # not glibc (macOS, musl without mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_ARENA_MAX, ARENAS)
    )
