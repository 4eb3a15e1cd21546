"""python -m embedviz: train from a file, recommend, export; its model file opens in the app."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from embedviz.cli import main
from embedviz.data.session_io import load_session

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    rows = [(u, i, (u * 7 + i) % 5 + 1, 1_600_000_000 + u * 1000 + i)
            for u in range(60) for i in range(40) if (u + i) % 4 == 0 or (u % 3 == i % 3)]
    pd.DataFrame(rows, columns=["user", "item", "rating", "ts"]).to_csv(folder / "ratings.csv", index=False)
    pd.DataFrame({"item": range(40), "title": [f"=Film {i}" for i in range(40)],
                  "genres": ["A|B" if i % 2 else "C" for i in range(40)]}).to_csv(folder / "items.csv", index=False)
    out = folder / "model.npz"
    code = main(["train", str(folder / "ratings.csv"), "--items", str(folder / "items.csv"), "--factors", "8",
                 "--iterations", "3", "--out", str(out)])
    assert code == 0
    return folder, out


def test_train_writes_a_session_the_app_can_open(trained, capsys):
    _, out = trained
    model, data, items, name = load_session(out)
    assert name == "ratings.csv" and data.n_users == 60 and data.n_items == 40
    assert items.title.iloc[0] == "=Film 0" and items.genres.iloc[1] == ["A", "B"]


def test_recommend_prints_a_table(trained, capsys):
    _, out = trained
    assert main(["recommend", str(out), "--user", "5", "-k", "3"]) == 0
    printed = capsys.readouterr().out
    assert "because you liked" in printed and printed.count("Film") >= 3


@pytest.mark.parametrize("what, suffix", [("items", ".csv"), ("users", ".parquet"), ("recommendations", ".csv")])
def test_export(trained, what, suffix):
    folder, out = trained
    target = folder / f"{what}{suffix}"
    assert main(["export", str(out), "--what", what, "--out", str(target)]) == 0
    frame = pd.read_parquet(target) if suffix == ".parquet" else pd.read_csv(target)
    assert len(frame) > 0
    if what == "items":
        assert frame.title.iloc[0] == "'=Film 0"          # formula injection neutralised
        assert {"id", "f0", "f7"} <= set(frame.columns)


def test_bad_input_is_a_clear_error_not_a_traceback(trained, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    assert main(["train", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "m.npz")]) == 2
    assert "error:" in capsys.readouterr().err
    _, out = trained
    assert main(["recommend", str(out), "--user", "nobody"]) == 2


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "embedviz", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


def test_explore_hands_the_file_to_the_launcher(tmp_path):
    from embedviz.cli import build_parser, explore_command

    vectors, meta = tmp_path / "v.parquet", tmp_path / "m.tsv"
    args = build_parser().parse_args(["explore", str(vectors), "--metadata", str(meta), "--port", "9999",
                                      "--data-dir", str(tmp_path)])
    command = explore_command(args)
    assert command[0] == sys.executable
    assert command[1:] == ["-m", "embedviz.dashboard.serve", "--open", str(vectors), "--metadata", str(meta),
                           "--data-dir", str(tmp_path), "--server.port=9999"]
    assert "--data-dir" not in explore_command(build_parser().parse_args(["explore", str(vectors)]))


def test_explore_reports_a_missing_file(capsys):
    assert main(["explore", "no-such-vectors.parquet"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_launcher_refuses_an_unreadable_file_before_serving(tmp_path):
    (tmp_path / "v.npy").write_bytes(b"not numpy")
    done = subprocess.run([sys.executable, "-m", "embedviz.dashboard.serve", "--open", str(tmp_path / "v.npy")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "not a readable NumPy file" in done.stderr


def test_tune_command_prints_trials_and_saves_the_tuned_model(tmp_path, capsys):
    from embedviz.cli import main
    from embedviz.data.synthetic import write_movielens_100k

    files = write_movielens_100k(tmp_path, n_users=120, n_items=200, n_ratings=4_000)
    out = tmp_path / "tuned.npz"
    code = main(["tune", str(files.paths["ratings"]), "--items", str(files.paths["items"]), "--budget", "600",
                 "--max-trials", "5", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "trial 1 of ~" in printed and "defaults" in printed and "trial 5 of ~5" in printed
    assert "validation ndcg@10: defaults" in printed and "best parameters: factors=" in printed
    held_out = next(line for line in printed.splitlines() if line.startswith("held-out (never seen by the search)"))
    assert "ndcg@10" in held_out and "(popularity" in held_out
    from embedviz.data.session_io import load_session

    model, data, items, _ = load_session(out)
    assert data.n_users == 120 and items["title"].iloc[0] == files.truth["titles"][int(data.item_ids[0])]
