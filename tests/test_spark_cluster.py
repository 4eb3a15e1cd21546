"""The Spark engine on a real standalone cluster (master + one worker on 127.0.0.1): the master
records a finished application, and the factors it wrote give Spark's own top-10."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.data.datasets import synthetic_interactions
from embedviz.spark.factors import INFO_FILE, load_factors
from tests.spark_support import FAST_START, ROOT, StandaloneCluster, marked_env, processes_with, run_cli, spark_missing

pytestmark = [pytest.mark.slow, pytest.mark.skipif(spark_missing() is not None, reason=spark_missing() or "")]
CHECKED_USERS = (0, 7, 151, 250)

# Spark's own recommendations from the ALSModel it saved, in a separate process (its JVM ends with it).
SPARK_TOP_K = """
import json, sys
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
model = ALSModel.load(sys.argv[1])
users = spark.createDataFrame([(int(u),) for u in sys.argv[3].split(",")], "user_index int")
rows = model.recommendForUserSubset(users, int(sys.argv[2])).collect()
print(json.dumps({r.user_index: [[x.item_index, x.rating] for x in r.recommendations] for r in rows}))
spark.stop()
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()   # by process ids, also when starting or a test failed
        assert processes_with(cluster.marker) == []


@pytest.fixture(scope="module")
def ratings(tmp_path_factory) -> tuple:
    """Explicit 1-5 ratings with times, string user ids and some re-rated items, as Parquet."""
    folder = tmp_path_factory.mktemp("spark-data")
    frame = synthetic_interactions(300, 200, 6000, factors=4, kind="explicit", seed=3).to_frame()
    frame["user"] = [f"user-{u:03d}" for u in frame["user"]]
    rng = np.random.default_rng(0)
    frame["time"] = 1_600_000_000 + rng.permutation(len(frame))
    again = frame.sample(300, random_state=1).assign(value=1.0, time=lambda f: f.time + 10_000_000)
    frame = pd.concat([frame, again]).sample(frac=1.0, random_state=2)   # re-ratings, in random order
    frame.to_parquet(folder / "ratings.parquet", index=False)
    pd.DataFrame({"item": range(200), "title": [f"Film {i}" for i in range(200)]}).to_csv(
        folder / "items.csv", index=False)
    return folder / "ratings.parquet", folder / "items.csv", len(frame)


def spark_top_k(model_dir, users, k=10) -> dict:
    env, marker = marked_env()
    result = subprocess.run([sys.executable, "-c", SPARK_TOP_K, str(model_dir), str(k), ",".join(map(str, users))],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert processes_with(marker) == []
    return {int(user): np.array(recs) for user, recs in json.loads(result.stdout.splitlines()[-1]).items()}


def test_train_on_a_standalone_cluster(cluster, ratings, tmp_path):
    source, items, n_rows = ratings
    out = tmp_path / "model_dir"
    result, seconds = run_cli(["train", str(source), "--engine", "spark", "--master", cluster.url,
                               "--out", str(out), "--items", str(items), "--factors", "8", "--iterations", "5",
                               "--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=1",
                               "--conf", "spark.sql.shuffle.partitions=2",
                               "--conf", f"spark.executor.extraJavaOptions={FAST_START}"],
                              cluster.env)
    assert result.returncode == 0, result.stderr[-4000:] + cluster.logs()
    info = json.loads((out / INFO_FILE).read_text())

    # The cluster did the work: the master lists the application as finished.
    finished = {app["id"]: app for app in cluster.status()["completedapps"]}
    assert info["spark"]["master"] == cluster.url
    assert finished[info["spark"]["application_id"]]["state"] == "FINISHED"
    assert finished[info["spark"]["application_id"]]["name"] == "embedviz train ratings.parquet"

    # Same users, items and combined re-ratings as the local loader reads from the same file.
    model = load_factors(out)
    local = ev.load_interactions(source)
    assert model.user_ids_.tolist() == local.user_ids.tolist()
    assert model.item_ids_.tolist() == local.item_ids.tolist()
    assert (model.train_matrix_ != local.matrix).nnz == 0
    assert info["counts"]["rows"] == n_rows > info["counts"]["interactions"] == local.nnz
    assert (out / "items.csv").exists() and info["items_file"] == "items.csv"

    # The factors give Spark's own top-10 (recommendForUserSubset does not leave out seen items).
    for user, spark_recs in spark_top_k(out / "spark_model", CHECKED_USERS).items():
        ours, scores = model.recommend(user, k=10, exclude_seen=False)
        np.testing.assert_allclose(scores, spark_recs[:, 1], rtol=1e-4, atol=1e-6)
        full = model.score_users(user)[0]
        for position, (item, spark_item) in enumerate(zip(ours, spark_recs[:, 0].astype(int), strict=True)):
            # the same item, or two items whose scores tie to float32 precision
            assert item == spark_item or abs(full[item] - full[spark_item]) < 1e-5, (user, position)

    # Spark's user vectors solve Spark's equations against its item vectors: fold-in reproduces them.
    for user in CHECKED_USERS:
        np.testing.assert_allclose(model.fold_in(user), model.user_factors_[user], rtol=1e-4, atol=1e-5)
