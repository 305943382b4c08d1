"""The sidebar of every page: language switch, and the session's training status while it runs
(the status poll also tells the idle watchdog that someone is still watching)."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui.background import poll_interval
from ui.i18n import language_switch, t
from ui.state import get_runner


def render() -> None:
    """Language switch and live training status."""
    language_switch()
    st.sidebar.caption(t("sidebar_about"))
    runner = get_runner()
    running = runner is not None and runner.status == "running"

    @st.fragment(run_every=poll_interval(2.0, longest=30.0) if running else None)  # < IDLE_PAUSE
    def status() -> None:
        r = get_runner()
        if r is None:
            return
        snap = r.snapshot()
        acc = f" · {snap.evals[-1, 2]:.1%}" if len(snap.evals) else ""
        # a model loaded from a file and not trained here yet has no epoch of this session to tell
        loaded = st.session_state.get(keys.LOADED) is not None and snap.iteration == 0
        epoch = f" · {t('loaded_title').rstrip(':：')}" if loaded else f" · {t('epoch')} {snap.epoch:.2f}"
        st.caption(f"{t(f'status_{snap.status}')}{epoch}{acc}")

    with st.sidebar:
        status()
