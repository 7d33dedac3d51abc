"""`recipe.release_freed_memory`: heap memory freed in holes goes back to the system."""

from __future__ import annotations

import ctypes
import sys

import pytest

from pipelines.recipe import release_freed_memory

BLOCK = 4096
BLOCKS = 50_000  # about 200 MB


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_memory_freed_below_a_live_block_goes_back_to_the_system() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)  # resident, not just reserved
    fence = libc.malloc(BLOCK)  # keeps the heap's top in use: free() alone cannot shrink it
    for block in blocks:
        libc.free(block)
    held = resident_mb()
    release_freed_memory()
    released = held - resident_mb()
    libc.free(fence)
    assert released > 0.8 * BLOCK * BLOCKS / 2**20, f"only {released:.0f} MB went back"
