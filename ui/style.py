"""Page-wide style: less empty space at the top, so a 1280x720 projector shows the answer."""

import streamlit as st

CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; }
</style>
"""


def apply() -> None:
    """Inject the style (once per run)."""
    st.html(CSS)
