"""An optional C++ op for the common CPU call (``MelSpectrogram``'s flat route with a plan
of groups): the same ATen ops as the eager route, in the same order, called from C++.

Its output is the eager route's, bit for bit; what it saves is Python between the ops,
which a call between other work (a model's step) pays for with cold caches. It is built
on request by :func:`build` with ``torch.utils.cpp_extension`` (a C++ compiler and ninja;
once per torch version, then loaded from torch's extensions cache); until then, and
wherever it cannot be built, the eager ops run.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import torch

__all__ = ["build", "disable", "enabled", "mel_plan"]

SOURCE = r"""
#include <torch/extension.h>
#include <vector>

// MelSpectrogram._flat with a plan of groups: pad, frames, window, rFFT, |X|^2 through a
// real view squared in place, then one product per group over the transposed spectrum.
torch::Tensor mel_plan(const torch::Tensor& y, const torch::Tensor& window, int64_t pad,
                       int64_t n_fft, int64_t hop, const std::vector<torch::Tensor>& blocks,
                       const std::vector<int64_t>& lo, const std::vector<int64_t>& hi) {
  auto x = pad ? at::constant_pad_nd(y, {pad, pad}) : y;
  auto X = at::fft_rfft(x.unfold(-1, n_fft, hop) * window, c10::nullopt, -1);
  auto S = X.view(window.scalar_type());
  S.mul_(S);
  bool flat = S.dim() == 2;
  auto St = (flat ? S : S.reshape({-1, S.size(-1)})).t();
  std::vector<torch::Tensor> parts;
  parts.reserve(blocks.size());
  for (size_t g = 0; g < blocks.size(); ++g)
    parts.push_back(at::mm(blocks[g], St.slice(0, lo[g], hi[g])));
  auto out = parts.size() == 1 ? parts[0] : at::cat(parts);
  if (flat) return out;
  std::vector<int64_t> lead(S.sizes().begin(), S.sizes().end() - 1);
  return out.unflatten(1, lead).movedim(0, -2);
}
"""

_op: Any = None  # (the built extension while enabled)
_built: Any = None
_lock = threading.Lock()


def build(*, verbose: bool = False) -> None:
    """Build the op (or load it from torch's extensions cache) and use it from now on.

    Raises
    ------
    RuntimeError
        It cannot be built here (no C++ compiler, no ninja, no torch headers), saying why;
        the eager ops go on running.
    """
    global _op, _built
    with _lock:
        if _built is None:
            from torch.utils.cpp_extension import load_inline

            digest = hashlib.sha256((SOURCE + torch.__version__).encode()).hexdigest()[:12]
            try:
                _built = load_inline(
                    f"fastmel_native_{digest}",
                    cpp_sources=SOURCE,
                    functions=["mel_plan"],
                    extra_cflags=["-O2"],
                    verbose=verbose,
                )
            except Exception as e:
                reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
                raise RuntimeError(f"fastmel's native op cannot be built here: {reason}") from e
        _op = _built


def disable() -> None:
    """Go back to the eager ops (the built op stays loaded for :func:`build`)."""
    global _op
    _op = None


def enabled() -> bool:
    """Whether calls take the native op where it applies."""
    return _op is not None


def mel_plan(
    y: torch.Tensor,
    window: torch.Tensor,
    pad: int,
    n_fft: int,
    hop: int,
    plan: tuple[list[torch.Tensor], list[int], list[int]],
) -> torch.Tensor:
    """The flat route's mel spectrogram of ``y`` ``(..., n) -> (..., n_mels, frames)``
    with the plan's (blocks, first columns, end columns)."""
    return _op.mel_plan(y, window, pad, n_fft, hop, *plan)
