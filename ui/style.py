"""Page-wide style: less empty space at the top, so a 1280x720 projector shows the answer; and the
presentation mode (?present=1): larger type, no sidebar, a bar of links on every page (the lesson, each page,
the language). The language and the presentation mode live in the session and in the address (?lang=en&present=1)
of every page, so a typed, bookmarked or reloaded address keeps them."""

from __future__ import annotations

from urllib.parse import parse_qsl

import streamlit as st

from ui import keys
from ui.i18n import init_lang, lang

CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 2rem; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; }
/* section headings are h2 after the page's h1 (in order for a screen reader), at the size of the h3 they were */
h2 { font-size: 1.75rem !important; padding: 0.75rem 0 0.5rem !important; }
/* focus plainly visible (WCAG 1.4.11: >= 3:1 against the unfocused look) on links, buttons, inputs, select boxes;
   radios, toggles and checkboxes hide their input, so their label shows the ring */
:focus-visible { outline: 3px solid #111 !important; outline-offset: 2px; }
label:has(input:focus-visible) { outline: 3px solid #111; outline-offset: 2px; border-radius: 4px; }
[data-baseweb="select"]:has(input:focus-visible), [data-baseweb="input"]:has(input:focus-visible),
[data-baseweb="textarea"]:has(textarea:focus-visible) { outline: 3px solid #111; outline-offset: 2px; }
/* the example questions on Try and Inside: compact, but plainly buttons (a border at 4.5:1 on white and a grey
   fill); Streamlit's tertiary buttons are bare text */
.st-key-examples { column-gap: 0.4rem; row-gap: 0.3rem; }
.st-key-examples button { border: 1px solid #6B6F7B; background: #F0F2F6; border-radius: 0.4rem;
  padding: 0 0.4rem; min-height: 1.9rem; }
.st-key-examples button:hover { background: #E1E5EE; border-color: #31333F; }
/* tables of questions and beams (ui.widgets.html_table): their text wraps, so they fit a phone; narrower cells
   there, and a table with many columns (st-stack) becomes one block per row */
.st-table { border-collapse: collapse; font-size: 1rem; max-width: 100%; }
.st-table th, .st-table td { padding: 2px 12px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.st-table code { white-space: normal; }
.st-table.st-stack { width: 100%; }
.st-table.st-stack th, .st-table.st-stack td { padding: 2px 8px; }
.st-table .st-nowrap { white-space: nowrap; }
@media (max-width: 640px) {
  .st-table { font-size: 0.9rem; }
  .st-table th, .st-table td { padding: 2px 4px; }
  .st-table.st-stack, .st-stack tbody, .st-stack tr, .st-stack td { display: block; }
  .st-stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .st-stack tr { border-bottom: 1px solid #999; padding: 0.3rem 0; }
  .st-stack td { border: 0; padding: 1px 4px; }
  .st-stack td::before { content: attr(data-label) ": "; font-weight: 600; }
}
/* on a phone the Train page's status and five counters sit in a grid of three columns, two rows, not in a column
   of their own above the charts */
@media (max-width: 640px) {
  .st-key-train_counters { display: grid !important; grid-template-columns: repeat(3, minmax(0, 1fr));
    column-gap: 0.6rem; row-gap: 0.3rem; }
  .st-key-train_counters [data-testid="stMetricValue"] { font-size: 1.25rem !important; }
}
/* the Lessons page's chapter buttons wrap onto a second line on a phone (Streamlit scrolls a button group sideways,
   which hid the second chapter's title) */
.st-key-lesson [data-testid="stButtonGroup"] > div { flex-wrap: wrap; row-gap: 0.3rem; }
/* the element of the page's language script takes no room; a live region's element is out of the flow (no gap)
   but stays readable to a screen reader */
[data-testid="stElementContainer"]:has(.st-no-room) { display: none; }
[data-testid="stElementContainer"]:has(.st-sr-live) { position: absolute !important; width: 1px; height: 1px;
  overflow: hidden; clip-path: inset(50%); }
/* text for screen readers only (the live regions) */
.st-sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
</style>
"""

PRESENT_CSS = """
<style>
html { font-size: 125%; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {
  display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem; max-width: 100%; }
/* the bar of links above every page (lessons_page.banner): one row at 1280 px, both languages */
.st-key-present_nav { column-gap: 0.2rem; row-gap: 0.2rem; }
.st-key-present_nav [data-testid="stPageLink"] a { padding: 0.1rem 0.45rem; }
.st-key-present_nav [data-testid="stPageLink"] p, .st-key-present_nav button p { font-size: 0.85rem; }
.st-key-present_nav .st-key-lang_bar button { min-height: 2rem; padding: 0.1rem 0.45rem; }
</style>
"""


def tidy_url() -> None:
    """Mend an address someone extended by hand with a second '?' (`/lessons?lang=en?present=1`): Streamlit reads
    it as lang='en?present=1'; split it into lang=en and present=1. Run first, before anything reads the address.
    (Not the question ?q=, which may hold a '?'.)"""
    for key, value in list(st.query_params.items()):
        if key != "q" and "?" in value:
            value, rest = value.split("?", 1)
            st.query_params[key] = value
            for k, v in parse_qsl(rest.replace("?", "&"), keep_blank_values=True):
                if k not in st.query_params:
                    st.query_params[k] = v


def presenting() -> bool:
    """Whether this session is in presentation mode: ?present=1 turns it on, ?present=0 off (the address is read on
    every run: keep_in_url writes the session's mode into it, and the Lessons page's switch changes both)."""
    q = st.query_params.get("present")
    if q in ("0", "1"):
        st.session_state[keys.PRESENT] = q == "1"
    return bool(st.session_state.get(keys.PRESENT, False))


def set_presenting(on: bool) -> None:
    """Turn presentation mode on or off, in the session and in the address."""
    st.session_state[keys.PRESENT] = on
    if on:
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


def url_state() -> dict[str, str]:
    """The parameters every page's address keeps: the language, present=1 while presenting, and the tokens of the
    session's saved runs (ui.persist). Pass it to
    st.page_link / st.switch_page, which otherwise clear the address."""
    tokens = {param: st.session_state.get(key) for param, key in (("run", keys.RUN_TOKEN), ("race", keys.RACE_TOKEN))}
    return {"lang": lang(), **({"present": "1"} if presenting() else {}), **{k: v for k, v in tokens.items() if v}}


def keep_in_url() -> None:
    """Write url_state() into this page's address, keeping the page's own parameters (?task=...&q=...); only what
    differs is written. Run after the language switch, before the page."""
    changed = {key: value for key, value in url_state().items() if st.query_params.get(key) != value}
    if changed:
        st.query_params.update(changed)  # one message, one entry in the browser's history


def page_lang_script(code: str) -> str:
    """The script that sets `<html lang>` to the language code (Streamlit's index.html says "en" on every page,
    so a screen reader would read Japanese with an English voice)."""
    return f'<span class="st-no-room"></span><script>document.documentElement.lang={code!r};</script>'


def apply() -> None:
    """Inject the style and the page's language (once per run, so a switched language is set at once)."""
    init_lang()
    st.html(CSS + (PRESENT_CSS if presenting() else ""))  # style only: Streamlit gives it no room
    st.html(page_lang_script(lang()), unsafe_allow_javascript=True)  # re-run whenever the language changes
