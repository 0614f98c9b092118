"""Corpus extraction: ``fastmel extract`` and :func:`fastmel.extract`.

``inputs`` (what is read), ``config`` (what is computed, recorded in the output), ``compute``
(one item's features), ``journal`` (what is done, for resuming), ``sinks`` (.npy tree or
Parquet shards), ``local`` and ``ray_engine`` (who computes), ``run`` (the run).
"""

from fastmel.corpus.inputs import Item, collect
from fastmel.corpus.ray_engine import FeatureBatch
from fastmel.corpus.run import Summary, extract, iter_features

__all__ = ["FeatureBatch", "Item", "Summary", "collect", "extract", "iter_features"]
