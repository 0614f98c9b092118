"""``python -m bench pipeline``: each CPU scenario timed two ways in one run: back to back
(hot: code, constants and buffers stay in cache) and in a pipeline (each call preceded by
other work, :class:`bench.timing.OtherWork`: a small model's forward pass and a sweep of
32 MB, as a real-time user calls the features between a model's steps). Peers take turns
in shuffled order in both modes (``bench/timing.py``); one thread.

Scenarios: ``python -m bench run``'s CPU ones at one thread (each CPU setting, Wav2Lip's,
Whisper's and HiFi-GAN's, over 40 ms to 60 s, one item and a batch of 16) against librosa,
the seed's ``torch.stft`` recipe and the other installed peers; and a 40 ms
``MelStream.push`` (Wav2Lip) against recomputing the module over its last window and
against the push's floor: the rfft of the frames it completes, ``|X|^2`` and one product
with the mel basis. The bars of the latency issue are judged in the pipeline.

``--against REV`` adds fastmel as it was at commit REV (``bench/revision.py``) to every
scenario, timed in the same interleaved run: an A/B of a change, hot and in a pipeline."""

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

OFFLINE_SECONDS = (0.04, 0.2, 1.0, 10.0, 60.0)
BATCHES = (1, 16)
NATIVE = "fastmel (native op)"
NATIVE_PUSH = "fastmel MelStream.push (native op)"
# The bars (in a pipeline, one thread): fastmel's time over each peer's, at most this; the
# 1 s and push bars are also judged for the optional native ops (fastmel.ops.native).
BARS = {
    ("wav2lip, 1 s", "fastmel", "torch recipe (eager)"): 0.6,
    ("wav2lip, 1 s", "fastmel", "librosa"): 0.15,
    ("wav2lip, 1 s", NATIVE, "torch recipe (eager)"): 0.6,
    ("wav2lip, 1 s", NATIVE, "librosa"): 0.15,
    ("wav2lip stream, 640-sample push", "fastmel MelStream.push", "naive recompute"): 0.7,
    ("wav2lip stream, 640-sample push", "fastmel MelStream.push", "push floor"): 1.5,
    ("wav2lip stream, 640-sample push", NATIVE_PUSH, "naive recompute"): 0.7,
    ("wav2lip stream, 640-sample push", NATIVE_PUSH, "push floor"): 1.5,
}
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


def offline(
    setting_name: str,
    seconds: float,
    budget_s: float,
    batch: int = 1,
    against: Any = None,
    native: bool = False,
) -> dict:
    from bench.peers import SETTINGS, Unavailable, build
    from bench.timing import speech

    setting = SETTINGS[setting_name]
    y = speech(setting.sr, seconds, batch)
    fns, skipped = {}, {}
    for name in PEERS:
        try:
            fns[name] = build(name, setting, y, "cpu")
        except Unavailable as e:
            skipped[name] = str(e)
    yt = torch.from_numpy(y)
    if native:  # (built by run(): this module takes it, the "fastmel" peer does not)
        with_op = fastmel.MelSpectrogram(**setting.kwargs())
        fns[NATIVE] = lambda: with_op(yt)
    if against is not None:
        previous = against.MelSpectrogram(**setting.kwargs())
        fns[_at(against)] = lambda: previous(yt)
    return {
        "scenario": f"{setting_name}, {seconds:g} s" + (f", batch {batch}" if batch > 1 else ""),
        "setting": setting_name,
        "seconds": seconds,
        "batch": batch,
        "rows": _modes(fns, "fastmel", budget_s),
        "skipped": skipped,
    }


def _at(against: Any) -> str:
    """The peer name of fastmel at another commit."""
    return "fastmel at " + against.__name__.removeprefix("fastmel_at_")


def stream(budget_s: float, against: Any = None, native: bool = False) -> dict:
    """A 40 ms push (Wav2Lip's settings) against the naive recompute and the floor."""
    from bench.peers import SETTINGS
    from bench.timing import STREAM_CHUNK_S, cycling_push, speech

    setting = SETTINGS["wav2lip"]
    chunk = int(round(STREAM_CHUNK_S * setting.sr))
    y = torch.from_numpy(speech(setting.sr, 30.0, 1))
    module = fastmel.MelSpectrogram(**setting.kwargs())
    module.native = False  # (as shipped)
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
    if native:  # (built by run(): this stream's module takes it)
        fns[NATIVE_PUSH] = cycling_push(
            fastmel.MelStream(fastmel.MelSpectrogram(**setting.kwargs())), chunks
        )
    if against is not None:
        previous = against.MelStream(against.MelSpectrogram(**setting.kwargs()))
        fns[_at(against) + " MelStream.push"] = cycling_push(previous, chunks)
    return {
        "scenario": f"wav2lip stream, {chunk}-sample push",
        "rows": _modes(fns, "fastmel MelStream.push", budget_s),
        "skipped": {},
    }


