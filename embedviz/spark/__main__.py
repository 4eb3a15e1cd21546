"""``python -m embedviz.spark DATA --out FOLDER [options]``: the Spark engine of ``train``.

Also the file to hand to ``spark-submit`` (or a Databricks "Spark Python" task), which then
supplies the master and the cluster's settings::

    spark-submit --master yarn "$(python -c 'import embedviz.spark.__main__ as m; print(m.__file__)')" \\
        s3a://bucket/ratings.parquet --out s3a://bucket/model
"""
import sys

from embedviz.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:], "--engine", "spark"]))
