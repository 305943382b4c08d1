"""Lessons: guided steps through chapters 7 and 8. Each step explains, asks the class a question, and
sets up the page it needs (settings, preset with a fixed seed, the question typed in). In presentation
mode (?present=1) fonts are larger and only the controls a step needs are shown; above every other page a
bar links back to the lesson, to each page and to the language (the sidebar is hidden). The chosen chapter
and step stay in the session (and in the Lessons page's address, ?lesson=ch8&step=3) across page changes."""

from __future__ import annotations

import streamlit as st

from ui.i18n import lang, language_switch, t
from ui.lessons import LESSONS, Step
from ui.pages import train_page
from ui.state import set_compare, set_runner
from ui.style import presenting, set_presenting, url_state

LESSONS_PAGE = "app_pages/lessons.py"
PAGES = {"try": "app_pages/try.py", "train": "app_pages/train.py", "inside": "app_pages/inside.py",
         "compare": "app_pages/compare.py", "errors": "app_pages/errors.py"}  # in the order of the navigation
ICONS = {"try": ":material/chat:", "train": ":material/monitoring:", "inside": ":material/neurology:",
         "compare": ":material/leaderboard:", "errors": ":material/rule:"}


def set_up(step: Step, shipped: bool = False) -> None:
    """Put the step's settings in the session and open its page. `shipped`: the fallback when training
    runs late: open Try with the shipped model trained the step's way (its accuracy is what the step
    would have shown), or else the task's shipped model."""
    ss = st.session_state
    ss["_lesson_now"] = step  # the other pages show its question while presenting
    if shipped:
        ss["task"], ss["model_source"] = step.task, f"shipped:{step.fallback}" if step.fallback else "shipped"
        st.switch_page(PAGES["try"], query_params=url_state())
    if step.page == "train":
        set_runner(None)  # the step starts from a fresh model
        ss["train_task"], ss["train_preset"] = step.task, step.preset or "default"
        train_page.apply_preset()
        ss["train_seed"] = 0  # fixed seed: the class sees the curve the teacher rehearsed
    elif step.page == "compare":
        set_compare(None)
        ss["compare_task"], ss["compare_race"] = step.task, "lesson"  # the race that fits a lesson
        ss["compare_seed"] = 0
    else:
        ss["task"] = step.task
        ss.pop("model_source", None)  # the picker chooses the shipped model first
        if step.query:
            ss["query"] = step.query
    for key, value in step.extra.items():
        ss[key] = value
    st.switch_page(PAGES[step.page], query_params=url_state())  # (without query_params it clears the address)


def chosen() -> tuple[str, int]:
    """The chapter and step chosen on the Lessons page. Kept in the session outside the widgets (st.switch_page
    and page links drop a widget's state when its page is left); a new session takes them from the address
    (?lesson=ch8&step=3) once."""
    ss = st.session_state
    if not ss.get("_lesson_from_url"):
        ss["_lesson_from_url"] = True
        key, step = st.query_params.get("lesson"), st.query_params.get("step", "")
        if key in LESSONS:
            ss["_lesson"] = key
            if step.isdigit():
                ss[f"lesson_step_{key}"] = int(step) - 1
    key = ss.get("_lesson") if ss.get("_lesson") in LESSONS else next(iter(LESSONS))
    n = len(LESSONS[key].steps)
    return key, min(max(ss.get(f"lesson_step_{key}", 0), 0), n - 1)


def render() -> None:
    """The Lessons page."""
    st.title(t("lessons_title"))
    if not presenting():
        st.caption(t("lessons_intro"))
    ss = st.session_state
    keys = list(LESSONS)
    key, k = chosen()
    ss["lesson"] = key  # the widget shows the kept choice (its own state is gone after a page change)
    titles = {c: LESSONS[c].title[lang()] for c in keys}  # computed now: format_func may run outside the script
    top = st.container(horizontal=True, vertical_alignment="bottom", key="lesson_top")
    choice = top.segmented_control(t("lesson"), keys, key="lesson", required=True, format_func=titles.get,
                                   on_change=_choose)
    top.space("stretch")
    if presenting():  # the sidebar, and its language switch, is hidden
        language_switch(where=top)
    ss["present_mode"] = presenting()
    top.toggle(t("present_mode"), key="present_mode", help=t("present_mode_help"), on_change=_toggle_present)
    lesson = LESSONS[choice]
    n = len(lesson.steps)
    here = {"lesson": lesson.key, "step": str(k + 1)}  # in the address: a reload or a bookmark keeps them
    if any(st.query_params.get(name) != value for name, value in here.items()):
        st.query_params.update(here)
    step = lesson.steps[k]
    with st.container(key="lesson_step", border=True):
        st.subheader(step.title[lang()])
        minutes = {"m": f"{step.minutes:g}", "total": f"{sum(s.minutes for s in lesson.steps):g}"}
        if not presenting():
            st.caption(t("lesson_minutes", **minutes))
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
    nav.markdown(t("lesson_progress", k=k + 1, n=n) + (" · " + t("lesson_minutes_short", **minutes) if presenting()
                                                        else ""), width="content")
    nav.button(t("lesson_next"), key="lesson_next", icon=":material/arrow_forward:", disabled=k == n - 1,
               on_click=_move, args=(lesson.key, k + 1))
    if not presenting():
        with st.expander(t("lesson_all")):
            for i, s in enumerate(lesson.steps):
                st.markdown(f"{'**→**' if i == k else '&nbsp;&nbsp;&nbsp;'} {s.title[lang()]}")


def banner() -> None:
    """While presenting, above every other page (the sidebar is hidden): one row of links, back to the lesson and
    to each page, with the language switch; under it the step's question for the class. The links keep the session
    and put the language and present=1 in the next page's address."""
    step = st.session_state.get("_lesson_now")
    with st.container(key="lesson_banner"):
        bar = st.container(key="present_nav", horizontal=True, vertical_alignment="center", gap="small")
        bar.page_link(LESSONS_PAGE, label=t("lesson_back"), icon=":material/arrow_back:", query_params=url_state())
        for name, path in PAGES.items():
            bar.page_link(path, label=t(f"nav_{name}"), icon=ICONS[name], query_params=url_state())
        bar.space("stretch")
        language_switch(where=bar)
        if step is not None:
            st.markdown(f"**{step.title[lang()]}** · {t('lesson_ask')} {step.ask[lang()]}")


def _choose() -> None:
    st.session_state["_lesson"] = st.session_state["lesson"]


def _move(key: str, k: int) -> None:
    st.session_state[f"lesson_step_{key}"] = k


def _toggle_present() -> None:
    set_presenting(st.session_state["present_mode"])
