"""``python -m bench alternatives``: the latency issue's alternatives to eager torch ops,
measured on the same call (Wav2Lip settings, 1 s, one thread), hot and in a pipeline, in
one interleaved run with the seed's recipe and librosa:

- fastmel as shipped (eager ops, the flat route);
- fastmel with its optional native op (``fastmel.ops.native``: the same ops called from
  C++, built here by ``torch.utils.cpp_extension``; no Python between the ops, the
  dispatcher still between each);
- ``torch.compile`` of the module (inductor's CPU code, default mode).

Printed: each one's build or first-call time, and the medians with their ratios."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch


def run(budget_s: float = 1.5) -> list[str]:
    import fastmel
    from bench.peers import SETTINGS, build
    from bench.timing import OtherWork, speech, threads, time_interleaved
    from fastmel.ops import native

    lines = []
    setting = SETTINGS["wav2lip"]
    y = torch.from_numpy(speech(setting.sr, 1.0, 1))
    module = fastmel.MelSpectrogram(**setting.kwargs())
    module.native = False  # (as shipped)
    fns: dict[str, Any] = {"fastmel (eager)": lambda: module(y)}
    with threads(1), torch.inference_mode():
        t = time.perf_counter()
        try:
            native.build()
        except RuntimeError as e:  # (no compiler: said, and the others still timed)
            lines.append(str(e)[:300])
        else:
            lines.append(f"native op: built (or loaded) in {time.perf_counter() - t:.1f} s")
            with_op = fastmel.MelSpectrogram(**setting.kwargs())
            assert torch.equal(with_op(y), module(y)) and torch.equal(with_op(y), module(y))
            fns["fastmel (native op)"] = lambda: with_op(y)
        compiled = torch.compile(
            fastmel.MelSpectrogram(**setting.kwargs()), dynamic=False, fullgraph=True
        )
        t = time.perf_counter()
        compiled(y)
        lines.append(f"torch.compile: first call {time.perf_counter() - t:.1f} s")
        fns["torch.compile (inductor, CPU)"] = lambda: compiled(y)
        for name in ("torch recipe (eager)", "librosa"):
            fns[name] = build(name, setting, y.numpy(), "cpu")
        lines += [
            "",
            "| implementation | hot | pipeline | x eager (pipeline) "
            "| over the recipe (pipeline) | over librosa (pipeline) |",
            "|---|---|---|---|---|---|",
        ]
        hot = time_interleaved(fns, budget_s=budget_s, rounds=9, max_calls=400)
        piped = time_interleaved(
            fns, budget_s=budget_s, rounds=9, max_calls=400, between=OtherWork()
        )
    native.disable()  # (the process goes on as shipped)
    med = {k: (float(np.median(hot[k])) * 1e6, float(np.median(piped[k])) * 1e6) for k in fns}
    base, recipe, lib = (med[k][1] for k in ("fastmel (eager)", "torch recipe (eager)", "librosa"))
    for name, (h, p) in med.items():
        lines.append(
            f"| {name} | {h:.1f} us | {p:.1f} us | x{p / base:.2f} | {p / recipe:.2f} "
            f"| {p / lib:.3f} |"
        )
    return lines
