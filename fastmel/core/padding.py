"""Edge padding as ``np.pad`` makes it (librosa's centring), in torch, for every mode
``librosa.stft`` takes.

``F.pad`` covers only the common cases (constant, a single reflection, edge); NumPy also
reflects a signal shorter than the pad over and over, and has ``symmetric`` and
``linear_ramp``. The module uses these functions where ``F.pad`` differs, the stream for its
left pad (once) and right pad (at flush).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["PAD_MODES", "edge_samples", "pad_after", "pad_before", "pad_both"]

# librosa.stft's modes, less "empty" (undefined values) and callables; it refuses "wrap",
# "maximum", "mean", "median" and "minimum".
PAD_MODES = ("constant", "reflect", "edge", "symmetric", "linear_ramp")

# np.pad's linear ramp is np.linspace(end_value, edge, p, endpoint=False), whose dtype NumPy
# promotes from a 0-d float64 start and the edge. NumPy 2 computes it in float64. NumPy 1's
# value-based casting does too for a 1-D signal (a 0-d edge), but in float32 for a float32
# signal of more dimensions (the 0-d start then does not promote the edge array): the two
# differ by an ulp at some samples.
_NUMPY1_RAMPS = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def edge_samples(mode: str, p: int) -> int:
    """Samples at an edge that a pad of ``p`` reads (a stream holds that many before making
    its left pad, and keeps that many for its right pad): none for zeros, one for the edge
    value, ``p`` for a symmetric and ``p + 1`` for a reflected copy."""
    if not p:
        return 0
    return {"reflect": p + 1, "symmetric": p, "edge": 1, "linear_ramp": 1}.get(mode, 0)


def pad_after(s: torch.Tensor, p: int, mode: str, ramp: torch.Tensor | None = None) -> torch.Tensor:
    """The ``p`` samples ``np.pad(s, (0, p), mode)`` appends along the last axis.

    ``ramp`` is ``arange(p)`` in float64 (float32 on MPS) on ``s``'s device, for
    ``linear_ramp`` only (a constant the caller keeps).
    """
    n = s.shape[-1]
    if mode == "constant":
        return s.new_zeros(s.shape[:-1] + (p,))
    if mode == "linear_ramp":
        # np.linspace(0, edge, p, endpoint=False) reversed: i * (edge / p), computed in
        # float64 and rounded once to s's dtype (in float32 where NumPy 1 does, see above).
        assert ramp is not None and ramp.shape[-1] == p
        if _NUMPY1_RAMPS and s.dtype == torch.float32 and s.dim() > 1:
            ramp = ramp.to(s.dtype)
        edge = s[..., -1:].to(ramp.dtype)
        return (ramp * (edge / p)).to(s.dtype).flip(-1)
    if mode == "edge" or n == 1:  # (one sample reflects onto itself)
        return s[..., -1:].expand(s.shape[:-1] + (p,))
    reflect = mode == "reflect"  # reflect skips the edge sample, symmetric repeats it
    if p <= n - reflect:
        return s[..., n - reflect - p : n - reflect].flip(-1)
    # NumPy reflects again and again: a periodic continuation of s and its mirror image.
    period = [s[..., :-1].flip(-1), s[..., 1:]] if reflect else [s.flip(-1), s]
    repeats = -(-p // (2 * (n - reflect)))
    return torch.cat(period * repeats, dim=-1)[..., :p]


def pad_before(
    s: torch.Tensor, p: int, mode: str, ramp: torch.Tensor | None = None
) -> torch.Tensor:
    """The ``p`` samples ``np.pad(s, (p, 0), mode)`` prepends along the last axis."""
    # Mirror the edge that any mode reads (at most p + 1 samples, or all of a short s).
    return pad_after(s[..., : p + 1].flip(-1), p, mode, ramp).flip(-1)


def pad_both(
    s: torch.Tensor,
    p: int,
    mode: str,
    ramp: torch.Tensor | None = None,
    tail: int | None = None,
) -> torch.Tensor:
    """``np.pad(s, p, mode)`` along the last axis; the right pad is made from the last
    ``tail`` samples only when given (librosa's right edge, see ``MelConfig.tail_slice``)."""
    right = pad_after(s if tail is None else s[..., -tail:], p, mode, ramp)
    return torch.cat([pad_before(s, p, mode, ramp), s, right], dim=-1)
