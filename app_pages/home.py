"""The root URL: forwards to /try, keeping the query string (?task=...&q=...)."""

import streamlit as st

st.switch_page("app_pages/try.py", query_params=st.query_params.to_dict())
