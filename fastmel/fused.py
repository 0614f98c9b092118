"""Optional Triton kernels for CUDA: two kernels around the FFT instead of six.

PyTorch's ops cost a small mel spectrogram on a GPU a fill and a copy (padding), a windowed
copy of the frames, the FFT, a squaring pass and a split-K GEMM with its reduction. Here:

- ``frames``: pad (any ``pad_mode``), frame and window in one pass, from the raw signal;
- the FFT (``torch.fft.rfft``, cuFFT);
- ``power_mel``: ``|X|^2`` (or ``sqrt(|X|^2 + eps)``) and the mel projection in one kernel,
  each block of filters summing only over the FFT bins its filters cover (the bank is
  banded), in IEEE float32 (no TF32).

Used by :class:`fastmel.MelSpectrogram` on CUDA for float32 modules with power 1 or 2 when
Triton imports, outside autograd and ``torch.compile`` (which fuses by itself); everything
else, and every machine without Triton, runs the PyTorch ops. ``available()`` says which.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import numpy as np
import torch

__all__ = ["FusedMel", "available", "runs_on"]

PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2}
BLOCK_FRAMES, BLOCK_MELS, BLOCK_BINS = 32, 16, 32


#: Run the kernels on CPU tensors too (tests only: needs ``TRITON_INTERPRET=1`` set before
#: Triton is first imported, so that Triton's interpreter executes them).
interpret_on_cpu = False


@functools.cache
def _kernels() -> Any:
    """The kernels module (compiled on first launch), or None where Triton is absent or broken."""
    try:
        return importlib.import_module(f"{__package__}._triton")
    except Exception:  # ImportError, or a Triton that does not match this torch
        return None


def available() -> bool:
    """Whether Triton imports here (the kernels also need a CUDA device, see runs_on)."""
    return _kernels() is not None


def runs_on(device: torch.device) -> bool:
    """Whether modules built for ``device`` use the kernels: CUDA with Triton (or the CPU
    under Triton's interpreter when ``interpret_on_cpu`` is set)."""
    if device.type == "cpu":
        return interpret_on_cpu and available()
    return device.type == "cuda" and available()


class FusedMel:
    """The constants and launches of the fused path for one module (float32, CUDA).

    Parameters
    ----------
    window : torch.Tensor [shape=(n_fft,)]
    basis : np.ndarray [shape=(n_mels, 1 + n_fft // 2)]
        The module's float32 mel basis (its band structure is read here once).
    power : {1.0, 2.0}
    mag_eps : float
        Added under the square root when ``power == 1``.
    """

    def __init__(self, window: torch.Tensor, basis: torch.Tensor, power: float, mag_eps: float):
        self.window = window
        self.n_mels, self.n_bins = basis.shape
        self.basis_t = basis.T.contiguous()  # (n_bins, n_mels)
        self.magnitude, self.eps = power == 1.0, float(mag_eps)
        nz = basis.cpu().numpy() != 0
        blocks = -(-self.n_mels // BLOCK_MELS)
        lo, hi = np.zeros(blocks, np.int32), np.zeros(blocks, np.int32)
        for b in range(blocks):
            cols = np.flatnonzero(nz[b * BLOCK_MELS : (b + 1) * BLOCK_MELS].any(axis=0))
            if cols.size:
                lo[b], hi[b] = cols[0], cols[-1] + 1
        self.lo = torch.from_numpy(lo).to(window.device)
        self.hi = torch.from_numpy(hi).to(window.device)

    def frames(self, y: torch.Tensor, n_frames: int, hop: int, pad: int, pad_mode: str):
        """Windowed frames ``(rows, n_frames, n_fft)`` of ``y`` ``(rows, n)`` (contiguous)."""
        k = _kernels()
        n_fft = self.window.shape[0]
        out = torch.empty(y.shape[0], n_frames, n_fft, device=y.device, dtype=torch.float32)
        block = min(1024, k.triton.next_power_of_2(n_fft))
        grid = (y.shape[0] * n_frames, k.triton.cdiv(n_fft, block))
        k.frames_kernel[grid](y, self.window, out, y.shape[1], n_frames, hop, pad, n_fft,
                            MODE=PAD_MODES[pad_mode], BLOCK=block)  # fmt: skip
        return out

    def power_mel(self, X: torch.Tensor) -> torch.Tensor:
        """Mel spectrum ``(..., n_mels, k)`` of the complex spectrum ``X`` ``(..., k, n_bins)``."""
        k = _kernels()
        x = torch.view_as_real(X.contiguous())
        rows = x.numel() // (2 * self.n_bins)
        out = torch.empty(X.shape[:-1] + (self.n_mels,), device=X.device, dtype=torch.float32)
        grid = (k.triton.cdiv(rows, BLOCK_FRAMES), k.triton.cdiv(self.n_mels, BLOCK_MELS))
        k.power_mel_kernel[grid](x, self.basis_t, self.lo, self.hi, out, rows, self.n_mels,
                               self.n_bins, self.eps, MAGNITUDE=self.magnitude,
                               BLOCK_R=BLOCK_FRAMES, BLOCK_M=BLOCK_MELS,
                               BLOCK_F=BLOCK_BINS)  # fmt: skip
        return out.transpose(-1, -2)
