"""An interleaved timer: peers take turns in shuffled order, each call timed on its own."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable

import numpy as np
import torch


def sync_for(device: str) -> Callable[[], None]:
    """A function that waits for queued device work (a no-op on CPU)."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


def time_interleaved(
    fns: dict[str, Callable[[], object]],
    *,
    budget_s: float = 2.0,
    rounds: int = 7,
    warmup: int = 3,
    max_calls: int = 400,
    sync: Callable[[], None] = lambda: None,
    seed: int = 0,
    block: int = 1,
    between: Callable[[], object] | None = None,
) -> dict[str, np.ndarray]:
    """Per-call times in seconds for each function.

    Every function is warmed up, then ``rounds`` rounds run all functions in a freshly
    shuffled order; in each round a function runs ``n`` calls back to back, timed in blocks
    of ``block`` calls ended by ``sync()`` (each sample: the block's time over ``block``),
    with ``n`` set from the warm-up so that all rounds fit ``budget_s`` per function.
    Machine noise then hits all peers alike and medians are comparable. On a GPU, blocks
    of several calls measure what a pipeline of calls costs, not one round trip's latency.

    With ``between`` (other work: see :class:`OtherWork`), each timed block is preceded by
    a call of it, untimed: the function then runs as in a real-time pipeline, between a
    model's work, with cold caches, rather than back to back.
    """
    est = {}
    for name, fn in fns.items():
        for i in range(warmup + 1):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            est[name] = max(time.perf_counter() - t0, 1e-7)
            if est[name] > 0.2 and i >= 1:  # slow calls need less warming up
                break
    if max(est.values()) * rounds > 4 * budget_s:
        rounds = 3  # very slow peers: fewer rounds, still interleaved
    calls = {name: int(np.clip(budget_s / rounds / t, 1, max_calls)) for name, t in est.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for name in order:
            fn, out = fns[name], times[name]
            for _ in range(max(1, calls[name] // block)):
                if between is not None:
                    between()
                sync()
                t0 = time.perf_counter()
                for _ in range(block):
                    fn()
                sync()
                out.append((time.perf_counter() - t0) / block)
    return {name: np.array(v) for name, v in times.items()}


STREAM_CHUNK_S = 0.04


class OtherWork:
    """What a real-time pipeline does between two feature calls: a small model's forward
    pass (three 1-D convolutions over 80 x 100 features, a talking-head or voice model's
    scale) and a sweep over ``sweep_mb`` MB of other data (a frame, a batch), which
    evicts the caches as a model and its inputs do."""

    def __init__(self, sweep_mb: int = 32, device: str = "cpu") -> None:
        channels = 256
        self.model = torch.nn.Sequential(
            torch.nn.Conv1d(80, channels, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Conv1d(channels, channels, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Conv1d(channels, 80, 3, padding=1),
        ).to(device)
        self.x = torch.randn(1, 80, 100, device=device)
        self.data = torch.ones(sweep_mb * 2**20 // 4, device=device)

    def __call__(self) -> float:
        with torch.inference_mode():
            self.model(self.x)
            return float(self.data.sum())  # (reads every byte)


def speech(sr: int, seconds: float, batch: int) -> np.ndarray:
    """The bundled speech sample at rate ``sr``, tiled to ``seconds``; items are shifted."""
    from importlib import resources

    from fastmel.io import load

    with resources.as_file(resources.files("fastmel") / "data" / "speech.wav") as path:
        y, _ = load(path, sr=sr)
    n = max(1, int(round(seconds * sr)))
    tiled = np.resize(y, n + batch * 997)
    items = np.stack([tiled[i * 997 : i * 997 + n] for i in range(batch)])
    return np.ascontiguousarray(items if batch > 1 else items[0], dtype=np.float32)


@contextlib.contextmanager
def threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(n)
    with limits:
        try:
            yield
        finally:
            torch.set_num_threads(old)


def timing_records(times: dict[str, np.ndarray], base: str, fields: dict) -> list[dict]:
    """Median, p90, p99 (us) and ratio to ``base`` of each peer's per-call times."""
    base_median = float(np.median(times[base])) if base in times else None
    return [
        dict(
            fields,
            peer=name,
            median_us=float(np.median(t)) * 1e6,
            p90_us=float(np.percentile(t, 90)) * 1e6,
            p99_us=float(np.percentile(t, 99)) * 1e6,
            calls=len(t),
            ratio_to_fastmel=float(np.median(t)) / base_median if base_median else None,
        )
        for name, t in times.items()
    ]


def cycling_push(stream, chunks: list[torch.Tensor]):
    """A function pushing the next chunk into ``stream``, starting over after the last."""
    state = {"i": 0}

    def push():
        if state["i"] == len(chunks):
            stream.reset()
            state["i"] = 0
        state["i"] += 1
        return stream.push(chunks[state["i"] - 1])

    return push
