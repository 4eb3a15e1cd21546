"""Write test data sets in the shapes real public files have (deterministic, no network).

    python scripts/make_realistic_data.py --out /tmp/realistic
    python scripts/make_realistic_data.py --out /tmp/big --which vectors --n-vectors 1000000 \
        --formats parquet npy

Sets: movielens (u.data, u.item, u.genre, u.info in movielens-100k/), lastfm (hetrec-2011 files
and artist_tags.tsv in lastfm/), vectors (vectors.parquet / .npy / Projector TSV pair in vectors/),
european (ratings_de.csv: BOM, CRLF, ';', decimal commas). See embedviz.data.synthetic.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embedviz.data import synthetic

SETS = ("movielens", "lastfm", "vectors", "european")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into (created)")
    parser.add_argument("--which", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-vectors", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--formats", nargs="+", choices=synthetic.vectors.FORMATS,
                        default=["parquet"], help="vector file formats (default parquet)")
    args = parser.parse_args(argv)
    for name in args.which:
        start = time.perf_counter()
        written = _write(name, args)
        seconds = time.perf_counter() - start
        print(f"{name}: {_summary(name, written.truth)} ({seconds:.1f} s)")
        for role, path in written.paths.items():
            print(f"  {role:<13} {path}  ({path.stat().st_size / 2**20:.1f} MB)")


def _write(name: str, args) -> synthetic.SyntheticFiles:
    if name == "movielens":
        return synthetic.write_movielens_100k(args.out / "movielens-100k", seed=args.seed)
    if name == "lastfm":
        return synthetic.write_lastfm(args.out / "lastfm", seed=args.seed)
    if name == "vectors":
        return synthetic.write_vectors(args.out / "vectors", args.n_vectors, args.dim,
                                       formats=tuple(args.formats), seed=args.seed)
    return synthetic.write_european_ratings(args.out / "ratings_de.csv", seed=args.seed)


def _summary(name: str, truth: dict) -> str:
    if name == "movielens":
        return (f"{truth['n_ratings']:,} ratings, {truth['n_users']:,} users, "
                f"{truth['n_items']:,} films")
    if name == "lastfm":
        return (f"{truth['n_plays']:,} play counts (max {truth['max_weight']:,}), "
                f"{truth['n_users']:,} users, {truth['n_artists']:,} artists, "
                f"{truth['single_listener_share']:.0%} with one listener")
    if name == "vectors":
        return (f"{truth['n']:,} x {truth['dim']} vectors, {len(truth['cluster_sizes'])} clusters, "
                f"{len(truth['outliers'])} outliers")
    return (f"{truth['n_rows']:,} ratings by {truth['n_users']:,} users "
            f"of {truth['n_items']:,} items")


if __name__ == "__main__":
    main()
