"""Corpus extraction: ``fastmel extract`` and :func:`fastmel.extract`.

``inputs`` (what is read), ``config`` (what is computed, recorded in the output), ``decode``
(one item's audio, without torch), ``compute`` (one item's features), ``journal`` (what is
done, for resuming), ``sinks`` (.npy tree or Parquet shards), ``local`` and ``ray_engine``
(who computes), ``run`` (the run).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (what type checkers and the docs read; at run time, __getattr__)
    from fastmel.corpus.inputs import Item, collect
    from fastmel.corpus.ray_engine import FeatureBatch, decode_batch
    from fastmel.corpus.run import Summary, extract, iter_features

# Imported on first use, so that the local engine's decoding workers, which import this
# package, never import torch.
_LAZY = {
    "FeatureBatch": "fastmel.corpus.ray_engine",
    "Item": "fastmel.corpus.inputs",
    "Summary": "fastmel.corpus.run",
    "collect": "fastmel.corpus.inputs",
    "decode_batch": "fastmel.corpus.ray_engine",
    "extract": "fastmel.corpus.run",
    "iter_features": "fastmel.corpus.run",
}

__all__ = [
    "FeatureBatch",
    "Item",
    "Summary",
    "collect",
    "decode_batch",
    "extract",
    "iter_features",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastmel.corpus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
