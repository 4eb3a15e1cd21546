"""End-to-end quality on real and generated data: the numbers the issues promise.

The app's default WALS settings (the Train page's and the demo model's) must beat the
popularity baseline on every data set here, not only the one they were chosen on.
"""
from pathlib import Path

import numpy as np
import pytest

import embedviz as ev
from embedviz.dashboard import services
from embedviz.data.datasets import synthetic_interactions
from embedviz.models.registry import MODELS

ML = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-latest-small"
APP_DEFAULTS = MODELS["WALS"].defaults()


@pytest.fixture(scope="module")
def demo():
    data = services.demo_dataset()
    return data, services.demo_model()


def test_demo_umap_layout_is_trustworthy(demo):
    data, trained = demo
    vectors = trained.model.item_factors_
    xy = ev.project(vectors, method="umap", random_state=0)
    from embedviz.analysis.projection import trustworthiness

    assert trustworthiness(vectors, xy, k=10, metric="cosine") >= 0.9


def test_demo_cosine_neighbours_share_the_items_genre(demo):
    """Planted structure: the main genre of an item's cosine neighbours matches far above chance."""
    data, trained = demo
    genres = np.array([g[0] for g in data.items["genres"]])
    queries = np.random.default_rng(0).choice(len(genres), 300, replace=False)
    neighbours, _ = ev.nearest_neighbours(trained.model.item_factors_, queries, k=10, metric="cosine")
    same = (genres[neighbours] == genres[queries][:, None]).mean()
    chance = sum((genres == g).mean() ** 2 for g in np.unique(genres))
    assert same > 4 * chance, (same, chance)


def test_demo_model_beats_popularity(demo):
    _, trained = demo
    assert trained.metrics["ndcg@10"] > 1.3 * trained.baseline_metrics["ndcg@10"]


def _beats_popularity(data, by: str, factor: float) -> None:
    train, test = ev.split(data, test_fraction=0.2, by=by, seed=0)
    model = ev.WALS(**APP_DEFAULTS).fit(train)
    ours = ev.evaluate(model, train, test, k=10)["ndcg@10"]
    baseline = ev.evaluate(ev.PopularityBaseline().fit(train), train, test, k=10)["ndcg@10"]
    assert ours > factor * baseline, (ours, baseline)


@pytest.mark.parametrize("by, factor", [("user", 1.5), ("time", 1.2)])
def test_movielens_recommendations_beat_popularity(by, factor):
    if not ML.exists():
        pytest.skip("../shared/data/ml-latest-small not found (only present in CI / the dev machine)")
    _beats_popularity(ev.load_interactions(ML / "ratings.csv"), by, factor)


def test_synthetic_implicit_recommendations_beat_popularity():
    _beats_popularity(synthetic_interactions(3000, 1500, 60_000, seed=5), "user", 1.5)
