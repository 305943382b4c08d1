"""Giving the memory of ended sessions back (ui/memory.py): collections are batched when a class leaves."""

from __future__ import annotations

import time

from waiting import wait_until

from ui import memory


def test_a_class_leaving_at_once_triggers_one_collection_per_moment(monkeypatch):
    """Each closed tab asks for its memory to be collected (after the session's time-to-live); forty
    asking within the same few seconds get one collection, not forty."""
    calls = []
    monkeypatch.setattr(memory, "TRIM_BUCKET", 0.3)
    monkeypatch.setattr(memory, "return_free_memory", lambda: calls.append(time.monotonic()))
    for _ in range(40):
        memory.schedule_collection(0.0)
    assert wait_until(lambda: calls)
    time.sleep(0.5)
    assert len(calls) == 1
    memory.schedule_collection(0.0)  # later, another moment
    assert wait_until(lambda: len(calls) == 2)


def test_without_a_server_no_session_store_is_touched():
    assert memory._drop_expired_sessions() is False  # no Streamlit runtime in this process
