"""``python -m bench pipeline``: each CPU scenario timed two ways in one run: back to back
(hot: code, constants and buffers stay in cache) and in a pipeline (each call preceded by
other work, :class:`bench.timing.OtherWork`: a small model's forward pass and a sweep of
32 MB, as a real-time user calls the features between a model's steps). Peers take turns
in shuffled order in both modes (``bench/timing.py``); one thread.

Scenarios: one item of 40 ms and of 1 s in each CPU setting (Wav2Lip's, Whisper's,
HiFi-GAN's) against librosa, the seed's ``torch.stft`` recipe and the other installed
peers; and a 40 ms ``MelStream.push`` (Wav2Lip) against recomputing the module over its
last window and against the push's floor: the rfft of the frames it completes, ``|X|^2``
and one product with the mel basis."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import fastmel

OFFLINE_SECONDS = (0.04, 1.0)
PEERS = [
    "fastmel",
    "librosa",
    "torch recipe (eager)",
    "nnAudio",
    "torchaudio",
    "kaldi-native-fbank",
    "FFT floor",
]


def _modes(fns: dict[str, Callable[[], Any]], base: str, budget_s: float) -> list[dict]:
    """Each peer's median, p90 and ratio to ``base``, hot and in a pipeline."""
    from bench.timing import OtherWork, time_interleaved

    other = OtherWork()
    with torch.inference_mode():
        hot = time_interleaved(fns, budget_s=budget_s, rounds=7, max_calls=400)
        piped = time_interleaved(fns, budget_s=budget_s, rounds=7, max_calls=400, between=other)
    rows = []
    for name in fns:
        row: dict[str, Any] = {"peer": name}
        for mode, times in (("hot", hot), ("pipeline", piped)):
            median = float(np.median(times[name]))
            row[f"{mode}_median_us"] = median * 1e6
            row[f"{mode}_p90_us"] = float(np.percentile(times[name], 90)) * 1e6
            row[f"{mode}_ratio"] = median / float(np.median(times[base]))
        rows.append(row)
    return rows


def offline(setting_name: str, seconds: float, budget_s: float) -> dict:
    from bench.peers import SETTINGS, Unavailable, build
    from bench.timing import speech

    setting = SETTINGS[setting_name]
    y = speech(setting.sr, seconds, 1)
    fns, skipped = {}, {}
    for name in PEERS:
        try:
            fns[name] = build(name, setting, y, "cpu")
        except Unavailable as e:
            skipped[name] = str(e)
    return {
        "scenario": f"{setting_name}, {seconds:g} s",
        "rows": _modes(fns, "fastmel", budget_s),
        "skipped": skipped,
    }


def stream(budget_s: float) -> dict:
    """A 40 ms push (Wav2Lip's settings) against the naive recompute and the floor."""
    from bench.peers import SETTINGS
    from bench.timing import STREAM_CHUNK_S, cycling_push, speech

    setting = SETTINGS["wav2lip"]
    chunk = int(round(STREAM_CHUNK_S * setting.sr))
    y = torch.from_numpy(speech(setting.sr, 30.0, 1))
    module = fastmel.MelSpectrogram(**setting.kwargs())
    chunks = list(y.split(chunk))[:-1]
    push = cycling_push(fastmel.MelStream(module), chunks)
    state: dict[str, Any] = {"j": 0, "buf": y[:0]}
    window = setting.n_fft + chunk

    def naive() -> torch.Tensor:
        c = chunks[state["j"] % len(chunks)]
        state["j"] += 1
        state["buf"] = torch.cat([state["buf"], c])[-window:]
        return module(state["buf"])

    # the floor: the frames a push completes (chunk / hop of them), pre-framed and
    # pre-windowed, through rfft, |X|^2 and one product with the basis
    k = chunk // setting.hop_length
    frames = y[: (k - 1) * setting.hop_length + setting.n_fft].unfold(
        0, setting.n_fft, setting.hop_length
    ) * torch.hann_window(setting.n_fft, periodic=True)
    basis = module.mel_basis.clone()

    def floor() -> torch.Tensor:
        X = torch.fft.rfft(frames)
        return basis @ (X.real.square() + X.imag.square()).T

    fns = {"fastmel MelStream.push": push, "naive recompute": naive, "push floor": floor}
    return {
        "scenario": f"wav2lip stream, {chunk}-sample push",
        "rows": _modes(fns, "fastmel MelStream.push", budget_s),
        "skipped": {},
    }


def run(out: Path | None = None, budget_s: float = 1.5) -> dict:
    """Every scenario, hot and in a pipeline; returns (and writes to ``out``) the record."""
    from bench.peers import SETTINGS
    from bench.run import cpu_model, git_commit, versions
    from bench.timing import threads

    scenarios = []
    with threads(1):
        for name in SETTINGS:
            for seconds in OFFLINE_SECONDS:
                scenarios.append(offline(name, seconds, budget_s))
                print(scenarios[-1]["scenario"], file=sys.stderr, flush=True)
        scenarios.append(stream(budget_s))
    record = {
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "threads": 1,
        "versions": versions(),
        "scenarios": scenarios,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def report(record: dict) -> str:
    """The record as a Markdown table: hot and in-pipeline figures side by side."""
    lines = [
        "One thread, one item. Hot: calls back to back. Pipeline: each call after other "
        "work (a small convolutional model's forward pass and a 32 MB sweep). Median time "
        "per call, and its ratio to fastmel's in the same mode.",
        "",
        "| scenario | peer | hot | hot ratio | pipeline | pipeline ratio |",
        "|---|---|---|---|---|---|",
    ]
    for sc in record["scenarios"]:
        for r in sc["rows"]:
            lines.append(
                f"| {sc['scenario']} | {r['peer']} | {r['hot_median_us']:.1f} us "
                f"| x{r['hot_ratio']:.2f} | {r['pipeline_median_us']:.1f} us "
                f"| x{r['pipeline_ratio']:.2f} |"
            )
        for name, why in sc["skipped"].items():
            lines.append(f"| {sc['scenario']} | {name} | skipped: {why} | | | |")
    return "\n".join(lines)
