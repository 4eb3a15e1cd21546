"""User text inside Streamlit markdown (titles, file names, error messages quoting a file).

Streamlit renders markdown in st.markdown, st.error, st.success and friends; a title or
cell value could otherwise add links, images, colour directives (``:red[...]``) or LaTeX.
"""
import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text) -> str:
    """``text`` with every markdown-special character backslash-escaped, so it shows literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
