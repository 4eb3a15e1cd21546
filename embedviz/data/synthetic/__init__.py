"""Test data in the shapes real public files have, with known answers.

Each ``write_*`` function writes files exactly as the real ones look (encodings, headers or
their absence, separators, line endings) and returns a `SyntheticFiles`: the paths it wrote and
a small dict of ground truth (sizes, the latent group of each item, ...). All are deterministic
given ``seed``, need no network, and take a few seconds at most.

    write_movielens_100k(out_dir, seed=0)    u.data, u.item (Latin-1, headerless), u.genre, u.info
    write_lastfm(out_dir, seed=0)            hetrec-2011 last.fm files + artist_tags.tsv
    clustered_vectors(n, dim=64, seed=0)     vectors, metadata, truth in memory
    write_vectors(out_dir, n, formats=...)   the same as Parquet / .npy / Projector TSV pair
    write_european_ratings(path, seed=0)     BOM + CRLF + ';' + decimal commas
"""
from embedviz.data.synthetic._common import SyntheticFiles, zipf_slope
from embedviz.data.synthetic.european import write_european_ratings
from embedviz.data.synthetic.lastfm import write_lastfm
from embedviz.data.synthetic.movielens import write_movielens_100k
from embedviz.data.synthetic.vectors import clustered_vectors, write_parquet, write_vectors

__all__ = ["SyntheticFiles", "clustered_vectors", "write_european_ratings", "write_lastfm",
           "write_movielens_100k", "write_parquet", "write_vectors", "zipf_slope"]
