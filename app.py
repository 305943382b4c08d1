"""Seq2seq classroom: `streamlit run app.py`. Page config and navigation only; pages live in ui/."""

import streamlit as st

from ui import sidebar
from ui.i18n import t

st.set_page_config(page_title="Seq2seq classroom", page_icon="🔢", layout="wide")
sidebar.render()
st.navigation([
    st.Page("app_pages/try.py", title=t("nav_try"), icon="💬", url_path="try", default=True),
    st.Page("app_pages/train.py", title=t("nav_train"), icon="📈", url_path="train"),
]).run()
