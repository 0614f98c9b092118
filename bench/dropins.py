"""``python -m bench dropins``: each ``fastmel.transformers`` extractor against its
transformers parent on the same ragged batch of speech, in one interleaved run
(``bench/timing.py``), one thread.

Peers per extractor: the parent as transformers runs it (its torch path where it has one,
else NumPy), the parent's NumPy path (Whisper's, forced by hiding torch from it), and
fastmel's subclass. Reported: median time per batch, each peer's ratio to fastmel's, and
the largest difference of the features from the parent's."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

BATCH_SECONDS = (1.3, 2.7, 0.45, 2.0, 4.1, 3.3, 1.0, 5.0)


@contextlib.contextmanager
def _numpy_path(module: Any) -> Iterator[None]:
    """The extractor module's parent class takes its NumPy path (torch hidden from it)."""
    saved = module.is_torch_available
    module.is_torch_available = lambda: False
    try:
        yield
    finally:
        module.is_torch_available = saved


def run(out: Path | None = None, budget_s: float = 3.0) -> dict:
    """Time every drop-in against its parent; returns (and writes to ``out``) the record."""
    import torch
    import transformers
    from transformers.models.whisper import feature_extraction_whisper

    import fastmel.transformers as ft
    from bench.run import cpu_model, git_commit, versions
    from bench.timing import threads, time_interleaved
    from tests.signals import make_signal

    batch = [
        make_signal("speech", 16000, s, seed=i).astype(np.float32)
        for i, s in enumerate(BATCH_SECONDS)
    ]
    kw: dict[str, Any] = dict(sampling_rate=16000, return_tensors="np")
    rows = []
    with threads(1):
        for name in ft.__all__:
            if name == "AutoFeatureExtractor":
                continue
            parent, ours = getattr(transformers, name)(), getattr(ft, name)()
            fns: dict[str, Callable[[], Any]] = {
                "transformers": functools.partial(parent, batch, **kw),
                "fastmel": functools.partial(ours, batch, **kw),
            }
            if name == "WhisperFeatureExtractor":

                def numpy_path(p: Any = parent) -> Any:
                    with _numpy_path(feature_extraction_whisper):
                        return p(batch, **kw)

                fns["transformers (NumPy)"] = numpy_path
            reference = parent(batch, **kw)
            key = next(iter(reference))
            errors = {
                peer: float(np.abs(np.asarray(fn()[key], np.float64) - reference[key]).max())
                for peer, fn in fns.items()
            }
            with torch.inference_mode():
                times = time_interleaved(fns, budget_s=budget_s)
            medians = {peer: float(np.median(t)) for peer, t in times.items()}
            rows.append(
                {
                    "extractor": name,
                    "median_s": medians,
                    "ratio_to_fastmel": {p: m / medians["fastmel"] for p, m in medians.items()},
                    "max_abs_diff": errors,
                }
            )
    record = {
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "threads": 1,
        "batch_seconds": list(BATCH_SECONDS),
        "versions": {**versions(), "transformers": transformers.__version__},
        "rows": rows,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def report(record: dict) -> str:
    """The record as a Markdown table."""
    lines = [
        f"Batch of {len(record['batch_seconds'])} items "
        f"({sum(record['batch_seconds']):g} s of speech, ragged), 1 thread; "
        "time per batch (median), ratio to fastmel's time, max |features - parent's|.",
        "",
        "| extractor | peer | median | ratio | max diff |",
        "|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        for peer, median in row["median_s"].items():
            lines.append(
                f"| {row['extractor']} | {peer} | {median * 1e3:.2f} ms "
                f"| x{row['ratio_to_fastmel'][peer]:.2f} | {row['max_abs_diff'][peer]:.2g} |"
            )
    return "\n".join(lines)
