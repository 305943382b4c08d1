"""Seq2seq classroom: `streamlit run app.py`. Page config and navigation only; pages live in ui/."""

import os

from s2s.fast.blas import one_blas_thread

# first, before streamlit loads numpy: OpenBLAS reads its thread count once, when it loads
os.environ.update(one_blas_thread())

import streamlit as st

from ui import keys, sidebar, style
from ui.i18n import t
from ui.pages import compare_page, lessons_page, train_page
from ui.widgets import resume_note

st.set_page_config(page_title="Seq2seq classroom", page_icon=":material/calculate:", layout="wide")
style.tidy_url()
style.apply()
train_page.resume_from_url()  # ?run= and ?race=: saved runs come back before any page draws (ui.persist)
compare_page.resume_from_url()
sidebar.render()
style.keep_in_url()  # ?lang=..&present=1 in every page's address
page = st.navigation([
    st.Page("app_pages/home.py", title=t("nav_try"), url_path="home", default=True, visibility="hidden"),
    st.Page("app_pages/try.py", title=t("nav_try"), icon=":material/chat:", url_path="try"),
    st.Page("app_pages/lessons.py", title=t("nav_lessons"), icon=":material/school:", url_path="lessons"),
    st.Page("app_pages/train.py", title=t("nav_train"), icon=":material/monitoring:", url_path="train"),
    st.Page("app_pages/inside.py", title=t("nav_inside"), icon=":material/neurology:", url_path="inside"),
    st.Page("app_pages/compare.py", title=t("nav_compare"), icon=":material/leaderboard:", url_path="compare"),
    st.Page("app_pages/errors.py", title=t("nav_errors"), icon=":material/rule:", url_path="errors"),
])
if style.presenting() and page.url_path != "lessons":
    lessons_page.banner()
for kind, key in (("train", keys.RESUMED), ("compare", keys.RESUMED_RACE)):
    if page.url_path not in ("", "home", kind):  # each page says it at its top; the default page forwards to Try
        resume_note(key, unseen_only=True)
page.run()
