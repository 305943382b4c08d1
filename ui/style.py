"""Page-wide style: less empty space at the top, so a 1280x720 projector shows the answer; and the
presentation mode (?present=1): larger type, no sidebar, a way back to the lesson on every page."""

import streamlit as st

CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; }
</style>
"""

PRESENT_CSS = """
<style>
html { font-size: 125%; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {
  display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem; max-width: 100%; }
</style>
"""


def presenting() -> bool:
    """Whether this session is in presentation mode (?present=1 turns it on, ?present=0 off)."""
    q = st.query_params.get("present")
    if q in ("0", "1"):
        st.session_state["_present"] = q == "1"
    return bool(st.session_state.get("_present", False))


def apply() -> None:
    """Inject the style (once per run)."""
    st.html(CSS + (PRESENT_CSS if presenting() else ""))
