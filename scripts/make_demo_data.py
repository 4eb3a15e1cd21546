"""Regenerate the embedded demo data set in data/ (deterministic: same seed, same files).

    python scripts/make_demo_data.py
"""
import gzip
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embedviz.data.datasets import DEMO_ITEMS, DEMO_RATINGS, make_demo  # noqa: E402


def main() -> None:
    ratings, items = make_demo()
    DEMO_RATINGS.parent.mkdir(exist_ok=True)
    # mtime=0 keeps the gzip bytes identical between runs.
    with gzip.GzipFile(DEMO_RATINGS, "wb", mtime=0) as handle:
        handle.write(ratings.to_csv(index=False).encode())
    items.to_csv(DEMO_ITEMS, index=False)
    print(f"wrote {len(ratings):,} ratings by {ratings.user_id.nunique():,} users -> {DEMO_RATINGS}")
    print(f"wrote {len(items):,} items -> {DEMO_ITEMS}")


if __name__ == "__main__":
    main()
