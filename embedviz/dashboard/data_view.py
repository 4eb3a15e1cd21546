"""Data-page pieces: reading uploads, the column mapping steps (interactions and item metadata)
with their previews, loading the result, and the report of the data set in use."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from embedviz.dashboard import state, uploads
from embedviz.dashboard.records import Dataset
from embedviz.dashboard.safe import attempt, md
from embedviz.data.metadata_columns import (
    MetadataMapping,
    describe_text,
    flag_blocks,
    parse_genre_names,
    read_genre_names,
    title_candidates,
)
from embedviz.errors import DataError
from embedviz.viz import data_plots

ROLES = (("user", "User column"), ("item", "Item column"), ("value", "Rating / count"), ("time", "Timestamp"))
GENRES_FROM = ("No genres", "A column (list or delimited text)", "A block of 0/1 columns")
UNCHANGED_DATA = "The data set in use was not changed."
_META_KEYS = ("meta_id", "meta_title", "meta_genres_from", "meta_genre_col", "meta_flag_first",
              "meta_flag_last", "meta_genre_text")


def read(uploaded, slot: str, header: bool | None, *, metadata: bool = False) -> uploads.RawUpload | None:
    """The upload read into a raw table, or None with the reason shown."""
    if uploaded is None:
        return None
    return attempt(uploaded.name, lambda: uploads.read_upload(uploaded, slot, header, metadata=metadata),
                   UNCHANGED_DATA)


def interactions_mapping(raw: uploads.RawUpload) -> tuple[dict, str | None]:
    """The interactions file's preview and column choices: (role -> column, feedback kind)."""
    options: list[str] = [uploads.NOT_MAPPED, *map(str, raw.frame.columns)]
    guess: dict = raw.guess if isinstance(raw.guess, dict) else {}
    cols = st.columns(5)
    mapping = {role: cols[n].selectbox(label, options, key=f"map_{role}",
                                       index=options.index(str(guess.get(role) or uploads.NOT_MAPPED)))
               for n, (role, label) in enumerate(ROLES)}
    kind = cols[4].selectbox("Feedback type", list(uploads.KIND_CHOICES), key="map_kind")
    time_col = None if mapping["time"] == uploads.NOT_MAPPED else mapping["time"]
    note = " (the timestamp column shown as dates)" if time_col else ""
    st.markdown(f"**{md(raw.name)}** — first rows as read{note}:")
    st.dataframe(uploads.preview(raw.frame, time_col=time_col), hide_index=True)
    return mapping, uploads.KIND_CHOICES[kind]


def metadata_mapping(raw: uploads.RawUpload, interactions: uploads.RawUpload | None,
                     item_col: str | None) -> uploads.MetadataChoice | None:
    """The metadata mapping step: id / title / genres, genre names, and a preview of the result.

    Returns the validated choice, or None (with the reason shown) when it cannot be used yet.
    """
    guess = raw.guess if isinstance(raw.guess, MetadataMapping) else MetadataMapping(str(raw.frame.columns[0]))
    if st.session_state.get("meta_for") != raw.digest:      # a new file: start from its guess
        for key in _META_KEYS:
            st.session_state.pop(key, None)
        st.session_state["meta_for"] = raw.digest
    frame, columns = raw.frame, [str(c) for c in raw.frame.columns]
    start = guess.id if guess.id in columns else columns[0]
    st.markdown(f"**{md(raw.name)}** — item metadata, first rows as read:")
    st.dataframe(uploads.preview(frame), hide_index=True)
    cols = st.columns(3)
    id_col: str = cols[0].selectbox("Item id column", columns, index=columns.index(start), key="meta_id")
    titles = title_candidates(frame, exclude={id_col})
    title = cols[1].selectbox("Title column", titles, key="meta_title",
                              index=titles.index(guess.title) if guess.title in titles else 0 if titles else None,
                              help="Text columns, most distinct values first (URLs, dates and numbers "
                                   "are left out).")
    mapping = MetadataMapping(id_col, title if titles else None)
    mapping, names, names_from = _genre_choice(frame, columns, guess, mapping, cols[2])
    choice = attempt(raw.name, lambda: uploads.choose_metadata(raw, mapping, names, names_from),
                     "Change the choice above (or remove the metadata file) to use it.")
    if choice is not None:
        _metadata_preview(choice, interactions, item_col)
    return choice


def _genre_choice(frame, columns, guess: MetadataMapping, mapping: MetadataMapping, where):
    """Genres from nothing, a list / delimited column or a block of 0/1 columns (+ their names)."""
    default = 2 if guess.flags else 1 if guess.genres else 0
    source = where.selectbox("Genres from", GENRES_FROM, index=default, key="meta_genres_from")
    free = [c for c in columns if c not in (mapping.id, mapping.title)]
    if source == GENRES_FROM[1]:
        texts = [c for c in free if describe_text(frame[c]) in ("text", "lists")] or free
        column = st.selectbox("Genre column", texts, key="meta_genre_col",
                              index=texts.index(guess.genres) if guess.genres in texts else 0,
                              help="A list per item, or text split on | or ; (or , when neither occurs).")
        return MetadataMapping(mapping.id, mapping.title, genres=column), None, ""
    if source == GENRES_FROM[0]:
        return mapping, None, ""
    blocks = flag_blocks(frame, exclude={mapping.id, mapping.title}) or [free]
    block = list(guess.flags) or max(blocks, key=len)
    left, right = st.columns(2)
    first = left.selectbox("First genre flag column", free, key="meta_flag_first",
                           index=free.index(block[0]) if block[0] in free else 0)
    last = right.selectbox("Last genre flag column", free, key="meta_flag_last",
                           index=free.index(block[-1]) if block[-1] in free else len(free) - 1)
    lo, hi = sorted((free.index(first), free.index(last)))
    flags = tuple(free[lo:hi + 1])
    names, names_from = _genre_names(len(flags))
    return MetadataMapping(mapping.id, mapping.title, flags=flags), names, names_from


