"""The real DFT as matrix products, for ONNX exports.

Under ``torch.onnx.export`` the module computes the spectrum of its windowed frames with
:func:`rdft_pairs` instead of ``rfft``: ONNX Runtime's ``DFT`` is not accurate enough for
librosa parity at the non-power-of-two sizes models use (800, 400). The graph then holds
matrix products, elementwise ops and reshapes only, which every ONNX runtime has.

Rather than one product with the whole ``(n_fft, n_fft + 2)`` DFT matrix, ``n_fft = n1 * n2``
is split as in one Cooley-Tukey step: ``n2`` DFTs of length ``n1``, twiddle factors, then
``n1`` DFTs of length ``n2``, as batched products of small matrices. Each sum is then about
``sqrt(n_fft)`` terms long instead of ``n_fft`` (so about as accurate as an FFT, where the
one-matrix product is several times less), the work ``n1 + n2`` instead of ``n_fft``
multiply-adds per sample, and the constants a few kB instead of megabytes. Constants are
built in float64 and rounded once to the frames' dtype when the graph is traced.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["rdft_pairs", "split"]


def split(n: int) -> tuple[int, int]:
    """``(n1, n2)`` with ``n1 * n2 == n`` and ``n1 >= n2`` as close as can be (``(n, 1)``
    for a prime)."""
    n2 = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
    return n // n2, n2


def _dft_matrix(n: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """``cos`` and ``-sin`` of ``2 pi j k / n``, shape ``(n, n_out)`` (rows j, columns k),
    float64; ``j * k`` is reduced modulo ``n`` in integers first, so each angle is one
    rounding away from exact."""
    turns = np.outer(np.arange(n), np.arange(n_out)) % n
    angle = (2 * np.pi / n) * turns
    return np.cos(angle), -np.sin(angle)


def rdft_pairs(x: torch.Tensor) -> torch.Tensor:
    """Real and imaginary parts of ``torch.fft.rfft(x, dim=-1)``, by matrix products.

    Parameters
    ----------
    x : torch.Tensor [shape=(..., n)]
        Real frames (already windowed).

    Returns
    -------
    pairs : torch.Tensor [shape=(..., 1 + n // 2, 2)]
        ``torch.view_as_real`` of the one-sided spectrum, in ``x``'s dtype.
    """
    n = x.shape[-1]
    n1, n2 = split(n)
    m2 = n2 // 2 + 1  # bins k = k1 + n1 * k2 up to n // 2 need only k2 <= n2 // 2

    def const(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(device=x.device, dtype=x.dtype)

    # x[n2 * j1 + j2] as a (j1, j2) matrix; first n2 DFTs of length n1 over j1 (x is real)
    c1, s1 = _dft_matrix(n1, n1)
    xm = x.unflatten(-1, (n1, n2))
    a_re, a_im = const(c1.T) @ xm, const(s1.T) @ xm  # (..., k1, j2)
    # twiddle factors exp(-2 pi i j2 k1 / n)
    tc, ts = (const(t[:n1]) for t in _dft_matrix(n, n2))
    b_re, b_im = a_re * tc - a_im * ts, a_re * ts + a_im * tc
    # then n1 DFTs of length n2 over j2, giving bin k1 + n1 * k2 at (k1, k2)
    c2, s2 = (const(t) for t in _dft_matrix(n2, m2))
    re = b_re @ c2 - b_im @ s2
    im = b_re @ s2 + b_im @ c2
    pairs = torch.stack([re, im], dim=-1).transpose(-3, -2)  # (..., k2, k1, 2): bin order
    return pairs.flatten(-3, -2)[..., : n // 2 + 1, :]
