"""The distributed engine: the local engine's computation as a Ray Data pipeline, on a local
Ray or on the cluster at ``RAY_ADDRESS``: tasks decode and resample (:func:`decode_batch`,
without torch), then actors compute the features (:class:`FeatureBatch`, on a GPU each with
a CUDA device; on CPUs Ray Data fuses the two into the actors). Each item's failure is
caught into its row (Ray's own error handling would drop a whole block); the outputs come
back in order and are written by the same sinks, so that they are identical to the local
engine's."""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.inputs import Item
from fastmel.corpus.local import compute_decoded, decode, error_row

if TYPE_CHECKING:  # (importing compute imports torch, which the decoding tasks never do)
    from fastmel.corpus.local import Outcome

__all__ = ["FeatureBatch", "decode_batch", "run_ray"]

_NONE = -1.0  # (a duration of None, in a numeric column)
_BATCH = 16  # (items per Ray task or actor call: a few tens of ms of work, not one item's)


def _items(batch: dict[str, np.ndarray]) -> Iterator[Item]:
    for key, path, offset, duration in zip(
        batch["key"], batch["path"], batch["offset"], batch["duration"], strict=True
    ):
        yield Item(str(key), str(path), float(offset), None if duration == _NONE else duration)


def decode_batch(
    batch: dict[str, np.ndarray], *, rate: float | None, long_samples: int | None = None
) -> dict[str, np.ndarray]:
    """A function for ``ray.data.Dataset.map_batches`` (tasks; it never imports torch):
    rows with ``key``, ``path``, ``offset`` and ``duration`` (-1 for none) in; the same
    rows with ``status``, ``reason``, ``sr`` and ``audio`` out.

    Parameters
    ----------
    batch : dict of np.ndarray
        A numpy-format batch.
    rate : float or None
        The rate to resample to (None: each file's own), as :func:`fastmel.load`'s ``sr``.
    long_samples : int, optional
        Files with more samples are not decoded here (status ``"long"``): they are left to
        :class:`FeatureBatch`, which reads them itself.

    Returns
    -------
    dict of np.ndarray
        ``status`` is ``"audio"`` (``audio`` holds the float32 samples as bytes, as
        :func:`fastmel.load` gives them, at ``sr``), ``"error"`` (``reason`` says why) or
        ``"long"``.
    """
    out: dict[str, list[Any]] = {k: [] for k in ("status", "reason", "sr", "audio")}
    for item in _items(batch):
        decoded = decode(item, rate, long_samples)[1]
        if decoded is None:
            values: tuple[Any, ...] = ("long", "", 0.0, b"")
        elif isinstance(decoded, dict):
            values = ("error", decoded["reason"], 0.0, b"")
        else:
            y, sr = decoded
            values = ("audio", "", sr, np.ascontiguousarray(y, np.float32).tobytes())
        for name, value in zip(out, values, strict=True):
            out[name].append(value)
    return {
        **batch,
        **{k: np.array(v, dtype=object if k == "audio" else None) for k, v in out.items()},
    }


class FeatureBatch:
    """A callable for ``ray.data.Dataset.map_batches`` (actors): rows with ``key``,
    ``path``, ``offset`` and ``duration`` in, the same rows with ``status``, ``reason``,
    ``sr``, ``seconds`` and ``npy`` (the features as .npy bytes, empty on failure) out.

    Rows decoded by :func:`decode_batch` (with its ``status`` and ``audio`` columns) are
    computed from their samples, and their ``audio`` is dropped; other rows, and those it
    left as ``"long"``, are read here.

    Parameters
    ----------
    config : dict
        An :class:`ExtractConfig`'s fields (``dataclasses.asdict``).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        import torch

        from fastmel.corpus.compute import Computer

        torch.set_num_threads(1)
        self.computer = Computer(ExtractConfig(**config))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from fastmel.corpus.compute import Features

        decoded = "audio" in batch
        out: dict[str, list[Any]] = {k: [] for k in ("status", "reason", "sr", "seconds", "npy")}
        for j, item in enumerate(_items(batch)):
            status = batch["status"][j] if decoded else "long"
            payload: Any = None  # (what decode gave: None for a file read here)
            if status == "audio":
                # (a writable copy: torch refuses to wrap read-only memory quietly)
                y = np.frombuffer(batch["audio"][j], dtype=np.float32).copy()
                payload = (y, float(batch["sr"][j]))
            elif status == "error":
                payload = error_row(item, str(batch["reason"][j]))
            result = compute_decoded(self.computer, item, payload)[1]
            if isinstance(result, Features):
                assert result.data is not None  # (no spool here: computed whole)
                buffer = io.BytesIO()
                np.save(buffer, result.data)
                values = ("ok", "", result.sr, result.seconds, buffer.getvalue())
            else:
                values = ("error", result["reason"], 0.0, 0.0, b"")
            for name, value in zip(out, values, strict=True):
                out[name].append(value)
        rows = {k: v for k, v in batch.items() if k != "audio"}
        return {
            **rows,
            **{k: np.array(v, dtype=object if k == "npy" else None) for k, v in out.items()},
        }


def _init(jobs: int) -> None:
    import ray

    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:  # (one CPU more than the workers: the feature actors never hold every CPU)
        ray.init(num_cpus=jobs + 1, include_dashboard=False, log_to_driver=False)


def _dataset(rows: list[dict[str, Any]], config: ExtractConfig, jobs: int, *, cuda: bool) -> Any:
    """The pipeline over ``rows``: decoding tasks, then feature actors."""
    import ray

    from fastmel import streamfile

    return (
        ray.data.from_items(rows)
        .map_batches(
            decode_batch,  # type: ignore[arg-type]  # (its keywords come from fn_kwargs)
            fn_kwargs={"rate": config.rate, "long_samples": streamfile.STREAM_SAMPLES},
            batch_size=_BATCH,
            batch_format="numpy",
            num_cpus=1,
        )
        .map_batches(
            FeatureBatch,
            fn_constructor_kwargs={"config": dataclasses.asdict(config)},
            batch_size=_BATCH,
            batch_format="numpy",
            # GPU actors take one GPU each, as many as the cluster lends up to jobs, and
            # the decoding tasks run on the CPUs. On CPUs, Ray Data fuses the decoding
            # tasks into these actors (the same resources): jobs actors then each decode
            # and compute, as the old one-stage engine did.
            **(
                {"concurrency": (1, jobs), "num_gpus": 1}
                if cuda
                else {"concurrency": jobs, "num_cpus": 1}
            ),
        )
    )


def run_ray(items: Iterable[Item], config: ExtractConfig, *, jobs: int) -> Iterator[Outcome]:
    """Each item's outcome, in the items' order: decoded by Ray tasks, computed by
    ``jobs`` Ray actors on CPUs (which the tasks are fused into), or by one actor per GPU
    up to ``jobs``."""
    import ray

    from fastmel.corpus.compute import Features

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
    ds = _dataset(rows, config, jobs, cuda=config.device.startswith("cuda"))
    by_key = {i.key: i for i in todo}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        for j, key in enumerate(batch["key"]):
            item = by_key[str(key)]
            if batch["status"][j] == "ok":
                data = np.load(io.BytesIO(batch["npy"][j]))
                yield item, Features(item, data, float(batch["sr"][j]), float(batch["seconds"][j]))
            else:
                yield item, error_row(item, str(batch["reason"][j]))
