"""``python -m bench dropins``: each drop-in against the code it replaces, on the same
speech, in one interleaved run per case (``bench/timing.py``), one thread.

- ``fastmel.transformers``: each extractor against its transformers parent on a ragged
  batch (the parent as transformers runs it, its torch path where it has one, and
  Whisper's NumPy path, forced by hiding torch from it).
- ``fastmel.torchaudio``: against torchaudio's operations as tests/references.py
  transcribes them (torchaudio itself does not install beside this torch: the
  transcription runs the same torch operations torchaudio's code runs).
- ``fastmel.lhotse``: against Lhotse's ``Fbank`` (one batch) and ``LibrosaFbank``.
- ``fastmel.nemo``: against NeMo's preprocessing steps as tests/references.py transcribes
  them, on a padded batch with lengths.

Reported: median time per call, each peer's ratio to fastmel's, and the largest
difference of the output from the replaced code's."""

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


def _array(x: Any, key: str | None = None) -> np.ndarray:
    if key is not None:
        x = x[key]
    if isinstance(x, (list, tuple)):
        x = np.concatenate([np.asarray(v, np.float64).ravel() for v in x])
    return np.asarray(x, np.float64)


def _case(
    family: str, case: str, fns: dict[str, Callable[[], Any]], budget_s: float, key: Any = None
) -> dict:
    """Time ``fns`` (fastmel's under "fastmel", the replaced code's first), compare outputs."""
    import torch

    from bench.timing import time_interleaved

    replaced = next(iter(fns))
    reference = _array(fns[replaced](), key)
    errors = {peer: float(np.abs(_array(fn(), key) - reference).max()) for peer, fn in fns.items()}
    with torch.inference_mode():
        times = time_interleaved(fns, budget_s=budget_s)
    medians = {peer: float(np.median(t)) for peer, t in times.items()}
    return {
        "family": family,
        "case": case,
        "median_s": medians,
        "ratio_to_fastmel": {p: m / medians["fastmel"] for p, m in medians.items()},
        "max_abs_diff": errors,
    }


def _transformers_rows(batch: list[np.ndarray], budget_s: float) -> list[dict]:
    import transformers
    from transformers.models.whisper import feature_extraction_whisper

    import fastmel.transformers as ft

    kw: dict[str, Any] = dict(sampling_rate=16000, return_tensors="np")
    rows = []
    for name in ft.__all__:
        if name == "AutoFeatureExtractor":
            continue
        parent, ours = getattr(transformers, name)(), getattr(ft, name)()
        call: dict[str, Any] = {} if name.startswith("Gemma") else {"sampling_rate": 16000}
        call["return_tensors"] = "np"
        fns: dict[str, Callable[[], Any]] = {
            "transformers": functools.partial(parent, batch, **call),
            "fastmel": functools.partial(ours, batch, **call),
        }
        if name == "WhisperFeatureExtractor":

            def numpy_path(p: Any = parent) -> Any:
                with _numpy_path(feature_extraction_whisper):
                    return p(batch, **kw)

            fns["transformers (NumPy)"] = numpy_path
        key = next(iter(parent(batch, **call)))
        rows.append(_case("transformers", name, fns, budget_s, key))
    return rows


def _torchaudio_rows(batch: list[np.ndarray], budget_s: float) -> list[dict]:
    import torch

    from fastmel import torchaudio as ta
    from tests import references as ref

    y = torch.from_numpy(np.stack([x[:32000] for x in batch if len(x) >= 32000]))
    one = torch.from_numpy(batch[-1])[None]
    melkwargs: dict[str, Any] = dict(n_fft=400, hop_length=160, n_mels=80)
    mel_kw: dict[str, Any] = dict(sample_rate=16000, **melkwargs)
    mel = ta.transforms.MelSpectrogram(**mel_kw)
    mfcc_kw: dict[str, Any] = dict(sample_rate=16000, n_mfcc=13, melkwargs=melkwargs)
    mfcc = ta.transforms.MFCC(**mfcc_kw)
    steps = "torchaudio's steps"
    return [
        _case(
            "torchaudio",
            f"transforms.MelSpectrogram, {tuple(y.shape)}",
            {steps: lambda: ref.torchaudio_mel_spectrogram(y, **mel_kw), "fastmel": lambda: mel(y)},
            budget_s,
        ),
        _case(
            "torchaudio",
            f"transforms.MFCC, {tuple(y.shape)}",
            {steps: lambda: ref.torchaudio_mfcc(y, **mfcc_kw), "fastmel": lambda: mfcc(y)},
            budget_s,
        ),
        _case(
            "torchaudio",
            f"compliance.kaldi.fbank, {tuple(one.shape)}",
            {
                steps: lambda: ref.torchaudio_kaldi_fbank(one[0], num_mel_bins=80),
                "fastmel": lambda: ta.compliance.kaldi.fbank(one, num_mel_bins=80),
            },
            budget_s,
        ),
    ]


