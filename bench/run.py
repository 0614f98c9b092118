"""Run the benchmark scenarios and write ``bench/results/<machine>.json``."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

import fastmel
from bench.peers import NOTES, PEERS, SETTINGS, UNCENTRED, Setting, Unavailable, as_numpy, build
from bench.peers import reference as peer_reference
from bench.timing import (
    STREAM_CHUNK_S,
    cycling_push,
    speech,
    sync_for,
    threads,
    time_interleaved,
    timing_records,
)

RESULTS = Path(__file__).parent / "results"
LENGTHS_S = [0.04, 0.2, 1.0, 10.0, 60.0]
BATCHES = [1, 16]
STREAM_BATCHES = [1, 64]
# GPU scenarios (the GPU issue): Wav2Lip settings, larger batches, one hour of audio as a
# batch of 60 minutes, calls timed in blocks of GPU_BLOCK (synchronised after each block).
GPU_SETTINGS = ["wav2lip"]
GPU_LENGTHS_S = [0.04, 1.0, 10.0, 60.0]
GPU_BATCHES = [1, 64]
GPU_HOUR = (60.0, 60)  # (seconds, batch)
GPU_STREAM_BATCHES = [1, 64]
GPU_BLOCK = 10


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_name(device: str) -> str:
    if device.startswith("cuda"):
        model = torch.cuda.get_device_name(device)
    else:
        model = f"{cpu_model()}-{os.cpu_count()}c"
    return re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")


def git_commit() -> str | None:
    """The checkout's commit (with ``+changes`` if the tree differs from it), if in git."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty.strip() else "")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "fastmel": fastmel.__version__}
    for mod in (
        "torch",
        "triton",
        "numpy",
        "librosa",
        "nnAudio",
        "kaldi_native_fbank",
        "torchaudio",
        "scipy",
        "whisper",  # openai-whisper (bench/frontends.py)
        "transformers",
    ):
        with contextlib.suppress(Exception):
            out[mod] = __import__(mod).__version__
    return out


def rel_err(out: np.ndarray, ref: np.ndarray | None) -> float | None:
    if ref is None or out.shape != ref.shape or out.size == 0:
        return None
    return float(np.abs(out.astype(np.float64) - ref).max() / np.abs(ref).max())


def offline_scenario(
    setting: Setting,
    seconds: float,
    batch: int,
    n_threads: int,
    device: str,
    peers: list[str],
    budget_s: float,
    block: int = 1,
) -> list[dict]:
    y = speech(setting.sr, seconds, batch)
    torch._dynamo.reset()  # compiled peers: this scenario's graphs only, never the recompile limit
    fns, skipped = {}, {}
    for name in peers:
        try:
            fns[name] = build(name, setting, y, device)
        except Unavailable as e:
            skipped[name] = str(e)
    refs = {
        c: peer_reference(setting, y, "kaldi-native-fbank" if not c else "")
        for c in (True, False)
        if c or any(name in UNCENTRED for name in fns)
    }
    with threads(n_threads):
        errors = {}
        for name, fn in fns.items():
            if name != "FFT floor":
                errors[name] = rel_err(as_numpy(fn()), refs[name not in UNCENTRED])
        times = time_interleaved(fns, budget_s=budget_s, sync=sync_for(device), block=block)
    scenario = dict(
        setting=setting.name, seconds=seconds, batch=batch, threads=n_threads, device=device
    )
    records = timing_records(times, "fastmel", scenario)
    for r in records:
        r.update(max_rel_err=errors.get(r["peer"]), note=NOTES.get(r["peer"], ""))
    return records + [dict(scenario, peer=name, skipped=why) for name, why in skipped.items()]


