"""Draw a story `Step` with Streamlit: lead, figure, lists side by side, notes.

The report (`embedviz.viz.report`) writes the same `Step` objects to HTML. User text is
markdown-escaped here (titles can hold brackets, asterisks, colons...); tags are our own words.
"""
from __future__ import annotations

import streamlit as st

from embedviz.analysis.story_steps import Entry, Panel, Step
from embedviz.dashboard.safe import md

# Tag kind (`Entry.tag_kind`) -> badge colour.
_BADGE_COLOURS = {"good": "green", "fair": "blue", "other": "orange"}


def badge(entry: Entry) -> str:
    """A small coloured label for an entry's tag (brackets removed to keep the directive whole)."""
    if not entry.tag:
        return ""
    colour = _BADGE_COLOURS.get(entry.tag_kind, "gray")
    return f":{colour}-badge[{entry.tag.replace('[', '(').replace(']', ')')}]"


def entry_markdown(entry: Entry, because_label: str) -> str:
    """One list line: **title** · detail, a badge, and the titles behind it on the next line."""
    line = f"**{md(entry.title)}**"
    if entry.detail:
        line += f" · {md(entry.detail)}"
    if entry.tag:
        line += f" {badge(entry)}"
    if entry.because:
        line += f"  \n   _{md(because_label)}_ " + " and ".join(f"*{md(t)}*" for t in entry.because)
    return line


def panel_markdown(panel: Panel) -> str:
    lines = [f"{n}. {entry_markdown(e, panel.because_label)}" if panel.ordered
             else f"- {entry_markdown(e, panel.because_label)}" for n, e in enumerate(panel.entries, start=1)]
    return "\n".join(lines)


def draw_step(step: Step, *, figure_key: str | None = None, show_figure: bool = True, stacked: bool = False) -> None:
    """The step's words, figure and lists (the figure can be drawn by the caller instead).

    The lists sit side by side, or one under the other with ``stacked`` (in a narrow column)."""
    if step.lead:
        st.markdown(md(step.lead))
    if show_figure and step.figure is not None and step.figure_first:
        st.plotly_chart(step.figure, key=figure_key, config={"displaylogo": False})
    draw_panels(step, stacked)
    if show_figure and step.figure is not None and not step.figure_first:
        st.plotly_chart(step.figure, key=figure_key, config={"displaylogo": False})
    for note in step.notes:
        st.info(md(note), icon=":material/lightbulb:")


def draw_panels(step: Step, stacked: bool = False) -> None:
    if not step.panels:
        return
    columns = [st.container() for _ in step.panels] if stacked else st.columns(len(step.panels), gap="large")
    for column, panel in zip(columns, step.panels):
        with column:
            st.markdown(f"#### {md(panel.heading)}")
            st.markdown(panel_markdown(panel))
