"""Streamlit user interface: pages, chart builders, texts, and the per-session training runner."""
