"""Lessons: guided steps through chapters 7 and 8. Each step explains, asks the class a question, and
sets up the page it needs (settings, preset with a fixed seed, the question typed in). In presentation
mode (?present=1) fonts are larger and only the controls a step needs are shown."""

from __future__ import annotations

import streamlit as st

from ui.i18n import lang, t
from ui.lessons import LESSONS, Step
from ui.pages import train_page
from ui.state import set_compare, set_runner
from ui.style import presenting

PAGES = {"try": "app_pages/try.py", "train": "app_pages/train.py", "compare": "app_pages/compare.py",
         "inside": "app_pages/inside.py", "errors": "app_pages/errors.py"}


def set_up(step: Step, shipped: bool = False) -> None:
    """Put the step's settings in the session and open its page. `shipped`: the fallback when training
    runs late: open Try with the shipped pretrained model of the step's task."""
    ss = st.session_state
    ss["_lesson_now"] = step  # the other pages show its question while presenting
    if shipped:
        ss["task"], ss["model_source"] = step.task, "shipped"
        st.switch_page(PAGES["try"])
    if step.page == "train":
        set_runner(None)  # the step starts from a fresh model
        ss["train_task"], ss["train_preset"] = step.task, step.preset or "default"
        train_page.apply_preset()
        ss["train_seed"] = 0  # fixed seed: the class sees the curve the teacher rehearsed
    elif step.page == "compare":
        set_compare(None)
        ss["compare_task"] = step.task
        ss["compare_seed"] = 0
    else:
        ss["task"] = step.task
        ss.pop("model_source", None)  # the picker chooses the shipped model first
        if step.query:
            ss["query"] = step.query
    for key, value in step.extra.items():
        ss[key] = value
    st.switch_page(PAGES[step.page])


def render() -> None:
    """The Lessons page."""
    st.title(t("lessons_title"))
    if not presenting():
        st.caption(t("lessons_intro"))
    ss = st.session_state
    keys = list(LESSONS)
    if ss.get("lesson") not in keys:
        ss["lesson"] = keys[0]
    titles = {k: LESSONS[k].title[lang()] for k in keys}  # computed now: format_func may run outside the script
    choice = st.segmented_control(t("lesson"), keys, key="lesson", required=True, format_func=titles.get)
    lesson = LESSONS[choice]
    n = len(lesson.steps)
    k = ss.get(f"lesson_step_{lesson.key}", 0)
    k = min(max(k, 0), n - 1)
    step = lesson.steps[k]
    with st.container(key="lesson_step", border=True):
        st.subheader(step.title[lang()])
        st.markdown(step.text[lang()])
        st.info(f"**{t('lesson_ask')}** {step.ask[lang()]}", icon=":material/forum:")
        row = st.container(horizontal=True)
        # (switch_page works in the script's body, not in a button's callback)
        if row.button(t("lesson_set_up", page=t(f"nav_{step.page}")), key="lesson_go", type="primary",
                      icon=":material/play_arrow:",
                      help=t("lesson_set_up_help") if step.page in ("train", "compare") else None):
            set_up(step)
        if step.page == "train" and row.button(t("lesson_fallback"), key="lesson_fallback",
                                               icon=":material/inventory_2:", help=t("lesson_fallback_help")):
            set_up(step, shipped=True)
    nav = st.container(horizontal=True, vertical_alignment="center")
    nav.button(t("lesson_prev"), key="lesson_prev", icon=":material/arrow_back:", disabled=k == 0,
               on_click=_move, args=(lesson.key, k - 1))
    nav.markdown(t("lesson_progress", k=k + 1, n=n), width="content")
    nav.button(t("lesson_next"), key="lesson_next", icon=":material/arrow_forward:", disabled=k == n - 1,
               on_click=_move, args=(lesson.key, k + 1))
    if not presenting():
        with st.expander(t("lesson_all")):
            for i, s in enumerate(lesson.steps):
                st.markdown(f"{'**→**' if i == k else '&nbsp;&nbsp;&nbsp;'} {s.title[lang()]}")


def banner() -> None:
    """While presenting, above every other page: the way back to the lesson and the step's question."""
    step = st.session_state.get("_lesson_now")
    with st.container(key="lesson_banner", horizontal=True, vertical_alignment="center"):
        st.page_link("app_pages/lessons.py", label=t("lesson_back"), icon=":material/arrow_back:", width="content")
        if step is not None:
            st.markdown(f"**{step.title[lang()]}** · {t('lesson_ask')} {step.ask[lang()]}")


def _move(key: str, k: int) -> None:
    st.session_state[f"lesson_step_{key}"] = k
