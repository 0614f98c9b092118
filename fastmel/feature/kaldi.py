"""Kaldi's filterbank energies (``compute-fbank-feats``) as a :class:`MelSpectrogram`.

Kaldi works frame by frame. Each frame of ``win_length`` samples (25 ms) loses its mean,
is pre-emphasised on its own (its first sample against itself), is multiplied by a symmetric
window (Povey's by default), zero-padded to a power of two and transformed. The mel banks
(:func:`fastmel.kaldi_mel_filters`) are triangles on the HTK mel scale over the bins below
Nyquist, unnormalised, built in float32. The ``kaldi`` preset adds the log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from fastmel.core.errors import ParameterError, check_real, check_size
from fastmel.core.filters import check_sr, kaldi_fmax, kaldi_mel_filters
from fastmel.core.windows import kaldi_window
from fastmel.feature.spectrogram import MelSpectrogram

__all__ = ["kaldi_frame_sizes", "KaldiSpectrogram"]


def kaldi_frame_sizes(
    sr: float, frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0
) -> tuple[int, int]:
    """Window and shift in samples as kaldi-native-fbank computes them (float32 products)."""
    f32 = np.float32
    ms = f32(0.001) * f32(sr)
    return int(ms * f32(frame_length_ms)), int(ms * f32(frame_shift_ms))


class KaldiSpectrogram(MelSpectrogram):
    """Kaldi's mel filterbank energies (before the log), as a :class:`MelSpectrogram`.

    Frames follow Kaldi's ``snip_edges``: True, frame t is samples ``[t * hop, t * hop +
    win_length)`` (``1 + (n - win_length) // hop`` frames); False, frame t is centred on
    ``t * hop + hop // 2`` and reads past the edges by symmetric reflection (``(n + hop //
    2) // hop`` frames). The module's ``config`` describes that framing (``config.n_fft`` is
    the frame length the stream buffers); the FFT size is ``fft_size``.

    Parameters
    ----------
    sr : float
        Sampling rate.
    win_length, hop_length : int or None
        Frame length and shift in samples (None: 25 ms and 10 ms, rounded down as
        kaldi-native-fbank does).
    window : str
        One of :data:`KALDI_WINDOWS` (see :func:`kaldi_window`).
    preemphasis : float in [0, 1]
        Kaldi's ``preemph_coeff``, applied to each frame on its own.
    remove_dc_offset : bool
        Subtract each frame's mean first.
    round_to_power_of_two : bool
        Zero-pad each frame to the next power of two (else to ``win_length``, which must
        then be even).
    fft_size : int or None
        Zero-pad each frame to this many samples instead (even, at least ``win_length``;
        Gemma 3n's front end takes twice the power of two); None: as
        ``round_to_power_of_two`` says.
    snip_edges : bool
        Kaldi's framing (above).
    power : {2.0, 1.0}
        Power spectrum (Kaldi's ``use_power``) or magnitude.
    n_mels, fmin, fmax, allow_empty_banks
        As :func:`kaldi_mel_filters`.
    input_scale : float > 0
        Compute the features of ``y * input_scale`` (e.g. ``32768`` for a model trained on
        16-bit integer samples, fed audio in [-1, 1]). Every step before the banks is linear,
        so the scale is folded into the banks (``mel_basis`` holds them times
        ``input_scale ** power``) and costs nothing per call; a power of two gives the same
        numbers as scaling the audio, bit for bit (barring overflow).
    dtype : np.dtype or torch.dtype
        float32 (Kaldi's float32 banks) or float64 (every constant in float64).
    """

    def __init__(
        self,
        *,
        sr: float,
        win_length: int | None = None,
        hop_length: int | None = None,
        window: str = "povey",
        preemphasis: float = 0.97,
        remove_dc_offset: bool = True,
        round_to_power_of_two: bool = True,
        fft_size: int | None = None,
        snip_edges: bool = True,
        power: float = 2.0,
        n_mels: int = 23,
        fmin: float = 20.0,
        fmax: float | None = None,
        allow_empty_banks: bool = False,
        input_scale: float = 1.0,
        dtype: Any = np.float32,
    ) -> None:
        default_win, default_hop = kaldi_frame_sizes(check_sr(sr))
        win = check_size("win_length", default_win if win_length is None else win_length, minimum=2)
        hop = check_size("hop_length", default_hop if hop_length is None else hop_length)
        self._kaldi_window = kaldi_window(window, win)
        self.window_type = window
        k = check_real("preemphasis", preemphasis)
        if not 0 <= k <= 1:
            raise ParameterError(f"preemphasis={k:g} must be in [0, 1] (Kaldi's preemph_coeff)")
        for name, flag in (
            ("remove_dc_offset", remove_dc_offset),
            ("round_to_power_of_two", round_to_power_of_two),
            ("snip_edges", snip_edges),
            ("allow_empty_banks", allow_empty_banks),
        ):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        if power not in (1.0, 2.0):
            raise ParameterError(f"power={power!r} must be 2.0 (power) or 1.0 (magnitude)")
        scale = check_real("input_scale", input_scale)
        if not (0 < scale < math.inf):
            raise ParameterError(f"input_scale={scale!r} must be positive and finite")
        self.input_scale = float(scale)
        self.preemphasis, self.remove_dc_offset = float(k), bool(remove_dc_offset)
        self.snip_edges, self.allow_empty_banks = bool(snip_edges), bool(allow_empty_banks)
        if fft_size is None:
            self.fft_size = 1 << (win - 1).bit_length() if round_to_power_of_two else win
        else:
            self.fft_size = check_size("fft_size", fft_size, minimum=win)
            if self.fft_size % 2:  # (Kaldi's banks take an even FFT size)
                raise ParameterError(f"fft_size={fft_size} must be even")
        self._dft_size = self.fft_size
        fmax = kaldi_fmax(sr, fmin, fmax)  # (the banks are checked as they are built)
        framing: dict[str, Any] = dict(center=False)
        if snip_edges:
            frame, self._offset = win, 0
        else:  # frame t starts at t * hop + hop // 2 - win // 2 and reflects past the edges
            left, right = win // 2 - hop // 2, (win + 1) // 2 - hop % 2
            pad = max(left, right)  # pad both sides, read from `pad - left` in each frame
            frame, self._offset = win + 2 * pad - left - right, pad - left
            framing = dict(center=True, center_pad=pad, pad_mode="symmetric")
        super().__init__(
            sr=sr,
            n_fft=frame,
            hop_length=hop,
            win_length=win,
            window="boxcar",
            power=power,
            n_mels=n_mels,
            fmin=fmin,
            fmax=fmax,
            htk=True,
            norm=None,
            dtype=dtype,
            **framing,
        )

    def check_length(self, n_samples: int) -> None:
        if n_samples + 2 * self.config.pad < self.config.n_fft:  # (Kaldi makes no frame)
            need = self.config.n_fft - 2 * self.config.pad
            raise ParameterError(
                f"y with {n_samples} samples is shorter than one frame ({need} samples with "
                f"win_length={self.config.win_length}, snip_edges={self.snip_edges})"
            )

    def _window64(self) -> np.ndarray:
        return self._kaldi_window

    def _basis(self, dtype: npt.DTypeLike) -> np.ndarray:
        c = self.config
        banks = kaldi_mel_filters(
            sr=c.sr,
            n_fft=self.fft_size,
            n_mels=c.n_mels,
            fmin=c.fmin,
            fmax=c.fmax,
            allow_empty_banks=self.allow_empty_banks,
            dtype=dtype,
        )
        if self.input_scale == 1.0:
            return banks
        with np.errstate(over="ignore", under="ignore"):
            factor = np.float64(self.input_scale) ** c.power  # (see input_scale)
        info, weights = np.finfo(banks.dtype), factor * banks[banks > 0]  # (float64)
        if weights.size and not info.tiny <= weights.min() <= weights.max() <= info.max:
            raise ParameterError(
                f"input_scale={self.input_scale:g} takes the banks out of {banks.dtype}'s range"
            )
        return banks * banks.dtype.type(factor)

    def _fused_frames(self, y: torch.Tensor) -> None:
        return None  # (the Triton kernel windows librosa's frames, not Kaldi's)

    _derived = (*MelSpectrogram._derived, "_win_from_1")

    def _build_constants(self, device: torch.device, dtype: torch.dtype) -> None:
        super()._build_constants(device, dtype)
        # Povey's, Hann's and the sine window weigh a frame's first sample by 0, so its
        # pre-emphasised value (Kaldi's x[0] - k x[0]) need not be made: such frames go to
        # the FFT from their second sample, without the concatenation that makes it. A frame
        # shifted by one sample has the same power and magnitude spectrum.
        zero_first = self.preemphasis and self._kaldi_window[0] == 0
        self._win_from_1 = self._win[1:] if zero_first else None

    def _windowed(self, frames: torch.Tensor) -> torch.Tensor:
        # (the FFT zero-pads the frames to fft_size: see _dft_size)
        win = self._win.shape[-1]
        x = frames[..., self._offset : self._offset + win]  # (a view: Kaldi's samples)
        # (alpha= rather than Python-scalar operands, which cost several us each on a CPU)
        if self.remove_dc_offset:  # x - sum(x) / win
            x = torch.sub(x, x.sum(dim=-1, keepdim=True), alpha=1.0 / win)
        if k := self.preemphasis:  # x[i] - k x[i - 1], and x[0] - k x[0]
            if self._win_from_1 is not None:  # (x[1:] is ours: windowed in place)
                return torch.sub(x[..., 1:], x[..., :-1], alpha=k).mul_(self._win_from_1)
            x = torch.sub(x, torch.cat([x[..., :1], x[..., :-1]], dim=-1), alpha=k)
        return x * self._win

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"sr={c.sr:g}, win_length={c.win_length}, hop_length={c.hop_length}, "
            f"fft_size={self.fft_size}, window={self.window_type!r}, "
            f"preemphasis={self.preemphasis:g}, remove_dc_offset={self.remove_dc_offset}, "
            f"snip_edges={self.snip_edges}, power={c.power:g}, n_mels={c.n_mels}, "
            f"fmin={c.fmin:g}, fmax={c.fmax:g}"
            + (f", input_scale={self.input_scale:g}" if self.input_scale != 1.0 else "")
            + (", allow_empty_banks=True" if self.allow_empty_banks else "")
        )
