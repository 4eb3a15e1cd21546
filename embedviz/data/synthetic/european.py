"""A ratings export as a European spreadsheet writes it: UTF-8 with BOM, CRLF, ';', decimal commas.

What Excel's "CSV UTF-8" does in a German or French locale: a byte-order mark, Windows line
endings (also after the last row), semicolons between fields because the comma is the decimal
separator, whole numbers without decimals ("4") and halves with a comma ("3,5"), dates as
``31.12.2023 14:05``, and text quoted only when it holds a separator or a quote.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from embedviz.data.synthetic import _names
from embedviz.data.synthetic._common import SyntheticFiles, ensure_dir, zipf_weights

HEADERS = {
    "en": ("user_id", "item_id", "title", "rating", "date"),
    "de": ("Kunde", "Artikel", "Titel", "Bewertung", "Datum"),
    "fr": ("utilisateur", "article", "titre", "note", "date"),
}
_DATE_FORMAT = {"en": "%d/%m/%Y %H:%M", "de": "%d.%m.%Y %H:%M", "fr": "%d/%m/%Y %H:%M"}


def write_european_ratings(path: str | Path, *, n_users: int = 300, n_items: int = 400,
                           n_ratings: int = 6000, language: str = "de",
                           seed: int = 0) -> SyntheticFiles:
    """Write a semicolon-separated ratings CSV with BOM, CRLF and decimal commas.

    Parameters
    ----------
    path : str or Path
        File to write (its folder is created if missing).
    n_users, n_items, n_ratings : int
        Sizes (duplicates of a user-item pair are dropped, so the row count can be a little lower).
    language : {"de", "fr", "en"}
        Header names and date style.
    seed : int
        Same seed, same bytes.

    Returns
    -------
    SyntheticFiles
        ``paths``: ``ratings``. ``truth``: ``n_users``, ``n_items``, ``n_rows``, ``columns``,
        ``ratings`` (float array in row order), ``rating_sum``, ``user_ids``, ``item_ids``
        (as written, item ids are article numbers like "A-00042"), ``item_group``, ``encoding``
        ("utf-8-sig"), ``delimiter`` (";"), ``decimal`` (","), ``line_terminator`` ("\\r\\n").
    """
    if language not in HEADERS:
        raise ValueError(f"language must be one of {sorted(HEADERS)}, got {language!r}")
    rng = np.random.default_rng(seed)
    path = Path(path)
    ensure_dir(path.parent)
    user_ids = np.sort(rng.choice(np.arange(10_000, 99_999), n_users, replace=False))
    article_numbers = np.sort(rng.choice(100_000, n_items, replace=False))
    item_ids = np.array([f"A-{k:05d}" for k in article_numbers])
    titles = _titles(n_items, rng)

    user_group, item_group = rng.integers(0, 5, n_users), rng.integers(0, 5, n_items)
    users = rng.integers(0, n_users, n_ratings)
    items = rng.choice(n_items, n_ratings, p=zipf_weights(n_items, 0.9, rng))
    keep = ~pd.DataFrame({"u": users, "i": items}).duplicated().to_numpy()
    users, items = users[keep], items[keep]
    raw = 2.8 + 1.4 * (user_group[users] == item_group[items]) + rng.normal(0, 0.8, users.size)
    ratings = np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
    when = pd.to_datetime(rng.integers(1_577_836_800, 1_704_067_200, users.size), unit="s")

    header = HEADERS[language]
    frame = pd.DataFrame({header[0]: user_ids[users], header[1]: item_ids[items],
                          header[2]: titles[items], header[3]: [_decimal_comma(r) for r in ratings],
                          header[4]: when.strftime(_DATE_FORMAT[language])})
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=";", index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))

    truth = {
        "n_users": int(np.unique(users).size), "n_items": int(np.unique(items).size),
        "n_rows": len(frame),
        "columns": list(header), "ratings": ratings, "rating_sum": float(ratings.sum()),
        "user_ids": user_ids[users], "item_ids": item_ids[items],
        "item_group": dict(zip(item_ids.tolist(), item_group.tolist())),
        "encoding": "utf-8-sig", "delimiter": ";", "decimal": ",", "line_terminator": "\r\n",
    }
    return SyntheticFiles({"ratings": path}, truth)


def _decimal_comma(value: float) -> str:
    """As a German spreadsheet shows it: ``4`` for whole numbers, ``3,5`` otherwise."""
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


def _titles(n: int, rng: np.random.Generator) -> np.ndarray:
    """Product titles; some accented, some holding a ';' or quotes (so they must be quoted)."""
    special = ['Café; Paris', 'Crème "brûlée" Set', 'Smörgåsbord 12-tlg.', 'Größe 42; blau',
               'Müsli „Früh"']
    titles = [f"{_names.ADJECTIVES[a]} {_names.NOUNS[b]} {k + 1}"
              for k, (a, b) in enumerate(zip(rng.integers(len(_names.ADJECTIVES), size=n),
                                             rng.integers(len(_names.NOUNS), size=n)))]
    for slot, text in zip(rng.choice(n, min(n, len(special)), replace=False), special):
        titles[slot] = text
    return np.array(titles, dtype=object)
