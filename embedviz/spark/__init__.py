"""Scale out: train on Spark, explore the result with embedviz.

``python -m embedviz train DATA --engine spark --out FOLDER`` runs `job` (it needs pyspark,
from ``requirements-spark.txt``); everything else here needs only numpy and pyarrow:

- `params`: the WALS parameters translated to Spark MLlib ALS ones, and back;
- `factors`: `load_factors` opens the output folder (or a zip of it) as a model with
  ``recommend``, ``fold_in``, ``explain`` and ``save`` (the usual ``.npz``);
- `bundle`: the output folder (or zip) with item metadata as the app's model + data set.
"""
