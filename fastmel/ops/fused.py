"""Optional Triton kernels for CUDA: pad, frame and window in one pass; power and mel
projection in another.

With PyTorch ops, the frames of a centred STFT cost a fill and a copy (the padding) and a
windowed copy of the unfolded frames: three kernels. ``Frames`` writes the windowed frames
straight from the raw signal, padded with zeros, a reflection, the edge value or a
symmetric copy, in one (``python -m bench.gpu_probe`` times both).

After the FFT, PyTorch squares the spectrum and cuBLAS multiplies it by the whole basis,
zeros included, in two or three kernels. ``BandMel`` takes the power (or the magnitude)
and the projection in one, each filter summing over its own band of bins only. That wins
for the few frames of real-time calls and loses to cuBLAS for many, so it serves at most
``band_max_rows`` frames (``python -m bench.gpu_probe gemm`` times both).

:class:`fastmel.MelSpectrogram` on CUDA uses the kernels where Triton imports, outside
autograd and ``torch.compile`` (which fuses by itself), when the call is being captured in
a CUDA graph (launch cost then vanishes) or the frames hold at least ``min_samples``
samples; ``BandMel`` also needs a float32 module of power 1 or 2. Otherwise, and on every
machine without Triton (or with a Triton older than ``MIN_TRITON``), it runs the PyTorch
ops.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from fastmel.ops.projection import filter_spans
from fastmel.ops.tracing import is_compiling

__all__ = ["BandMel", "Frames", "as_if_capturing", "available", "runs_on", "wanted"]

# The modes the kernel pads (a single reflection: the caller routes shorter signals, and
# linear_ramp, to the PyTorch ops).
PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2, "symmetric": 3}

#: Eager (uncaptured) calls use the kernel from this many windowed samples on, where the
#: device time it saves outweighs a Triton launch's extra host time.
min_samples = 1 << 22

#: The power-and-projection kernel (BandMel) serves spectra of at most this many frames;
#: more take PyTorch's squaring and cuBLAS, faster there (``python -m bench.gpu_probe gemm``).
band_max_rows = 1024

#: Run the kernel on CPU tensors too (tests only: needs ``TRITON_INTERPRET=1`` set before
#: Triton is first imported, so that Triton's interpreter executes it).
interpret_on_cpu = False


#: The oldest Triton the kernel is used with (Triton 2.3's interpreter fails on it); older
#: versions get the PyTorch ops.
MIN_TRITON = (3, 3)


@functools.cache
def _kernels() -> Any:
    """The kernel module (compiled on first launch), or None where Triton is absent, older
    than MIN_TRITON or broken."""
    try:
        import triton

        if tuple(int(part) for part in triton.__version__.split(".")[:2]) < MIN_TRITON:
            return None
        return importlib.import_module(f"{__package__}._triton")
    except Exception:  # ImportError, or a Triton that does not match this torch
        return None


def available() -> bool:
    """Whether Triton imports here (the kernel also needs a CUDA device, see runs_on)."""
    return _kernels() is not None


def runs_on(device: torch.device) -> bool:
    """Whether modules built for ``device`` can use the kernel: CUDA with Triton (or the
    CPU under Triton's interpreter when ``interpret_on_cpu`` is set)."""
    if device.type == "cpu":
        return interpret_on_cpu and available()
    return device.type == "cuda" and available()


_as_if_capturing = False


@contextlib.contextmanager
def as_if_capturing() -> Iterator[None]:
    """Take the kernel's path as a CUDA-graph capture would: the runners warm up under this,
    so that the kernel is compiled and launched before capture, never during it."""
    global _as_if_capturing
    old, _as_if_capturing = _as_if_capturing, True
    try:
        yield
    finally:
        _as_if_capturing = old


def wanted(x: torch.Tensor, n_samples: int) -> bool:
    """Whether a call on ``x`` producing ``n_samples`` windowed samples should use it."""
    if x.requires_grad or is_compiling():
        return False
    capturing = _as_if_capturing or (x.is_cuda and torch.cuda.is_current_stream_capturing())
    return capturing or n_samples >= min_samples


class Frames:
    """Windowed frames of a signal, padded as ``pad_mode`` says, in one kernel.

    Parameters
    ----------
    window : torch.Tensor [shape=(n_fft,)]
        The module's window (its device and dtype are the computation's).
    """

    def __init__(self, window: torch.Tensor) -> None:
        self.window = window

    def __call__(self, y: torch.Tensor, n_frames: int, hop: int, pad: int, pad_mode: str):
        """Frames ``(rows, n_frames, n_fft)`` of ``y`` ``(rows, n)``, contiguous."""
        k = _kernels()
        n_fft = self.window.shape[0]
        out = torch.empty(y.shape[0], n_frames, n_fft, device=y.device, dtype=y.dtype)
        block = min(1024, k.triton.next_power_of_2(n_fft))
        grid = (y.shape[0] * n_frames, k.triton.cdiv(n_fft, block))
        # Triton launches on the current device and its current stream, not the tensors':
        # make them y's (a module on cuda:1 called while cuda:0 is current).
        on_device = torch.cuda.device(y.device) if y.is_cuda else contextlib.nullcontext()
        with on_device:
            k.frames_kernel[grid](
                y,
                self.window,
                out,
                y.shape[1],
                n_frames,
                hop,
                pad,
                n_fft,
                MODE=PAD_MODES[pad_mode],
                BLOCK=block,
            )
        return out


class BandMel:
    """The power ``|X|^2`` (power 2) or magnitude ``sqrt(|X|^2 + mag_eps)`` (power 1) of a
    spectrum and its mel projection in one kernel, each filter summing over its own band of
    bins only.

    Parameters
    ----------
    basis : np.ndarray [shape=(n_mels, n_bins)]
        The module's float32 mel basis (the band tables are built from it once).
    power : {1.0, 2.0}
    mag_eps : float
        Added under the square root (power 1).
    device : torch.device
        Where the tables live (the spectra's device).
    """

    def __init__(
        self, basis: np.ndarray, power: float, mag_eps: float, device: torch.device
    ) -> None:
        lo, hi = filter_spans(basis)  # (an empty filter's band reads no bin: lo = n_bins)
        span = np.maximum(hi - lo, 0)
        self.n_mels, self.n_bins = basis.shape
        self.width = max(1, int(span.max()))
        w = np.arange(self.width)
        idx = np.minimum(lo[:, None] + w, self.n_bins - 1)
        band = np.take_along_axis(basis, idx, axis=1) * (w < span[:, None])
        self.band = torch.as_tensor(band, dtype=torch.float32).to(device).contiguous()
        self.lo = torch.as_tensor(lo, dtype=torch.int32).to(device)
        self.magnitude, self.eps = power == 1.0, float(mag_eps)
        # the kernel's blocks: every filter of up to 128 in one, bands in passes of <= 64
        self.block_m = min(128, 1 << (self.n_mels - 1).bit_length())
        self.block_w = min(64, 1 << (self.width - 1).bit_length())

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """``(..., k, n_bins)`` complex64, contiguous -> ``(..., n_mels, k)`` float32."""
        k = _kernels()
        x = torch.view_as_real(X)
        rows = x.numel() // (2 * self.n_bins)
        out = torch.empty(X.shape[:-1] + (self.n_mels,), device=X.device, dtype=torch.float32)
        grid = (rows, -(-self.n_mels // self.block_m))
        on_device = torch.cuda.device(X.device) if X.is_cuda else contextlib.nullcontext()
        with on_device:  # (as in Frames)
            k.mel_kernel[grid](
                x,
                self.band,
                self.lo,
                out,
                self.n_mels,
                self.n_bins,
                self.width,
                self.eps,
                MAGNITUDE=self.magnitude,
                BLOCK_M=self.block_m,
                BLOCK_W=self.block_w,
            )
        return out.transpose(-1, -2)