def _lhotse_rows(batch: list[np.ndarray], budget_s: float) -> list[dict]:
    import lhotse
    import soxr
    from lhotse.features.librosa_fbank import LibrosaFbank

    from fastmel.lhotse import FastmelFbank, FastmelLibrosaFbank

    theirs, ours = lhotse.Fbank(), FastmelFbank()
    item = soxr.resample(batch[-1], 16000, 22050).astype(np.float32)
    librosa_theirs, librosa_ours = LibrosaFbank(), FastmelLibrosaFbank()
    return [
        _case(
            "lhotse",
            f"Fbank.extract_batch, {len(batch)} items",
            {
                "lhotse": lambda: theirs.extract_batch(batch, 16000),
                "fastmel": lambda: ours.extract_batch(batch, 16000),
            },
            budget_s,
        ),
        _case(
            "lhotse",
            f"LibrosaFbank.extract, {len(item) / 22050:g} s",
            {
                "lhotse": lambda: librosa_theirs.extract(item, 22050),
                "fastmel": lambda: librosa_ours.extract(item, 22050),
            },
            budget_s,
        ),
    ]


def _nemo_rows(batch: list[np.ndarray], budget_s: float) -> list[dict]:
    import torch

    from fastmel.nemo import AudioToMelSpectrogramPreprocessor
    from tests import references as ref

    items = [torch.from_numpy(x) for x in batch]
    y = torch.nn.utils.rnn.pad_sequence(items, batch_first=True)
    lengths = torch.tensor([len(x) for x in items])
    pre = AudioToMelSpectrogramPreprocessor(window_size=0.025, features=128, pad_to=0)
    return [
        _case(
            "nemo",
            f"AudioToMelSpectrogramPreprocessor, {len(batch)} items",
            {
                "NeMo's steps": lambda: ref.nemo_features(y, lengths),
                "fastmel": lambda: pre(y, lengths)[0],
            },
            budget_s,
        )
    ]


FAMILIES = {
    "transformers": _transformers_rows,
    "torchaudio": _torchaudio_rows,
    "lhotse": _lhotse_rows,
    "nemo": _nemo_rows,
}


def run(out: Path | None = None, budget_s: float = 3.0) -> dict:
    """Time every drop-in against the code it replaces; returns (and writes to ``out``)
    the record. A family whose library is not installed is recorded as skipped."""
    from bench.run import cpu_model, git_commit, versions
    from bench.timing import threads
    from tests.signals import make_signal

    batch = [
        make_signal("speech", 16000, s, seed=i).astype(np.float32)
        for i, s in enumerate(BATCH_SECONDS)
    ]
    rows, skipped, libraries = [], {}, {}
    with threads(1):
        for family, make in FAMILIES.items():
            try:
                rows += make(batch, budget_s)
            except ImportError as e:
                skipped[family] = f"{type(e).__name__}: {e}"
    for name in ("transformers", "lhotse"):
        with contextlib.suppress(ImportError):
            libraries[name] = __import__(name).__version__
    record = {
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "threads": 1,
        "batch_seconds": list(BATCH_SECONDS),
        "versions": {**versions(), **libraries},
        "rows": rows,
        "skipped": skipped,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def report(record: dict) -> str:
    """The record as a Markdown table."""
    lines = [
        f"Speech, 1 thread; the transformers, Lhotse and NeMo cases take a ragged batch of "
        f"{len(record['batch_seconds'])} items ({sum(record['batch_seconds']):g} s). Time per "
        "call (median), ratio to fastmel's time, max |output - the replaced code's|. "
        "torchaudio and NeMo are their operations transcribed in tests/references.py "
        "(neither installs here).",
        "",
        "| drop-in | case | peer | median | ratio | max diff |",
        "|---|---|---|---|---|---|",
    ]
    for row in record["rows"]:
        for peer, median in row["median_s"].items():
            lines.append(
                f"| {row['family']} | {row['case']} | {peer} | {median * 1e3:.2f} ms "
                f"| x{row['ratio_to_fastmel'][peer]:.2f} | {row['max_abs_diff'][peer]:.2g} |"
            )
    for family, why in record.get("skipped", {}).items():
        lines.append(f"| {family} | skipped: {why} | | | | |")
    return "\n".join(lines)