def _genre_names(n_flags: int) -> tuple[list[str] | None, str]:
    """Names for the flag columns: typed, or from a ``u.genre``-style file; None keeps column names."""
    left, right = st.columns(2)
    typed = left.text_area(f"Genre names ({n_flags}, in column order)", key="meta_genre_text", height=100,
                           placeholder="Action, Adventure, Comedy ... (comma-separated or one per line)")
    uploaded = right.file_uploader("…or a genre names file (name|index per line, like u.genre)",
                                   key="upload_genre_names")
    try:
        if typed.strip():
            return parse_genre_names(typed, name="the typed genre names"), "the typed names"
        if uploaded is not None:
            return read_genre_names(uploaded.getvalue(), name=uploaded.name), uploaded.name
    except DataError as error:
        st.error(md(error), icon=":material/error:")
    return None, ""


def _metadata_preview(choice: uploads.MetadataChoice, interactions, item_col: str | None) -> None:
    meta = choice.meta
    shown = meta.head(8).copy()
    shown.attrs = {}
    shown["genres"] = [", ".join(g) for g in shown["genres"]]
    st.markdown("How items will be shown:")
    st.dataframe(shown, column_config={"title": st.column_config.TextColumn("title", width="large")})
    counts = uploads.items_matched(meta, interactions, item_col) if interactions is not None else None
    if counts is not None:
        matched, total = counts
        text = f"{matched:,} of {total:,} items in {interactions.name} have a row here."
        if matched < total:
            st.warning(f"{md(text)} The others will be titled by their id.", icon=":material/warning:")
        else:
            st.caption(md(text))
    if meta.attrs.get("unnamed_flags"):
        st.warning("The genre flag columns have no names: give them above (typed or a u.genre file), "
                   "or genres will read like the column names.", icon=":material/warning:")


def load(raw: uploads.RawUpload, mapping: dict, kind: str | None, metadata: uploads.MetadataChoice | None, *,
         metadata_wanted: bool = False) -> None:
    """Validate and switch to the new data set; on error say why and keep the one in use.

    ``metadata_wanted``: a metadata file was uploaded, so it must be usable (not silently dropped).
    """
    def build():
        if metadata_wanted and metadata is None:
            raise DataError("the item metadata file cannot be used as chosen (see the message above it); "
                            "fix the choice or remove the file")
        return uploads.build_dataset(raw, mapping, kind, metadata)

    new = attempt(raw.name, build, UNCHANGED_DATA)
    if new is None:
        return
    state.set_dataset(new)
    state.flash(f"Loaded {md(new.name)}: {new.interactions.n_users:,} users, {new.interactions.n_items:,} "
                "items. Train a model on it on the Train page.")
    st.rerun()   # redraw everything, the sidebar included, for the new data set


def warnings(data: Dataset) -> None:
    """Loud warnings about the data set in use (titles that are ids, unnamed genres)."""
    for text in data.warnings:
        st.warning(md(text), icon=":material/warning:")


def report(data: Dataset) -> None:
    """The validation report: how the interactions were read, and how metadata covers the items."""
    lines = list(data.report.notes) if data.report is not None else []
    if data.meta_report is not None:
        meta = data.meta_report
        lines += meta.notes
        if meta.source is not None:
            lines.append(f"Item metadata: {meta.rows:,} rows; {meta.matched:,} of {meta.n_items:,} items "
                         f"matched; {meta.missing:,} items without metadata.")
    if lines:
        with st.expander("Validation report", icon=":material/fact_check:"):
            st.text("\n".join(f"• {line}" for line in lines))   # plain text: notes quote user data


def summary_figures(data: Dataset) -> list:
    """The data set's summary charts (ratings or counts, long tail, activity, over time), built
    once per data set: building Plotly figures was most of the Data page's script time."""
    def build() -> list:
        matrix = data.interactions
        figures = [data_plots.rating_distribution(matrix.matrix.data, matrix.kind),
                   data_plots.popularity_curve(matrix.item_popularity()),
                   data_plots.activity_histogram(matrix.user_activity())]
        if matrix.timestamps is not None:
            figures.append(data_plots.activity_over_time(matrix.timestamps))
        return figures

    return data.derived.get_or_build("summary figures", build)


def interactions_preview(data: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first interactions with original ids, times as dates."""
    frame = data.interactions.to_frame().head(rows)
    if "timestamp" in frame:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="s")
    return frame


def items_preview(data: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first items: genres as text, columns that are empty everywhere left out."""
    frame = data.items.head(rows).copy()
    frame["genres"] = [", ".join(g) if isinstance(g, list) else "" for g in frame["genres"]]
    empty = [c for c in frame.columns if c != "title" and (frame[c].isna() | (frame[c].astype(str) == "")).all()]
    return frame.drop(columns=empty)
