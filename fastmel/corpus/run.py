"""``fastmel.extract``: a corpus's features into an output directory, resumable, every input
accounted for in the manifest, on the local engine or on Ray Data."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastmel.core.errors import ParameterError
from fastmel.corpus.compute import Computer, Features
from fastmel.corpus.config import CONFIG_FILE, ExtractConfig
from fastmel.corpus.index import Index
from fastmel.corpus.inputs import Item, collect
from fastmel.corpus.journal import JOURNAL_FILE, MANIFEST_FILE, Journal
from fastmel.corpus.local import Outcome, compute, run_local
from fastmel.corpus.sinks import FEATURES_DIR, SHARDS_DIR, sink

__all__ = ["ENGINES", "Summary", "extract", "iter_features"]

ENGINES = ("local", "ray")


@dataclasses.dataclass
class Summary:
    """What a run did.

    Attributes
    ----------
    done, skipped, failed : int
        Inputs computed in this run, found complete from an earlier run, and failed.
    seconds : float
        Audio seconds computed in this run.
    wall : float
        The run's duration, seconds.
    manifest : str
        The manifest: one row per input (ok with where its features are, or the error).
    failures : list of (str, str)
        The first failures, (key, reason).
    """

    done: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    wall: float = 0.0
    manifest: str = ""
    failures: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return self.done + self.skipped + self.failed

    def __str__(self) -> str:
        rate = self.seconds / self.wall if self.wall else 0.0
        return (
            f"{self.done} done, {self.skipped} already done, {self.failed} failed; "
            f"{self.seconds / 3600:.2f} h of audio in {self.wall:.1f} s ({rate:.0f}x real time)"
        )


class _Progress:
    """A progress bar on stderr (tqdm): files done of the inputs' total (counted in a
    thread while the run starts, so that the first output does not wait for it), the
    hours of audio done, the speed and the time left."""

    def __init__(self, specs: list[Any]) -> None:
        from tqdm import tqdm

        self.bar = tqdm(unit="file", dynamic_ncols=True, file=sys.stderr)
        self.total: int | None = None
        self.start = time.perf_counter()
        self.counting = threading.Thread(target=self._count, args=(specs,), daemon=True)
        self.counting.start()

    def _count(self, specs: list[Any]) -> None:
        try:  # (no check of repeated keys here: the run's own pass makes it)
            self.total = sum(1 for _ in collect(specs, claim=lambda key: True))
        except Exception:  # (a bad input: the run's pass reports it)
            pass

    def _show_total(self) -> None:
        if self.total is not None and self.bar.total is None:
            self.bar.total = self.total

    def update(self, summary: Summary) -> None:
        self._show_total()
        self.bar.update(1)
        speed = summary.seconds / max(time.perf_counter() - self.start, 1e-9)
        self.bar.set_postfix_str(
            f"{summary.seconds / 3600:.2f} h audio, {speed:.0f}x real time, {summary.failed} failed"
        )

    def close(self) -> None:
        self.counting.join(timeout=1.0)  # (a run quicker than the count: shown at the end)
        self._show_total()
        self.bar.close()


def _progress(enabled: bool | None, specs: list[Any]) -> _Progress | None:
    """A progress bar on a terminal (tqdm), else None."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return None
    return _Progress(specs)


def _reset(directory: str) -> None:
    """Remove what an earlier extraction wrote (``overwrite``), and nothing else."""
    for name in (FEATURES_DIR, SHARDS_DIR):
        shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
    for name in (CONFIG_FILE, JOURNAL_FILE, MANIFEST_FILE):
        try:
            os.unlink(os.path.join(directory, name))
        except FileNotFoundError:
            pass


