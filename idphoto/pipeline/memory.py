"""Keep freed frame-sized buffers in the process's heap instead of handing them back to the kernel.

glibc serves an allocation above its mmap threshold (128 KB at start, raised on the fly up to 32 MB) with a mapping
of its own and unmaps it on free, and it trims free memory at the top of the heap; the next frame-sized array then
faults every 4 KB page in again. Each photo allocates dozens of such arrays (float32 RGBA warps, uint16 blends,
encoder buffers), and on the reference machine (a VM whose freed pages go back to the hypervisor) faulting them in
again cost more than the arithmetic: Stage B at 0.5 MP took 42 ms with glibc's defaults and 32 ms with these.

The price is resident memory: the heap keeps its high-water mark (up to ``TRIM_THRESHOLD`` of free space) instead of
shrinking between photos, which is what a process that renders photo after photo wants anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1            # mallopt parameter numbers (glibc malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024     # glibc's ceiling for this parameter on 64-bit
TRIM_THRESHOLD = 512 * 1024 * 1024
ENV_SWITCH = "IDPHOTO_KEEP_HEAP"      # "0" leaves glibc's defaults alone

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once). True when they are in force; False on a
    C library without ``mallopt`` (musl, macOS) or when IDPHOTO_KEEP_HEAP=0."""
    global _applied
    if _applied is None:
        _applied = os.environ.get(ENV_SWITCH, "1") != "0" and _mallopt()
    return _applied


def _mallopt() -> bool:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
