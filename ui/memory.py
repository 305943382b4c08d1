"""Giving the memory of ended sessions back: garbage collection and trimming the C heap.

A session's models and data become garbage when Streamlit drops the session: at once when it is ended,
or after ``server.disconnectedSessionTTL`` when its tab was closed (kept for a reconnect). Automatic
collection after each script run is off (``runner.postScriptGC`` in .streamlit/config.toml), so they
are collected here, a moment after each of those two times, and the free heap is handed back to the
system (otherwise a server's resident memory stays at its peak).
"""

from __future__ import annotations

import gc
import threading
import time

import streamlit as st

from s2s.fast.libc import return_free_memory

RELEASE_DELAY = 2.0  # seconds after a session's release (or its time-to-live) before its memory is collected
TRIM_BUCKET = 5.0  # one collection per this many seconds is enough when a class leaves at once

_lock = threading.Lock()
_due: set[int] = set()  # the buckets (moments) a collection is already scheduled for


def collect_after_release() -> None:
    """A session was released: collect its memory once it is dropped (see the module docstring)."""
    ttl = float(st.get_option("server.disconnectedSessionTTL") or 0)
    for delay in (RELEASE_DELAY, ttl + RELEASE_DELAY):
        schedule_collection(delay)


def schedule_collection(delay: float) -> None:
    """Collect garbage and trim the C heap in `delay` seconds, unless a collection is already due then
    (a full collection holds the interpreter for tens of milliseconds: 40 tabs closing must not mean 80)."""
    bucket = int((time.monotonic() + delay) // TRIM_BUCKET) + 1
    with _lock:
        if bucket in _due:
            return
        _due.add(bucket)
    timer = threading.Timer(bucket * TRIM_BUCKET - time.monotonic(), _collect_and_trim, args=(bucket,))
    timer.daemon = True
    timer.start()


def _collect_and_trim(bucket: int | None = None) -> None:
    with _lock:
        _due.discard(bucket)
    if _drop_expired_sessions():
        time.sleep(0.5)  # for the event loop to drop them
    gc.collect()
    return_free_memory()


def _drop_expired_sessions() -> bool:
    """Streamlit forgets a closed tab's session once its time-to-live has passed, but only the next time
    its session store changes (the store reaps expired entries lazily), so after a class leaves their
    sessions may stay for hours. Asking the store for its size reaps them. This is Streamlit's private
    API (1.67), used on its event loop (the store is not thread-safe); False, and nothing done, if it is
    not there."""
    try:
        from streamlit.runtime import Runtime

        runtime = Runtime.instance()
        cache = runtime._session_mgr._session_storage._cache
        runtime._get_async_objs().eventloop.call_soon_threadsafe(len, cache)
    except Exception:  # another Streamlit, or no server (AppTest)
        return False
    return True
