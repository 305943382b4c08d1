"""The C library's heap and thread names, as the system sees them (glibc on Linux; elsewhere every
call does nothing and says so).

Speed: let the C heap keep a reserve, so that each training step's temporary arrays reuse memory.
A training step allocates and frees tens of megabytes of temporaries (gates, their derivatives, the
gradients of every time step). By default glibc gives freed memory at the top of the heap back to the
system and asks for it again on the next step, and every page that comes back costs a page fault and
zeroing. ``M_TOP_PAD`` makes the heap keep a reserve when it grows or shrinks (the gain per step:
benchmarks/README.md). The cost is up to that much resident memory per process, so processes that only
train (the command line, the worker processes) keep one; the app's server, which holds many sessions
in one process, does not.
"""

from __future__ import annotations

import ctypes
import sys

M_TOP_PAD = -2  # glibc's mallopt parameter number
RESERVE = 64 << 20


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def return_free_memory() -> bool:
    """Give the free memory of every heap arena back to the system (glibc's malloc_trim), e.g. after a
    session's training thread ended: otherwise a server's resident memory stays at its peak."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes, trim.restype = (ctypes.c_size_t,), ctypes.c_int
    trim(0)
    return True


def name_this_thread(name: str) -> bool:
    """Give the calling thread a system-level name (Linux: up to 15 bytes), which `top -H`, `ps -L` and
    /proc/<pid>/task/<tid>/comm show; the app's load benchmark counts training threads by it."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is None:
        return False
    PR_SET_NAME = 15
    return prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0) == 0


def keep_heap_reserve(nbytes: int = RESERVE) -> bool:
    """Ask glibc's malloc to keep `nbytes` of reserve at the top of the heap; False where that is
    not possible (another C library or system), which only costs speed."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(M_TOP_PAD, nbytes) == 1
