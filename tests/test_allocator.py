"""The server hands freed memory back to the system (glibc's mallopt and malloc_trim)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's allocator only"
)


def test_free_pages_inside_the_heap_go_back_to_the_system():
    # Small blocks (over pymalloc's 512 bytes, so glibc's) freed with every 64th kept alive leave the heap full of free
    # pages that glibc cannot return from the top: malloc_trim(0) returns them.
    script = textwrap.dedent(
        """
        from gddash import allocator

        def rss_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

        allocator.return_freed_memory()
        blocks = [bytearray(1000) for _ in range(250_000)]
        kept = blocks[::64]
        del blocks
        before = rss_mb()
        assert allocator.give_back_free_pages()
        print(before - rss_mb())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert float(done.stdout) > 100  # of the ~250 MB freed, most comes back
