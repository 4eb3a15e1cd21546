"""The demo as one self-contained HTML file a stakeholder can keep, open offline and forward.

`story_report` is a pure function: the story's steps (the same `Step` objects the page draws)
in, one HTML string out. Plotly's JavaScript is inlined once and every chart is drawn as SVG
(no graphics card needed, prints well), so the file makes no network request at all. All user
text is HTML-escaped; figures come from `embedviz.viz` builders, which escape their labels.
"""
from __future__ import annotations

import functools
import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from embedviz.analysis.story_steps import Entry, Panel, Step

# Points per chart in the report: enough for the map's shape, bounded file size on huge catalogues.
MAX_POINTS = 12_000
SIZE_MARK = "\x00size\x00"

_CSS = """
:root { --ink: #212529; --muted: #495057; --line: #dee2e6; --accent: #4c6ef5; --soft: #f1f3f5; }
* { box-sizing: border-box; }
body { margin: 0; font: 18px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 32px 24px 64px; }
header h1 { font-size: 2.2rem; margin: 0 0 4px; }
header p { color: var(--muted); margin: 0 0 4px; }
nav ol { display: flex; flex-wrap: wrap; gap: 8px 20px; padding: 0; list-style: none; margin: 20px 0 8px; }
nav a { color: var(--accent); text-decoration: none; font-weight: 600; }
section { border-top: 1px solid var(--line); padding-top: 24px; margin-top: 32px; }
section h2 { font-size: 1.7rem; margin: 0 0 8px; }
section h2 small { display: block; font-size: 0.9rem; color: var(--muted); font-weight: 600;
                   text-transform: uppercase; letter-spacing: 0.06em; }
.lead { font-size: 1.15rem; }
.figure { margin: 12px 0; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 20px 32px; }
.panel h3 { font-size: 1.15rem; margin: 12px 0 6px; }
.panel ol, .panel ul { margin: 0; padding-left: 1.6em; }
.panel li { margin: 0 0 8px; }
.title { font-weight: 650; }
.detail { color: var(--muted); }
.because { display: block; color: var(--muted); font-size: 0.95rem; }
.tag { display: inline-block; font-size: 0.8rem; font-weight: 600; padding: 0 8px; border-radius: 10px;
       background: var(--soft); color: var(--muted); margin-left: 6px; }
.tag.good { background: #ebfbee; color: #2b8a3e; }
.tag.fair { background: #edf2ff; color: #364fc7; }
.tag.other { background: #fff4e6; color: #d9480f; }
.note { background: #edf2ff; border-left: 4px solid var(--accent); padding: 12px 16px; margin: 16px 0;
        border-radius: 4px; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.9rem; }
@media print { section { break-before: page; } nav { display: none; } }
"""


@functools.cache
def plotly_js() -> str:
    """Plotly's JavaScript bundle, read once per process (about 4.6 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def story_report(steps: Sequence[Step], *, title: str, subtitle: str = "", created: str = "",
                 javascript: str | None = None) -> str:
    """One self-contained HTML page holding the story's steps.

    Parameters
    ----------
    steps : sequence of Step
        As built by `embedviz.analysis.story_steps` (and shown on the story page).
    title, subtitle, created : str
        Plain text for the header and footer (escaped here).
    javascript : str, optional
        Plotly's bundle; read from the installed plotly when omitted (tests pass a stub).

    Returns
    -------
    str
        The document. Its size is written into the footer.
    """
    script = (plotly_js() if javascript is None else javascript).replace("</script", "<\\/script")
    body = "\n".join(_section(step) for step in steps)
    contents = "".join(f'<li><a href="#step-{s.number}">{s.number}. {_e(s.title)}</a></li>' for s in steps)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style>"
        f"<script>{script}</script></head><body><main>"
        f"<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header>"
        f"<nav><ol>{contents}</ol></nav>{body}"
        f"<footer>{_e(created)} · One file ({SIZE_MARK}) that opens in any browser without an internet "
        "connection. Made with embedviz.</footer></main></body></html>")
    size = len(page.encode("utf-8"))
    return page.replace(SIZE_MARK, f"{size / 1e6:.1f} MB")


def _e(text) -> str:
    return html.escape(str(text))


def _section(step: Step) -> str:
    parts = [f'<section id="step-{step.number}" data-step="{step.number}">',
             f"<h2><small>Step {step.number}</small>{_e(step.title)}</h2>",
             f'<p class="lead">{_e(step.lead)}</p>']
    figure = "" if step.figure is None else f'<div class="figure">{_figure_html(step.figure)}</div>'
    if step.figure_first:
        parts.append(figure)
    if step.panels:
        parts.append('<div class="panels">' + "".join(_panel(p) for p in step.panels) + "</div>")
    if not step.figure_first:
        parts.append(figure)
    parts += [f'<p class="note">{_e(note)}</p>' for note in step.notes]
    parts.append("</section>")
    return "\n".join(parts)


def _panel(panel: Panel) -> str:
    tag = "ol" if panel.ordered else "ul"
    items = "".join(_entry(entry, panel.because_label) for entry in panel.entries)
    return f'<div class="panel"><h3>{_e(panel.heading)}</h3><{tag}>{items}</{tag}></div>'


def _entry(entry: Entry, because_label: str) -> str:
    text = f'<span class="title">{_e(entry.title)}</span>'
    if entry.detail:
        text += f' <span class="detail">· {_e(entry.detail)}</span>'
    if entry.tag:
        text += f' <span class="tag {entry.tag_kind}">{_e(entry.tag)}</span>'
    if entry.because:
        text += f'<span class="because">{_e(because_label)} {_e(" and ".join(entry.because))}</span>'
    return f"<li>{text}</li>"


def _figure_html(fig: go.Figure) -> str:
    import plotly.io as pio

    return pio.to_html(as_svg(fig), full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage"]})


def as_svg(fig: go.Figure, max_points: int = MAX_POINTS, seed: int = 0) -> go.Figure:
    """A copy of ``fig`` with WebGL scatters redrawn as SVG and big traces sampled to ``max_points`` in all.

    Traces of a few points (stars, highlights) are always kept whole.
    """
    total = sum(0 if t.x is None else len(t.x) for t in fig.data)
    keep = min(1.0, max_points / max(total, 1))
    rng = np.random.default_rng(seed)
    traces = []
    for trace in fig.data:
        spec = trace.to_plotly_json()
        if spec.get("type") == "scattergl":
            spec["type"] = "scatter"
        n = 0 if spec.get("x") is None else len(spec["x"])
        if keep < 1.0 and n > 50:
            rows = np.sort(rng.choice(n, max(1, int(n * keep)), replace=False))
            for key in ("x", "y", "text", "customdata"):
                if spec.get(key) is not None and len(spec[key]) == n:
                    spec[key] = np.asarray(spec[key], dtype=object)[rows]
            marker = spec.get("marker") or {}
            for key in ("color", "size", "symbol"):
                value = marker.get(key)
                if value is not None and not isinstance(value, str) and np.ndim(value) == 1 and len(value) == n:
                    marker[key] = np.asarray(value)[rows]
        traces.append(spec)
    return go.Figure(data=traces, layout=fig.layout)
