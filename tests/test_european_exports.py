"""A ratings export as European spreadsheet programs write it loads without editing."""
import pandas as pd
import pytest

import embedviz as ev
from embedviz.data.synthetic import write_european_ratings
from embedviz.data.values import parse_dates, parsed_numbers


@pytest.mark.parametrize("language", ["de", "fr", "en"])
def test_bom_crlf_semicolons_decimal_commas_and_day_first_dates(tmp_path, language):
    files, truth = write_european_ratings(tmp_path / "export.csv", language=language)
    data, report = ev.load_interactions(next(iter(files.values())), return_report=True)
    assert data.kind == "explicit"
    assert report.columns["value"] == truth["columns"][3]          # "Bewertung" / "note" guessed
    assert float(data.matrix.data.sum()) == pytest.approx(truth["rating_sum"])
    assert data.timestamps is not None and any("dates written DD" in n for n in report.notes)


def test_decimal_commas_are_read_but_thousands_are_not_guessed():
    where = lambda row: f"line {row + 2}"
    numbers = parsed_numbers(pd.Series(["3,5", "4", "0,5"]), "r", name="f.csv", where=where)
    assert numbers.tolist() == [3.5, 4.0, 0.5]
    with pytest.raises(ev.DataError, match="ambiguous"):
        parsed_numbers(pd.Series(["1,000", "2,500"]), "plays", name="f.csv", where=where)


def test_day_first_dates_win_when_a_day_is_above_twelve():
    dates, how = parse_dates(pd.Series(["01.02.2023 10:00", "13.01.2023 07:35"]))
    assert how == "dates written DD.MM.YYYY hh:mm"
    assert dates.iloc[0] == pd.Timestamp("2023-02-01 10:00", tz="UTC")
    assert parse_dates(pd.Series(["yesterday"]))[0] is None
