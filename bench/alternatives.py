"""``python -m bench alternatives``: the latency issue's alternatives to eager torch ops,
measured on the same call (Wav2Lip settings, 1 s, one thread), hot and in a pipeline, in
one interleaved run with the seed's recipe and librosa:

- fastmel as shipped (eager ops, the flat route);
- the same ops called from C++ (a ``torch.utils.cpp_extension`` built here: no Python
  between the ops, the dispatcher still between each);
- ``torch.compile`` of the module (inductor's CPU code, default mode).

Printed: each one's build or first-call time, and the medians with their ratios."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

SOURCE = r"""
#include <torch/extension.h>
#include <vector>
// The flat route's ops (MelSpectrogram._flat) in one C++ call.
torch::Tensor mel_flat(torch::Tensor y, torch::Tensor win, std::vector<torch::Tensor> blocks,
                       std::vector<int64_t> lo, std::vector<int64_t> hi, int64_t pad,
                       int64_t n_fft, int64_t hop) {
  auto X = at::fft_rfft(at::constant_pad_nd(y, {pad, pad}).unfold(-1, n_fft, hop) * win);
  auto S = X.view(at::kFloat);
  S.mul_(S);
  auto St = S.t();
  std::vector<torch::Tensor> parts;
  for (size_t g = 0; g < blocks.size(); ++g)
    parts.push_back(at::mm(blocks[g], St.slice(0, lo[g], hi[g])));
  return at::cat(parts);
}
"""


def run() -> list[str]:
    from torch.utils.cpp_extension import load_inline

    import fastmel
    from bench.peers import SETTINGS, build
    from bench.timing import OtherWork, speech, threads, time_interleaved

    lines = []
    setting = SETTINGS["wav2lip"]
    y = torch.from_numpy(speech(setting.sr, 1.0, 1))
    module = fastmel.MelSpectrogram(**setting.kwargs())
    fns: dict[str, Any] = {"fastmel (eager)": lambda: module(y)}
    with threads(1), torch.inference_mode():
        module(y)
        route = module.route(y)
        assert route.plan is not None
        plan = module._banded.plans[route.plan]
        t = time.perf_counter()
        try:
            ext = load_inline(
                "fastmel_alternative_probe",
                cpp_sources=SOURCE,
                functions=["mel_flat"],
                extra_cflags=["-O2"],
            )
        except Exception as e:  # (no compiler: said, and the others still timed)
            lines.append(f"C++ extension: not built ({type(e).__name__}: {e})"[:300])
        else:
            lines.append(f"C++ extension: built in {time.perf_counter() - t:.1f} s")
            args = (
                [p for _, _, p in plan],
                [lo for lo, _, _ in plan],
                [hi for _, hi, _ in plan],
                module.config.pad,
                module.config.n_fft,
                module.config.hop_length,
            )
            assert torch.equal(ext.mel_flat(y, module.window, *args), module(y))
            fns["C++ extension (same ops)"] = lambda: ext.mel_flat(y, module.window, *args)
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
        hot = time_interleaved(fns, budget_s=1.5, rounds=9, max_calls=400)
        piped = time_interleaved(fns, budget_s=1.5, rounds=9, max_calls=400, between=OtherWork())
    med = {k: (float(np.median(hot[k])) * 1e6, float(np.median(piped[k])) * 1e6) for k in fns}
    base, recipe, lib = (med[k][1] for k in ("fastmel (eager)", "torch recipe (eager)", "librosa"))
    for name, (h, p) in med.items():
        lines.append(
            f"| {name} | {h:.1f} us | {p:.1f} us | x{p / base:.2f} | {p / recipe:.2f} "
            f"| {p / lib:.3f} |"
        )
    return lines
