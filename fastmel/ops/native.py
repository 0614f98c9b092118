"""Optional C++ ops for the common CPU calls: ``MelSpectrogram``'s flat route with a plan of
groups (the same ATen ops as the eager route, in the same order, called from C++), and a
``MelStream`` push of a short chunk (its frames windowed by hand straight from the stream's
buffer and the chunk, then the eager push's rfft and product).

Their outputs are the eager routes', bit for bit; what they save is Python and dispatched
small ops between the transforms and products, which a call between other work (a model's
step) pays for with cold caches. They are built on request by :func:`build` with
``torch.utils.cpp_extension`` (a C++ compiler and ninja; once per torch version, then
loaded from torch's extensions cache); until then, and wherever they cannot be built, the
eager ops run.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import torch

__all__ = ["build", "disable", "enabled", "mel_plan", "mel_push"]

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

// MelStream's push of chunk x (..., nx) after its buffer (..., nb), which starts at padded
// index buf_start; next_frame is the next frame to emit and n_in the samples pushed so far.
// Returns the frames x completes and the stream's new (buffer, next_frame, buf_start, n_in),
// or no frames (None), with nothing done, where the eager push must run instead: x is not
// a plain chunk of this stream (dtype, device, autograd, leading shape), is max_chunk
// samples or longer, or makes more than max_rows rows (another product, or blocks).
// The frames are windowed by hand into one tensor (the eager push's cat, slices and window
// product in one pass: a float product is the same wherever it is computed), then go
// through the eager push's rfft, in-place square and product: all of S by `full` up to
// full_max_rows rows, else S's band by `one`.
std::tuple<torch::Tensor, torch::Tensor, int64_t, int64_t, int64_t> mel_push(
    const torch::Tensor& buf_in, const torch::Tensor& x_in, int64_t next_frame,
    int64_t buf_start, int64_t n_in, int64_t edge, int64_t n_fft, int64_t hop,
    int64_t max_chunk, const torch::Tensor& window, const torch::Tensor& full,
    const torch::Tensor& one, int64_t lo, int64_t cols, int64_t full_max_rows,
    int64_t max_rows) {
  const std::tuple<torch::Tensor, torch::Tensor, int64_t, int64_t, int64_t> refused{
      torch::Tensor(), buf_in, next_frame, buf_start, n_in};
  int64_t dim = x_in.dim();
  if (dim < 1 || dim != buf_in.dim() || x_in.scalar_type() != window.scalar_type() ||
      buf_in.scalar_type() != window.scalar_type() || !x_in.device().is_cpu() ||
      x_in.requires_grad() || x_in.size(-1) >= max_chunk)
    return refused;
  for (int64_t d = 0; d < dim - 1; ++d)
    if (x_in.size(d) != buf_in.size(d)) return refused;
  int64_t nb = buf_in.size(-1), nx = x_in.size(-1), len = nb + nx;
  int64_t first = next_frame * hop - buf_start;
  std::vector<int64_t> lead(x_in.sizes().begin(), x_in.sizes().end() - 1);
  int64_t rows = 1;
  for (auto d : lead) rows *= d;
  int64_t k = len - first >= n_fft ? (len - first - n_fft) / hop + 1 : 0;
  if (rows == 0 || rows * k > max_rows) return refused;
  auto buf = buf_in.is_contiguous() ? buf_in : buf_in.contiguous();
  auto x = x_in.is_contiguous() ? x_in : x_in.contiguous();
  int64_t keep = std::max<int64_t>(0, std::min(first + k * hop, len - edge));
  auto shape = lead;
  shape.push_back(len - keep);
  auto kept = at::empty(shape, buf.options());
  torch::Tensor out;
  if (k > 0) {
    shape = lead;
    shape.push_back(k);
    shape.push_back(n_fft);
    auto frames = at::empty(shape, buf.options());
    AT_DISPATCH_FLOATING_TYPES(buf.scalar_type(), "mel_push", [&] {
      const scalar_t* b = buf.data_ptr<scalar_t>();
      const scalar_t* v = x.data_ptr<scalar_t>();
      const scalar_t* w = window.data_ptr<scalar_t>();
      scalar_t* f = frames.data_ptr<scalar_t>();
      for (int64_t r = 0; r < rows; ++r) {
        const scalar_t* br = b + r * nb;
        const scalar_t* vr = v + r * nx;
        for (int64_t t = 0; t < k; ++t) {
          int64_t s = first + t * hop;
          scalar_t* fr = f + (r * k + t) * n_fft;
          int64_t in_buf = std::max<int64_t>(0, std::min(n_fft, nb - s));
          for (int64_t i = 0; i < in_buf; ++i) fr[i] = br[s + i] * w[i];
          for (int64_t i = in_buf; i < n_fft; ++i) fr[i] = vr[s + i - nb] * w[i];
        }
      }
    });
    auto S = at::fft_rfft(frames, c10::nullopt, -1).view(window.scalar_type());
    AT_DISPATCH_FLOATING_TYPES(S.scalar_type(), "mel_push_power", [&] {
      scalar_t* p = S.data_ptr<scalar_t>();
      for (int64_t i = 0, n = S.numel(); i < n; ++i) p[i] *= p[i];
    });
    out = (rows * k <= full_max_rows ? at::matmul(S, full)
                                      : at::matmul(S.narrow(-1, lo, cols), one)).mT();
  } else {
    shape = lead;
    shape.push_back(full.size(1));
    shape.push_back(0);
    out = at::empty(shape, buf.options());
  }
  AT_DISPATCH_FLOATING_TYPES(buf.scalar_type(), "mel_push_keep", [&] {
    const scalar_t* b = buf.data_ptr<scalar_t>();
    const scalar_t* v = x.data_ptr<scalar_t>();
    scalar_t* q = kept.data_ptr<scalar_t>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = keep; j < len; ++j)
        q[r * (len - keep) + j - keep] = j < nb ? b[r * nb + j] : v[r * nx + j - nb];
  });
  return {out, kept, next_frame + k, buf_start + keep, n_in + nx};
}
"""

_op: Any = None  # (the built extension while enabled)
#: The push op while the ops are enabled, else None: called as ``mel_push(buf, chunk,
#: next_frame, buf_start, n_in, edge, n_fft, hop, max_chunk, *constants)`` by
#: ``MelStream.push`` (``constants``: ``MelSpectrogram.push_constants()``). A plain
#: attribute, so that a push pays one read to find it.
mel_push: Any = None
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
    global _op, _built, mel_push
    with _lock:
        if _built is None:
            from torch.utils.cpp_extension import load_inline

            digest = hashlib.sha256((SOURCE + torch.__version__).encode()).hexdigest()[:12]
            try:
                _built = load_inline(
                    f"fastmel_native_{digest}",
                    cpp_sources=SOURCE,
                    functions=["mel_plan", "mel_push"],
                    extra_cflags=["-O2"],
                    verbose=verbose,
                )
            except Exception as e:
                reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
                raise RuntimeError(f"fastmel's native op cannot be built here: {reason}") from e
        _op = _built
        mel_push = _built.mel_push


def disable() -> None:
    """Go back to the eager ops (the built op stays loaded for :func:`build`)."""
    global _op, mel_push
    _op = mel_push = None


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
