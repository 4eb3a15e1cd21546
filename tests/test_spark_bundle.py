"""A Spark output (folder or zip) as the app's data set + model, with optional item metadata."""
import json
import shutil

import pytest

from embedviz.analysis.recommendations import history_frame, recommendation_frame
from embedviz.errors import DataError
from embedviz.spark.bundle import open_spark_output
from embedviz.spark.factors import INFO_FILE
from tests.test_spark_factors import make_output, zipped

ITEMS_CSV = "item,title,genres\n" + "".join(f"{i},Film {i},{'Drama|War' if i % 2 else 'Comedy'}\n"
                                            for i in range(100, 112))


@pytest.fixture
def folder(tmp_path):
    make_output(tmp_path / "model_dir", info_changes={"source": "s3a://bucket/ratings.parquet"})
    return tmp_path / "model_dir"


def test_a_zip_opens_as_model_data_and_items(folder):
    model, data, items, name = open_spark_output(zipped(folder))
    assert name == "ratings.parquet (Spark ALS)"
    assert data.user_ids.tolist() == model.user_ids_.tolist() and data.kind == "explicit"
    assert (data.matrix != model.train_matrix_).nnz == 0
    assert items.index.tolist() == list(range(100, 112)) and items["title"].tolist()[0] == "100"
    # What the Recommend page shows works on it: a history and recommendations with reasons.
    assert len(history_frame(data, items, 0)) == data.matrix[0].nnz
    frame = recommendation_frame(model, 0, items, k=5)
    assert len(frame) == 5 and not set(frame.index) & set(data.matrix[0].indices)


def test_uploaded_metadata_gives_titles_and_genres(folder):
    _, _, items, _ = open_spark_output(zipped(folder), items=ITEMS_CSV.encode(), items_name="movies.csv")
    assert items.loc[101, "title"] == "Film 101" and items.loc[101, "genres"] == ["Drama", "War"]


def test_the_metadata_copied_by_the_job_is_used(folder):
    (folder / "items.csv").write_text(ITEMS_CSV)
    info = json.loads((folder / INFO_FILE).read_text())
    (folder / INFO_FILE).write_text(json.dumps({**info, "items_file": "items.csv"}))
    _, _, items, _ = open_spark_output(folder)
    assert items.loc[100, "title"] == "Film 100"
    (folder / "items.csv").unlink()
    with pytest.raises(DataError, match="'items.csv' named in its JSON is missing"):
        open_spark_output(folder)


def test_bad_metadata_is_a_clear_error(folder):
    with pytest.raises(DataError, match="movies.xlsx"):
        open_spark_output(zipped(folder), items=b"PK\x03\x04garbage", items_name="movies.xlsx")


def test_without_interactions_the_app_cannot_use_it(folder):
    shutil.rmtree(folder / "interactions")
    with pytest.raises(DataError, match="has no interactions/ folder"):
        open_spark_output(zipped(folder))


def test_the_command_line_recommends_and_exports_from_a_spark_output(folder, tmp_path, capsys):
    import pandas as pd

    from embedviz.cli import main

    assert main(["recommend", str(folder), "--user", "u03", "-k", "3"]) == 0
    assert capsys.readouterr().out.count("\n") >= 4        # header + 3 recommendations
    (tmp_path / "m.zip").write_bytes(zipped(folder))
    assert main(["export", str(tmp_path / "m.zip"), "--what", "users", "--out", str(tmp_path / "u.parquet")]) == 0
    frame = pd.read_parquet(tmp_path / "u.parquet")
    assert frame["id"].tolist()[:2] == ["u00", "u01"] and len(frame) == 9
