"""Run a generated script in a process forked from one that has imported torch.

Importing torch costs about 2.5 s a process; every PyTorch script test paid it.
A forkserver imports torch once and forks a fresh child per script, which then
runs the script as ``python script.py`` would (its own folder, ``__main__``).
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import runpy


def run_in_folder(folder: str, out: str) -> None:
    """In the child: run ``folder/script.py`` as ``__main__``, printing into ``out``."""
    os.chdir(folder)
    with open(out, "w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        runpy.run_path("script.py", run_name="__main__")


@functools.cache
def torch_processes() -> multiprocessing.context.BaseContext:
    """A forkserver context whose server has imported torch (started on first use)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "tests.script_runner"])
    return context


def run_torch_script(folder: str, timeout: float = 60) -> tuple[int, str]:
    """Exit code and printed text of ``folder/script.py`` run in a torch child."""
    out = os.path.join(folder, "printed.txt")
    child = torch_processes().Process(target=run_in_folder, args=(folder, out))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
    with open(out, encoding="utf-8") as handle:
        return child.exitcode, handle.read()
