"""Lessons: guided steps through chapters 7 and 8. Each step explains, asks the class a question, and
sets up the page it needs (settings, preset with a fixed seed, the question typed in). In presentation
mode (?present=1) fonts are larger and only the controls a step needs are shown; above every other page a
bar links back to the lesson, to each page and to the language (the sidebar is hidden). The chosen chapter
and step stay in the session (and in the Lessons page's address, ?lesson=ch8&step=3) across page changes."""

from __future__ import annotations

import streamlit as st

from ui import intervene_view, keys, widgets
from ui.i18n import lang, language_switch, t
from ui.lessons import LESSONS, Step
from ui.pages import compare_page, train_page
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
    st.session_state[keys.LESSON_NOW] = step  # the other pages show its question while presenting
    if shipped:
        widgets.set_up(step.task, source=f"shipped:{step.fallback}" if step.fallback else "shipped")
        st.switch_page(PAGES["try"], query_params=url_state())
    if step.page == "train":  # a fresh model, with a fixed seed: the class sees the curve the teacher rehearsed
        train_page.set_up(step.task, step.preset or "default", seed=0, history=step.history)
    elif step.page == "compare":
        compare_page.set_up(step.task, step.race, seed=0)  # a race that fits a lesson
    else:  # the picker chooses the shipped model first, unless the step looks at the model just trained
        widgets.set_up(step.task, source=step.source or None, query=step.query or None)
        if step.page == "inside":  # the step's intervention on, or none left from an earlier step
            intervene_view.set_up(step.intervention)
    st.switch_page(PAGES[step.page], query_params=url_state())  # (without query_params it clears the address)


def chosen() -> tuple[str, int]:
    """The chapter and step chosen on the Lessons page. Kept in the session outside the widgets (st.switch_page
    and page links drop a widget's state when its page is left); a new session takes them from the address
    (?lesson=ch8&step=3) once."""
    ss = st.session_state
    if not ss.get(keys.LESSON_FROM_URL):
        ss[keys.LESSON_FROM_URL] = True
        key, step = st.query_params.get("lesson"), st.query_params.get("step", "")
        if key in LESSONS:
            ss[keys.LESSON_CHOSEN] = key
            if step.isdigit():
                ss[keys.lesson_step(key)] = int(step) - 1
    key = ss.get(keys.LESSON_CHOSEN) if ss.get(keys.LESSON_CHOSEN) in LESSONS else next(iter(LESSONS))
    n = len(LESSONS[key].steps)
    return key, min(max(ss.get(keys.lesson_step(key), 0), 0), n - 1)


def render() -> None:
    """The Lessons page."""
    st.title(t("lessons_title"))
    if not presenting():
        st.caption(t("lessons_intro"))
    ss = st.session_state
    chapters = list(LESSONS)
    key, k = chosen()
    ss[keys.LESSON] = key  # the widget shows the kept choice (its own state is gone after a page change)
    titles = {c: LESSONS[c].title[lang()] for c in chapters}  # computed now: format_func may run outside the script
    top = st.container(horizontal=True, vertical_alignment="bottom", key="lesson_top")
    choice = top.segmented_control(t("lesson"), chapters, key=keys.LESSON, required=True, format_func=titles.get,
                                   on_change=_choose)
    top.space("stretch")
    if presenting():  # the sidebar, and its language switch, is hidden
        language_switch(where=top)
    ss[keys.PRESENT_MODE] = presenting()
    top.toggle(t("present_mode"), key=keys.PRESENT_MODE, help=t("present_mode_help"), on_change=_toggle_present)
    lesson = LESSONS[choice]
    n = len(lesson.steps)
    here = {"lesson": lesson.key, "step": str(k + 1)}  # in the address: a reload or a bookmark keeps them
    if any(st.query_params.get(name) != value for name, value in here.items()):
        st.query_params.update(here)
    step = lesson.steps[k]
    with st.container(key="lesson_step", border=True):
        st.header(step.title[lang()])
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
    # the button just pressed is never disabled by its own press (at the first or last step), or keyboard focus
    # would fall to the page; pressed again there, it does nothing
    pressed = ss.get(keys.pressed("lesson"))
    nav.button(t("lesson_prev"), key="lesson_prev", icon=":material/arrow_back:", disabled=k == 0 and pressed != "prev",
               on_click=_move, args=(lesson.key, k - 1, "prev"))
    nav.markdown(t("lesson_progress", k=k + 1, n=n) + (" · " + t("lesson_minutes_short", **minutes) if presenting()
                                                        else ""), width="content")
    nav.button(t("lesson_next"), key="lesson_next", icon=":material/arrow_forward:",
               disabled=k == n - 1 and pressed != "next", on_click=_move, args=(lesson.key, k + 1, "next"))
    if not presenting():
        with st.expander(t("lesson_all")):
            for i, s in enumerate(lesson.steps):
                st.markdown(f"{'**→**' if i == k else '&nbsp;&nbsp;&nbsp;'} {s.title[lang()]}")


def banner() -> None:
    """While presenting, above every other page (the sidebar is hidden): one row of links, back to the lesson and
    to each page, with the language switch; under it the step's question for the class. The links keep the session
    and put the language and present=1 in the next page's address."""
    step = st.session_state.get(keys.LESSON_NOW)
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
    st.session_state[keys.LESSON_CHOSEN] = st.session_state[keys.LESSON]


def _move(key: str, k: int, which: str) -> None:
    st.session_state[keys.pressed("lesson")] = which
    st.session_state[keys.lesson_step(key)] = min(max(k, 0), len(LESSONS[key].steps) - 1)


def _toggle_present() -> None:
    set_presenting(st.session_state[keys.PRESENT_MODE])
