"""The local engine: items decoded, resampled and computed in worker processes (one torch
thread each), outputs written as they finish, at most a few items per worker in flight so
that memory does not grow with the number of inputs."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastmel.corpus.compute import Computer, Features, ItemError
from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.inputs import Item
from fastmel.corpus.sinks import FEATURES_DIR, NpySink

__all__ = ["Computed", "Outcome", "compute", "error_row", "run_local"]

#: What one item gives: its features, its error row, or the rows of its features once
#: written (by a worker that writes .npy files itself).
Outcome = tuple[Item, "Features | dict[str, Any] | list[dict[str, Any]]"]
#: What computing one item gives: its features, or its error row.
Computed = tuple[Item, "Features | dict[str, Any]"]

_computer: Computer | None = None  # (each worker's, built once by _start)
_sink: NpySink | None = None  # (and where it writes .npy files, if it does)


def error_row(item: Item, reason: str) -> dict[str, Any]:
    """The journal row of an item that failed."""
    return {
        "key": item.key,
        "path": item.path,
        "offset": item.offset,
        "duration": item.duration,
        "status": "error",
        "reason": reason,
    }


def _start(config: ExtractConfig, directory: str | None) -> None:
    import torch

    global _computer, _sink
    torch.set_num_threads(1)  # (one thread per worker: no oversubscription)
    spool = None if directory is None else os.path.join(directory, FEATURES_DIR)
    _computer = Computer(config, spool)
    # .npy outputs are written by the worker that computed them (no copy to the main
    # process); Parquet rows go to the main process's shards
    _sink = NpySink(directory) if directory is not None and config.format == "npy" else None


def compute(computer: Computer, item: Item) -> Computed:
    """``item``'s features, or its error row (never raises for the item's own faults)."""
    try:
        return item, computer(item)
    except ItemError as e:
        return item, error_row(item, str(e))
    except MemoryError:
        return item, error_row(item, "out of memory")
    except RuntimeError as e:  # (torch's out of memory, and others: named, not fatal)
        return item, error_row(item, f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")


def _task(item: Item) -> Outcome:
    assert _computer is not None
    outcome = compute(_computer, item)
    if _sink is not None and isinstance(outcome[1], Features):
        return item, _sink.write(outcome[1])
    return outcome


def run_local(
    items: Iterable[Item],
    config: ExtractConfig,
    *,
    jobs: int,
    stop: Callable[[], bool],
    directory: str | None = None,
) -> Iterator[Outcome]:
    """Each item's outcome, in the items' order (``jobs`` <= 1: computed in this process).

    ``stop()`` is asked after each outcome: True stops submitting and ends the run. With
    ``directory``, .npy outputs are written there by the workers (long files streamed).
    """
    if jobs <= 1:
        _start(config, directory)
        for item in items:
            yield _task(item)
            if stop():
                return
        return
    context = multiprocessing.get_context("spawn")  # (no fork of a process with threads)
    with cf.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start, initargs=(config, directory)
    ) as pool:
        # Outcomes in the inputs' order (so that shards are the same whatever the number of
        # workers), with at most a few items per worker in flight.
        window: collections.deque[tuple[Item, cf.Future[Outcome] | None]] = collections.deque()
        iterator = iter(items)
        # The first item is computed here while the workers start (each imports torch
        # first): the first output comes as soon as this process can give it.
        first = next(iterator, None)
        if first is not None:
            window.append((first, None))
        while True:
            while len(window) < 4 * jobs:
                following = next(iterator, None)
                if following is None:
                    break
                window.append((following, pool.submit(_task, following)))
            if not window:
                return
            item, future = window.popleft()
            if future is None:
                _start(config, directory)
                yield _task(item)
            else:
                try:
                    yield future.result()
                except Exception as e:  # (a worker that died: the item is reported, not lost)
                    yield item, error_row(item, f"worker failed: {type(e).__name__}: {e}")
            if stop():
                for _, other in window:
                    if other is not None:
                        other.cancel()
                return
