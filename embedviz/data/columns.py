"""Which column is which: guessing the user / item / value / time columns of a table.

Names are compared normalised (lower case, letters and digits only) against lists of
names real exports use, most telling first; what no name matches is guessed by position.
"""
from __future__ import annotations

import re

import pandas as pd

from embedviz.data.values import parse_dates
from embedviz.errors import DataError

ROLES = ("user", "item", "value", "time")


# Normalised column names (lower case, letters and digits only) per role, most telling first.
ROLE_NAMES = {
    "user": tuple(
        "userid user uid customerid customer visitorid visitor memberid member clientid client "
        "accountid account readerid reader listenerid listener viewerid viewer personid person "
        "profileid profile buyer player rater "
        # German, French, Spanish, Dutch, Italian exports
        "kunde kundenid kundennr nutzer nutzerid benutzer benutzerid utilisateur idutilisateur "
        "usuario idusuario cliente gebruiker klant utente".split()
    ),
    "item": tuple(
        "movieid itemid item iid productid product trackid track songid song artistid artist "
        "bookid book isbn asin sku movie filmid film showid show animeid anime gameid game "
        "articleid article videoid video recipeid recipe businessid business placeid place "
        "courseid course contentid content "
        "artikel artikelid artikelnr produkt produktid produit idproduit producto articulo "
        "pelicula artikelnummer prodotto".split()
    ),
    "value": tuple(
        "rating score stars star value count plays playcount listens weight quantity qty clicks "
        "views amount grade preference frequency "
        "bewertung wertung punkte sterne anzahl menge note notation valoracion puntuacion "
        "cantidad beoordeling waardering aantal voto valutazione".split()
    ),
    "time": tuple(
        "timestamp time date datetime ts unixtime epoch createdat created ratedat eventtime "
        "when datum zeit zeitpunkt zeitstempel horodatage fecha hora tijd tijdstip data".split()
    ),
}


def normalise_name(column) -> str:
    """``"User-ID"`` -> ``"userid"``: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def guess_columns(frame: pd.DataFrame, *, user: str | None = None, item: str | None = None,
                  value: str | None = None, time: str | None = None, name: str = "data") -> dict:
    """Guess which column holds users, items, values and times.

    Columns given as keyword arguments are kept; the others are chosen by name
    (exact names such as ``userId`` first, then names containing a known word),
    then by position (first free column = user, next = item, then a numeric
    column = value and an epoch-like or date column = time).

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_rows, n_columns)
        A raw table from `read_table`.
    user, item, value, time : str, optional
        Columns already chosen.
    name : str
        File name for messages.

    Returns
    -------
    dict
        ``{"user": str, "item": str, "value": str | None, "time": str | None}``.

    Raises
    ------
    DataError
        Fewer than two columns, or a given column that does not exist.
    """
    columns = [str(c) for c in frame.columns]
    _require_two_columns(frame, name)
    mapping = {"user": user, "item": item, "value": value, "time": time}
    check_mapping(frame, mapping, name)
    for match in (_exact_match, _contains_match):
        for role in ROLES:
            if mapping[role] is None:
                mapping[role] = match(columns, role, taken=set(mapping.values()))
    _guess_by_position(frame, mapping)
    return mapping


def _exact_match(columns: list[str], role: str, taken: set) -> str | None:
    normalised = {normalise_name(c): c for c in reversed(columns) if c not in taken}
    return next((normalised[n] for n in ROLE_NAMES[role] if n in normalised), None)


def _contains_match(columns: list[str], role: str, taken: set) -> str | None:
    for word in ROLE_NAMES[role]:
        if len(word) < 3:  # "ts" or "id" inside a longer name means nothing
            continue
        for column in columns:
            if column not in taken and word in normalise_name(column):
                return column
    return None


def _guess_by_position(frame: pd.DataFrame, mapping: dict) -> None:
    free = [str(c) for c in frame.columns if str(c) not in set(mapping.values())]
    for role in ("user", "item"):
        if mapping[role] is None and free:
            mapping[role] = free.pop(0)
    for column in free:
        if mapping["time"] is None and _looks_like_time(frame[column]):
            mapping["time"] = column
        elif mapping["value"] is None and pd.api.types.is_numeric_dtype(frame[column]):
            mapping["value"] = column


def _looks_like_time(series: pd.Series) -> bool:
    sample = series.dropna().head(100)
    if sample.empty:
        return False
    if pd.api.types.is_datetime64_any_dtype(sample):
        return True
    if pd.api.types.is_integer_dtype(sample):
        return bool(sample.min() >= 1e8)  # epoch seconds after 1973; ratings and counts are smaller
    if pd.api.types.is_numeric_dtype(sample):
        return False
    return parse_dates(sample)[0] is not None


def _require_two_columns(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] >= 2:
        return
    info = frame.attrs.get("table_info")
    shown = frame.columns[0] if info is None or info.had_header or frame.empty else frame.iloc[0, 0]
    first = f" ({str(shown)[:60]!r})" if frame.shape[1] else ""
    raise DataError(
        f"{name}: found only {frame.shape[1]} column{first}; interactions need at least 2 columns "
        "(user and item) separated by a comma, semicolon, tab, | or ::"
    )


def check_mapping(frame: pd.DataFrame, mapping: dict, name: str) -> None:
    """Raise DataError for a mapped column that is missing or mapped to two roles."""
    available = [str(c) for c in frame.columns]
    for role, column in mapping.items():
        if column is not None and column not in available:
            raise DataError(f"{name}: column {column!r} (chosen for {role}) not found; "
                            f"available columns: {', '.join(map(repr, available))}")
    chosen = [c for c in mapping.values() if c is not None]
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        roles = [r for r, c in mapping.items() if c == repeated[0]]
        raise DataError(f"{name}: column {repeated[0]!r} is chosen for both {' and '.join(roles)}; "
                        "each role needs its own column")
