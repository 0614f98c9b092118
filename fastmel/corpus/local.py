"""The local engine: items decoded and resampled in worker processes (which never import
torch), their features computed and written in this process as they arrive, in the items'
order, with at most a few items per worker in flight so that memory does not grow with the
number of inputs."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.decode import ItemError, open_blocks, read_audio
from fastmel.corpus.inputs import Item

if TYPE_CHECKING:  # (importing compute imports torch, which the workers never do)
    from fastmel.corpus.compute import Computer, Features

__all__ = ["Outcome", "compute", "compute_decoded", "decode", "error_row", "run_local"]

#: What one item gives: its features or its error row.
Outcome = tuple[Item, "Features | dict[str, Any]"]
#: What a worker gives for one item: its samples and rate, its error row, or None for an
#: item this process reads itself (a long file whose features are streamed).
Decoded = tuple[Item, "tuple[Any, float] | dict[str, Any] | None"]

_rate: float | None = None  # (each worker's: the rate audio is resampled to)
_stream_samples: int | None = None  # (and the length from which a file is left to stream)


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


def _failure(item: Item, e: BaseException) -> dict[str, Any]:
    """The error row of an item whose own fault ``e`` is (not fatal to the run)."""
    if isinstance(e, ItemError):
        return error_row(item, str(e))
    if isinstance(e, MemoryError):
        return error_row(item, "out of memory")
    # (torch's out of memory, and others: named)
    return error_row(item, f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")


_FAULTS = (ItemError, MemoryError, RuntimeError)


def compute(computer: Computer, item: Item) -> Outcome:
    """``item``'s features, or its error row (never raises for the item's own faults)."""
    try:
        return item, computer(item)
    except _FAULTS as e:
        return item, _failure(item, e)


def _start(rate: float | None, stream_samples: int | None) -> None:
    global _rate, _stream_samples
    _rate, _stream_samples = rate, stream_samples


def decode(item: Item, rate: float | None, stream_samples: int | None) -> Decoded:
    """``item``'s samples at ``rate`` and their rate, its error row, or None where it has
    more than ``stream_samples`` samples (left to be streamed). Never imports torch."""
    try:
        blocks = open_blocks(item, rate)
        if stream_samples is not None and blocks.n_samples > stream_samples:
            return item, None
        return item, read_audio(blocks)
    except _FAULTS as e:
        return item, _failure(item, e)


#: Why a run stops when its first worker dies as it starts (before any item).
STARTUP_DIED = (
    "fastmel extract's worker processes die as they start. They are spawned: a script that "
    'calls fastmel.extract must do so under `if __name__ == "__main__":` (or pass jobs=1)'
)


def _ready() -> bool:
    """In a worker: nothing (it has started)."""
    return True


def _decode(item: Item) -> Decoded:
    """In a worker: :func:`decode` at the rate and length its initializer set."""
    return decode(item, _rate, _stream_samples)


def compute_decoded(computer: Computer, item: Item, decoded: Any) -> Outcome:
    """``item``'s outcome from what :func:`decode` gave for it: the features of its
    samples, its error row as it is, or (None: a long file) the item read here."""
    if decoded is None:
        return compute(computer, item)
    if isinstance(decoded, dict):
        return item, decoded
    try:
        return item, computer.features(item, *decoded)
    except _FAULTS as e:
        return item, _failure(item, e)


def run_local(
    items: Iterable[Item],
    config: ExtractConfig,
    *,
    jobs: int,
    stop: Callable[[], bool],
    directory: str | None = None,
) -> Iterator[Outcome]:
    """Each item's outcome, in the items' order (``jobs`` <= 1: all in this process).

    ``stop()`` is asked after each outcome: True stops submitting and ends the run. With
    ``directory``, long files' .npy outputs are streamed there (in bounded memory).
    """
    import torch

    from fastmel import streamfile
    from fastmel.corpus.compute import Computer
    from fastmel.corpus.sinks import FEATURES_DIR

    spool = None if directory is None else os.path.join(directory, FEATURES_DIR)
    computer = Computer(config, spool)
    if jobs <= 1:
        with _one_thread(torch):
            for item in items:
                yield compute(computer, item)
                if stop():
                    return
        return
    streamed = streamfile.STREAM_SAMPLES if computer.spool is not None else None
    n_threads = feature_threads(jobs, config.device)
    with (
        _Decoders(jobs, (config.rate, streamed)) as decoders,
        cf.ThreadPoolExecutor(n_threads) if n_threads else contextlib.nullcontext() as threads,
        _one_thread(torch),
    ):
        # Outcomes in the inputs' order (so that shards are the same whatever the number of
        # workers), with at most a few items per worker in flight; each item's features
        # are computed once a worker has decoded it, by a thread here or (no threads) by
        # this one when the item's turn comes.
        window: collections.deque[tuple[Item, cf.Future[Decoded], cf.Future[Outcome] | None]]
        window = collections.deque()
        iterator = iter(items)
        while True:
            while len(window) < 4 * jobs:
                following = next(iterator, None)
                if following is None:
                    break
                decoding = decoders.submit(following)
                computing = (
                    None
                    if threads is None
                    else threads.submit(_features, computer, decoders, following, decoding)
                )
                window.append((following, decoding, computing))
            if not window:
                return
            item, decoding, computing = window.popleft()
            if computing is None:
                yield _features(computer, decoders, item, decoding)
            else:
                yield computing.result()
            if stop():
                for _, *futures in window:
                    for future in futures:
                        if future is not None:
                            future.cancel()
                return


class _Decoders:
    """The decoding workers. A worker that dies (a decoder's crash on a bad file) breaks
    its pool: the next item gets a new pool, and each item the broken one held is decoded
    again alone, so that only the item that kills a worker fails."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...]) -> None:
        self.jobs, self.initargs = jobs, initargs
        self.lock = threading.Lock()
        self.pool = self._pool(jobs)
        # (the first task: if the first pool breaks before any worker has run it, the
        # workers die as they start, which is no item's fault; see check_start)
        self.ready = self.pool.submit(_ready)

    def _pool(self, jobs: int) -> cf.ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # (no fork of a process with threads)
        return cf.ProcessPoolExecutor(
            jobs, mp_context=context, initializer=_start, initargs=self.initargs
        )

    def check_start(self) -> None:
        """After a pool broke: RuntimeError (STARTUP_DIED) if no worker ever started."""
        try:
            self.ready.result()
        except BrokenProcessPool:
            raise RuntimeError(STARTUP_DIED) from None

    def submit(self, item: Item) -> cf.Future[Decoded]:
        with self.lock:
            try:
                return self.pool.submit(_decode, item)
            except BrokenProcessPool:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.check_start()
                self.pool = self._pool(self.jobs)
                return self.pool.submit(_decode, item)

    def alone(self, item: Item) -> Decoded:
        """``item`` decoded by a worker of its own (after its pool broke)."""
        with self._pool(1) as pool:
            try:
                return pool.submit(_decode, item).result()
            except BrokenProcessPool:
                return item, error_row(item, "the worker decoding it died (the decoder crashed)")

    def __enter__(self) -> _Decoders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def feature_threads(jobs: int, device: str) -> int:
    """The threads computing features beside ``jobs`` decoding workers: one for a GPU (its
    work overlaps this thread's writing), and on CPUs one per three workers (decoding and
    resampling take about twice the features' CPU time); none, below three: this thread
    computes them, as a thread of their own would only cost a hand-over per item."""
    return 1 if device.startswith("cuda") else jobs // 3


def _features(
    computer: Computer, decoders: _Decoders, item: Item, decoding: cf.Future[Decoded]
) -> Outcome:
    """In a thread here: the features of ``item`` once ``decoding`` has its audio."""
    try:
        decoded = decoding.result()[1]
    except BrokenProcessPool:  # (a worker died, on this item or another: once more alone)
        decoders.check_start()
        decoded = decoders.alone(item)[1]
    except Exception as e:  # (anything else: the item is reported, not lost)
        return item, error_row(item, f"worker failed: {type(e).__name__}: {e}")
    return compute_decoded(computer, item, decoded)  # (a long file: streamed here)


@contextlib.contextmanager
def _one_thread(torch: Any) -> Iterator[None]:
    """torch on one thread while the engine runs (the workers have the other cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
