"""The Streamlit side of embedviz: session state, cached calls, background jobs, shared sidebar.

This is the only part of the package that imports streamlit.
"""