def stream_scenario(
    setting: Setting, batch: int, device: str, budget_s: float, block: int = 1
) -> list[dict]:
    """One push of 40 ms: MelStream (and on a GPU its CUDA-graph runner) against
    recomputing the module over the last window."""
    chunk = int(round(STREAM_CHUNK_S * setting.sr))
    y = speech(setting.sr, 30.0, batch)
    yt = torch.from_numpy(y).to(device)
    module = fastmel.MelSpectrogram(**setting.kwargs()).to(device)
    chunks = list(yt.split(chunk, dim=-1))[:-1]  # equal sizes only
    # accuracy of the whole streamed signal against librosa
    stream = fastmel.MelStream(module)
    streamed = torch.cat([stream.push(c) for c in chunks] + [stream.flush()], dim=-1)
    used = y[..., : len(chunks) * chunk]
    err = rel_err(as_numpy(streamed), peer_reference(setting, used, "fastmel"))

    stream.reset()
    push = cycling_push(stream, chunks)
    state = {"j": 0, "buf": yt[..., :0]}
    window = setting.n_fft + chunk

    def naive():
        c = chunks[state["j"] % len(chunks)]
        state["j"] += 1
        state["buf"] = torch.cat([state["buf"], c], dim=-1)[..., -window:]
        return module(state["buf"])

    fns = {"fastmel MelStream.push": push, "naive (module over last n_fft + chunk)": naive}
    graph_err = None
    if device.startswith("cuda"):
        graph = fastmel.cuda_graph(fastmel.MelStream(module), chunks[0])
        graphed = torch.cat([graph.push(c).clone() for c in chunks] + [graph.flush()], dim=-1)
        graph_err = rel_err(as_numpy(graphed), peer_reference(setting, used, "fastmel"))
        graph.reset()
        fns["fastmel cuda_graph(MelStream).push"] = cycling_push(graph, chunks)
    with threads(1):  # the host thread that launches work
        times = time_interleaved(
            fns, budget_s=budget_s, rounds=11, max_calls=2000, sync=sync_for(device), block=block
        )
    scenario = dict(setting=setting.name, chunk=chunk, batch=batch, threads=1, device=device)
    records = timing_records(times, "fastmel MelStream.push", scenario)
    for r in records:
        r["max_rel_err"] = (
            graph_err
            if "cuda_graph" in r["peer"]
            else err
            if r["peer"].startswith("fastmel")
            else None
        )
    return records


def run(
    *,
    quick: bool = False,
    device: str = "cpu",
    out: Path | None = None,
    settings: list[str] | None = None,
) -> Path:
    """Run every scenario (or a quick subset) and write the JSON results; returns its path."""
    gpu = device.startswith("cuda")
    settings = settings or (GPU_SETTINGS if gpu else list(SETTINGS))
    lengths = [0.04, 1.0, 10.0] if quick else GPU_LENGTHS_S if gpu else LENGTHS_S
    batches = GPU_BATCHES if gpu else BATCHES
    thread_counts = [1] if gpu else sorted({1, os.cpu_count() or 1})
    budget = 0.6 if quick else 1.0 if gpu else 2.0
    block = GPU_BLOCK if gpu else 1
    scenarios = [(n, b, s) for n in thread_counts for b in batches for s in lengths]
    if gpu and not quick:
        scenarios.append((1, GPU_HOUR[1], GPU_HOUR[0]))
    records, streams = [], []
    started = time.time()
    for sname in settings:
        for n_threads, batch, seconds in scenarios:
            rec = offline_scenario(
                SETTINGS[sname], seconds, batch, n_threads, device, PEERS, budget, block
            )
            records += rec
            print(
                f"{sname} {seconds:g} s batch {batch} {n_threads} thr: "
                + ", ".join(
                    f"{r['peer']} {r['median_us']:.1f} us (err {r['max_rel_err'] or 0:.1e})"
                    for r in rec
                    if "median_us" in r
                ),
                file=sys.stderr,
                flush=True,
            )
    for batch in GPU_STREAM_BATCHES if gpu else STREAM_BATCHES:
        rec = stream_scenario(SETTINGS["wav2lip"], batch, device, budget, block)
        streams += rec
        print(
            f"stream batch {batch}: "
            + ", ".join(f"{r['peer']} {r['median_us']:.1f} us" for r in rec),
            file=sys.stderr,
        )
    frontends, frontend_stream = [], []
    if not gpu:  # (Wav2Lip's and Kaldi's code run on the CPU only)
        from bench.frontends import FRONTEND_LENGTHS_S, kaldi_stream_scenario, preset_scenario

        for pname in fastmel.PRESETS:
            for seconds in FRONTEND_LENGTHS_S[:1] if quick else FRONTEND_LENGTHS_S:
                rec = preset_scenario(pname, seconds, budget)
                frontends += rec
                print(
                    f"preset {pname} {seconds:g} s: "
                    + ", ".join(
                        f"{r['peer']} {r['median_us']:.1f} us" for r in rec if "median_us" in r
                    ),
                    file=sys.stderr,
                    flush=True,
                )
        for batch in STREAM_BATCHES:
            frontend_stream += kaldi_stream_scenario(budget, batch)
    name = machine_name(device)
    result = dict(
        machine=dict(
            name=name,
            cpu=cpu_model(),
            cpu_count=os.cpu_count(),
            gpu=torch.cuda.get_device_name(device) if device.startswith("cuda") else None,
            platform=platform.platform(),
        ),
        versions=versions(),
        device=device,
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        commit=git_commit(),
        command=" ".join(
            ["python -m bench run"] + (["--quick"] if quick else []) + [f"--device {device}"] * gpu
        ),
        duration_s=round(time.time() - started, 1),
        offline=records,
        streaming=streams,
        frontends=frontends,
        frontend_stream=frontend_stream,
    )
    out = out or RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out)
    return out