def run(out: Path | None = None, budget_s: float = 1.5, against: str | None = None) -> dict:
    """Every scenario, hot and in a pipeline; returns (and writes to ``out``) the record.
    ``against``: a commit whose fastmel is timed beside this one's."""
    from bench.peers import SETTINGS
    from bench.run import cpu_model, git_commit, versions
    from bench.timing import threads

    previous = None
    if against is not None:
        from bench.revision import load

        previous = load(against)
    from fastmel.ops import native as native_op

    native, why = True, None
    try:
        native_op.build()
    except RuntimeError as e:  # (no compiler: the other peers are still timed)
        native, why = False, str(e)
    scenarios = []
    try:
        with threads(1):
            for name in SETTINGS:
                for batch in BATCHES:
                    for seconds in OFFLINE_SECONDS:
                        scenarios.append(offline(name, seconds, budget_s, batch, previous, native))
                        print(scenarios[-1]["scenario"], file=sys.stderr, flush=True)
            scenarios.append(stream(budget_s, previous, native))
    finally:
        native_op.disable()  # (the process goes on as shipped)
    record = {
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "threads": 1,
        "versions": versions(),
        "against": None if previous is None else _at(previous),
        "native": why or "built",
        "scenarios": scenarios,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def bars(record: dict) -> list[str]:
    """The latency issue's bars, judged in the pipeline, with the hot figures beside."""
    lines = [
        "| scenario | time of | over | hot | pipeline | bar (pipeline) |",
        "|---|---|---|---|---|---|",
    ]
    for (scenario, subject, peer), bar in BARS.items():
        sc = next((s for s in record["scenarios"] if s["scenario"] == scenario), None)
        rows = {r["peer"]: r for r in sc["rows"]} if sc else {}
        if subject not in rows or peer not in rows:
            continue
        a, b = rows[subject], rows[peer]
        hot = a["hot_median_us"] / b["hot_median_us"]
        piped = a["pipeline_median_us"] / b["pipeline_median_us"]
        verdict = "met" if piped <= bar else "NOT met"
        lines.append(
            f"| {scenario} | {subject} | {peer} | {hot:.2f} | {piped:.2f} | <= {bar} {verdict} |"
        )
    return lines


def plot(record: dict, path: Path) -> None:
    """Time per call against audio length, hot (solid) and in a pipeline (dashed), for
    fastmel and the peers of each setting at batch 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = list(dict.fromkeys(s["setting"] for s in record["scenarios"] if "setting" in s))
    fig, axes = plt.subplots(
        1, len(settings), figsize=(5 * len(settings), 4.8), squeeze=False, layout="constrained"
    )
    everyone = dict.fromkeys(r["peer"] for s in record["scenarios"] for r in s["rows"])
    colors = {peer: "k" if peer == "fastmel" else f"C{i}" for i, peer in enumerate(everyone)}
    for ax, setting in zip(axes[0], settings, strict=True):
        chosen = [s for s in record["scenarios"] if s.get("setting") == setting and s["batch"] == 1]
        peers = list(dict.fromkeys(r["peer"] for s in chosen for r in s["rows"]))
        for peer in peers:
            color = colors[peer]
            for mode, ls in (("hot", "-"), ("pipeline", "--")):
                pts = [
                    (s["seconds"], r[f"{mode}_median_us"])
                    for s in chosen
                    for r in s["rows"]
                    if r["peer"] == peer
                ]
                if pts:
                    xs, ys = zip(*pts, strict=True)
                    label = f"{peer}, {mode}"
                    ax.plot(xs, ys, ls=ls, marker="o", ms=3, color=color, label=label)
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="audio length (s)",
            ylabel="time per call (us)",
            title=f"{setting}, 1 thread, batch 1",
        )
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=7)
    fig.suptitle(f"{record['cpu']}: hot (solid) and in a pipeline (dashed)")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def report(record: dict) -> str:
    """The record as Markdown: the bars judged in the pipeline, then every scenario's
    hot and in-pipeline figures side by side."""
    lines = [
        "One thread. Hot: calls back to back. Pipeline: each call after other "
        "work (a small convolutional model's forward pass and a 32 MB sweep). Median time "
        "per call, and its ratio to fastmel's in the same mode."
        + (
            f" `{record['against']}`: fastmel at that commit, in the same run."
            if record.get("against")
            else ""
        ),
        "",
        "Bars (fastmel's time over the peer's, one thread):",
        "",
        *bars(record),
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
