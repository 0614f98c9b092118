"""``python -m bench soak``: push an hour of audio (or ``--minutes``) through one stream in
40 ms chunks, as fast as it goes, and report per audio minute the push latency and the
process's memory, then the drift from the first minute to the last and the stream's
largest difference from the offline module. A stream's state is O(n_fft): neither should
grow."""

from __future__ import annotations

import resource
import time
from importlib import resources

import numpy as np
import torch

import fastmel


def _rss_mb() -> float:
    """The process's resident memory now (Linux), else its peak, in MB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def soak(minutes: float = 60.0, chunk_ms: float = 40.0, preset: str = "wav2lip") -> dict:
    """Push ``minutes`` of speech through ``MelStream(preset(preset))``; returns the rows
    (per audio minute: median and p99 push latency in us, the process's memory in MB) and
    the summary; each push's frames are compared with the offline output as they come, so
    that nothing accumulates."""
    torch.set_num_threads(1)
    module = fastmel.preset(preset)
    sr = int(type(module).audio_rate())
    with resources.as_file(resources.files("fastmel") / "data" / "speech.wav") as path:
        speech, _ = fastmel.load(path, sr=sr)
    chunk = round(chunk_ms * sr / 1000)
    per_minute = max(1, round(60 * sr / chunk))
    n_chunks = max(1, round(minutes * per_minute))
    audio = torch.from_numpy(np.resize(speech, n_chunks * chunk))  # (the sample, tiled)
    offline = module(audio)  # (computed first: each push is compared as it comes)
    peak = float(offline.abs().max())
    stream = fastmel.MelStream(module)
    rows: list[dict[str, float]] = []
    latencies: list[float] = []
    done, err = 0, 0.0
    for i, piece in enumerate(audio.split(chunk)):
        t0 = time.perf_counter()
        frames = stream.push(piece)
        latencies.append(time.perf_counter() - t0)
        k = frames.shape[-1]
        if k:
            err = max(err, float((frames - offline[..., done : done + k]).abs().max()))
        done += k
        if (i + 1) % per_minute == 0 or i + 1 == n_chunks:
            us = np.array(latencies) * 1e6
            rows.append(
                {
                    "minute": len(rows) + 1,
                    "median_us": float(np.median(us)),
                    "p99_us": float(np.percentile(us, 99)),
                    "rss_mb": _rss_mb(),
                }
            )
            latencies = []
    last_frames = stream.flush()
    if last_frames.shape[-1]:
        err = max(err, float((last_frames - offline[..., done:]).abs().max()))
    err /= peak
    first, last = rows[0], rows[-1]
    summary = {
        "preset": preset,
        "audio_minutes": n_chunks * chunk / sr / 60,
        "pushes": n_chunks,
        "latency_drift": last["median_us"] / first["median_us"],
        "rss_growth_mb": last["rss_mb"] - first["rss_mb"],
        "max_rel_err": err,
    }
    return {"rows": rows, "summary": summary}


def report(result: dict) -> str:
    """The soak's table and summary as text."""
    lines = [
        "| audio minute | median push | p99 push | memory |",
        "|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['minute']} | {r['median_us']:.1f} us | {r['p99_us']:.1f} us "
            f"| {r['rss_mb']:.0f} MB |"
        )
    s = result["summary"]
    lines.append("")
    lines.append(
        f"{s['preset']}: {s['audio_minutes']:.2f} min of audio in {s['pushes']} pushes; "
        f"median latency last/first minute {s['latency_drift']:.2f}x; memory growth "
        f"{s['rss_growth_mb']:+.1f} MB; max |stream - offline| / max |offline| "
        f"{s['max_rel_err']:.3g}"
    )
    return "\n".join(lines)
