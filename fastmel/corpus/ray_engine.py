"""The distributed engine: the same computation as the local engine's, run by Ray Data
actors (``map_batches``), on a local Ray or on the cluster at ``RAY_ADDRESS``. Each item's
failure is caught into its row (Ray's own error handling would drop a whole block); the
outputs come back in order and are written by the same sinks, so that they are identical
to the local engine's."""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from fastmel.corpus.compute import Computer, Features
from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.inputs import Item
from fastmel.corpus.local import Outcome, compute

__all__ = ["FeatureBatch", "run_ray"]

_NONE = -1.0  # (a duration of None, in a numeric column)


class FeatureBatch:
    """A callable for ``ray.data.Dataset.map_batches``: rows with ``key``, ``path``,
    ``offset`` and ``duration`` in, the same rows with ``status``, ``reason``, ``sr``,
    ``seconds`` and ``npy`` (the features as .npy bytes, empty on failure) out.

    Parameters
    ----------
    config : dict
        An :class:`ExtractConfig`'s fields (``dataclasses.asdict``).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        import torch

        torch.set_num_threads(1)
        self.computer = Computer(ExtractConfig(**config))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, list[Any]] = {k: [] for k in ("status", "reason", "sr", "seconds", "npy")}
        for key, path, offset, duration in zip(
            batch["key"], batch["path"], batch["offset"], batch["duration"], strict=True
        ):
            item = Item(str(key), str(path), float(offset), None if duration == _NONE else duration)
            result = compute(self.computer, item)[1]
            if isinstance(result, Features):
                assert result.data is not None  # (no spool here: computed whole)
                buffer = io.BytesIO()
                np.save(buffer, result.data)
                values = ("ok", "", result.sr, result.seconds, buffer.getvalue())
            else:
                values = ("error", result["reason"], 0.0, 0.0, b"")
            for name, value in zip(out, values, strict=True):
                out[name].append(value)
        return {
            **batch,
            **{k: np.array(v, dtype=object if k == "npy" else None) for k, v in out.items()},
        }


def _init(jobs: int) -> None:
    import ray

    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:  # (one CPU more than the actors take, for Ray's own read tasks: none waits forever)
        ray.init(num_cpus=jobs + 1, include_dashboard=False, log_to_driver=False)


def run_ray(items: Iterable[Item], config: ExtractConfig, *, jobs: int) -> Iterator[Outcome]:
    """Each item's outcome, in the items' order, computed by ``jobs`` Ray actors."""
    import ray

    from fastmel.corpus.local import error_row

    todo = list(items)
    if not todo:
        return
    _init(jobs)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    rows = [
        {
            "key": i.key,
            "path": i.path,
            "offset": i.offset,
            "duration": _NONE if i.duration is None else i.duration,
        }
        for i in todo
    ]
    ds = ray.data.from_items(rows).map_batches(
        FeatureBatch,
        fn_constructor_kwargs={"config": dataclasses.asdict(config)},
        batch_size=4,
        batch_format="numpy",
        # (GPU actors take one GPU each: as many as the cluster lends, up to jobs)
        **(
            {"concurrency": (1, jobs), "num_gpus": 1}
            if config.device.startswith("cuda")
            else {"concurrency": jobs, "num_cpus": 1}
        ),
    )
    by_key = {i.key: i for i in todo}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for j, key in enumerate(batch["key"]):
            item = by_key[str(key)]
            if batch["status"][j] == "ok":
                data = np.load(io.BytesIO(batch["npy"][j]))
                yield item, Features(item, data, float(batch["sr"][j]), float(batch["seconds"][j]))
            else:
                yield item, error_row(item, str(batch["reason"][j]))
