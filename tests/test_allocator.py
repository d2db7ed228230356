"""The server hands freed memory back to the system (glibc's mallopt and malloc_trim)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's allocator only"
)


def measured(body: str) -> float:
    """What ``body`` prints, run in a fresh interpreter with the server's
    settings made and ``rss_mb()`` (the process's resident MB) defined."""
    prelude = """
        from gddash import allocator

        def rss_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

        allocator.return_freed_memory()
        """
    script = textwrap.dedent(prelude) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def test_freed_blocks_at_the_threshold_go_back_among_blocks_kept_alive():
    # Without the setting, freeing one such block raises glibc's threshold above
    # it, and the next ones come from a heap that cannot shrink past a live block.
    kept_blocks = measured(
        """
        size = allocator.MMAP_THRESHOLD
        first = bytearray(size)
        del first
        before = rss_mb()
        blocks = [bytearray(size) for _ in range(100)]
        kept = blocks[9::10]
        del blocks
        print((rss_mb() - before) / (size / 2**20))
        """
    )
    assert kept_blocks < 20  # the 10 kept blocks, not the 100 made


def test_free_pages_inside_the_heap_go_back_to_the_system():
    # Small blocks (over pymalloc's 512 bytes, so glibc's) freed with every 64th
    # kept alive leave the heap full of free pages that glibc cannot return from
    # the top: malloc_trim(0) returns them.
    returned_mb = measured(
        """
        blocks = [bytearray(1000) for _ in range(250_000)]
        kept = blocks[::64]
        del blocks
        before = rss_mb()
        assert allocator.give_back_free_pages()
        print(before - rss_mb())
        """
    )
    assert returned_mb > 100  # of the ~250 MB freed, most comes back