def extract(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    preset: str | None = None,
    sr: float | None = None,
    db: bool = False,
    format: str = "npy",
    float16: bool = False,
    device: str = "cpu",
    engine: str = "local",
    jobs: int | None = None,
    overwrite: bool = False,
    retry_failed: bool = False,
    strict: bool = False,
    progress: bool | None = None,
    shard_bytes: int = 256 << 20,
    **options: Any,
) -> Summary:
    """Extract the features of every input into ``out``.

    Parameters
    ----------
    inputs : path or iterable of paths
        Audio files, directories (searched recursively), globs, manifests (.txt, .csv,
        .tsv, .jsonl, Kaldi's wav.scp with its segments): see
        :func:`fastmel.corpus.inputs.collect`.
    out : path
        The output directory: ``config.json``, ``manifest.jsonl`` (one row per input),
        and ``features/<key>.npy`` or ``shards/part-NNNNN.parquet``.
    preset : str, optional
        A model's front end (``fastmel.preset``); default: a librosa mel spectrogram.
    sr : float, optional
        Resample to this rate (default: the preset's, or each file's own).
    db : bool
        Store decibels of the mel spectrogram (``power_to_db``; not with a preset).
    format : {"npy", "parquet"}
        A tree of .npy files named by the inputs' keys, or Parquet shards.
    float16 : bool
        Store float16.
    device : str
        Where the features are computed: ``"cpu"``, or ``"cuda"`` (``"cuda:N"``) where
        torch sees a GPU; decoding and resampling stay in the CPU workers.
    engine : {"local", "ray"}
        Worker processes on this machine, or Ray Data (a local Ray, or the cluster at
        ``RAY_ADDRESS``).
    jobs : int, optional
        Workers (default: the CPU cores; 1 computes in this process).
    overwrite : bool
        Start afresh: remove an earlier extraction's outputs in ``out`` first.
    retry_failed : bool
        Compute again the inputs an earlier run failed on (those it did are kept).
    strict : bool
        Stop at the first failure.
    progress : bool, optional
        Show a progress bar (default: on a terminal).
    shard_bytes : int
        Parquet: features per shard, bytes (about).
    **options
        The preset's options, or the mel spectrogram's keywords (``n_mels=80``...).

    Returns
    -------
    Summary
    """
    start = time.perf_counter()
    if engine not in ENGINES:
        raise ParameterError(f"engine={engine!r} must be one of {ENGINES}")
    if engine == "ray":
        try:
            import ray.data  # noqa: F401
        except ImportError:
            raise ParameterError(
                "engine 'ray' needs Ray Data: pip install 'fastmel[ray]'"
            ) from None
    config = ExtractConfig(preset, options, sr, db, format, float16, device)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise ParameterError(f"jobs={jobs} must be at least 1")
    directory = os.fspath(out)
    if overwrite:
        _reset(directory)
    config.claim(directory)
    # (the keys and rows live in an index on disk: memory stays flat over any manifest)
    index = Index(directory)
    journal = Journal(directory, index)
    index.add(journal.rows())
    output = sink(
        format, directory, **({"shard_bytes": shard_bytes} if format == "parquet" else {})
    )
    output.clean(index.shards())
    summary = Summary(manifest=journal.manifest)
    specs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)

    def todo() -> Iterator[Item]:
        for item in collect(specs, claim=index.claim):
            row = index.row(item.key)
            if row is not None and (row["status"] == "ok" or not retry_failed):
                if row["status"] == "ok":
                    summary.skipped += 1
                else:
                    summary.failed += 1
                    if len(summary.failures) < 20:
                        summary.failures.append((item.key, row["reason"]))
                continue
            yield item

    bar = _progress(progress, specs)
    try:
        if engine == "local":
            outcomes = run_local(
                todo(),
                config,
                jobs=jobs,
                stop=lambda: strict and summary.failed > 0,
                directory=directory,
            )
        else:
            from fastmel.corpus.ray_engine import run_ray

            outcomes = run_ray(todo(), config, jobs=jobs)
        for item, result in outcomes:
            if isinstance(result, Features):
                journal.append(output.write(result))
                summary.done += 1
                summary.seconds += result.seconds
            else:
                journal.append([result])
                summary.failed += 1
                if len(summary.failures) < 20:
                    summary.failures.append((item.key, result["reason"]))
            if bar is not None:
                bar.update(summary)
            if strict and summary.failed:
                break
        journal.append(output.flush())
        journal.compact()
    finally:
        journal.close()
        index.close()
        if bar is not None:
            bar.close()
    summary.wall = time.perf_counter() - start
    return summary


def iter_features(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    preset: str | None = None,
    sr: float | None = None,
    db: bool = False,
    **options: Any,
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """``(key, features, metadata)`` of each input, in this process, for pipelines of your
    own; a failed input gives ``features`` None and its ``reason`` in the metadata."""
    config = ExtractConfig(preset, options, sr, db)
    computer = Computer(config)
    specs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    for item in collect(specs):
        got: Outcome = compute(computer, item)
        result = got[1]
        if isinstance(result, Features):
            yield (
                item.key,
                result.data,
                {"path": item.path, "sr": result.sr, "seconds": result.seconds},
            )
        else:
            yield item.key, None, {"path": item.path, "reason": result["reason"]}
