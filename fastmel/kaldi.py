"""Kaldi's filterbank features (``compute-fbank-feats``): windows, mel banks, frame processing.

Kaldi works frame by frame. Each frame of ``win_length`` samples (25 ms) loses its mean,
is pre-emphasised on its own (its first sample against itself), is multiplied by a symmetric
window (Povey's by default), zero-padded to a power of two and transformed. The mel banks
are triangles on the HTK mel scale (``1127 ln(1 + f / 700)``) over the bins below Nyquist,
unnormalised, built in float32. :class:`KaldiSpectrogram` computes that power (or magnitude)
spectrogram; the ``kaldi`` preset (:class:`fastmel.kaldi_presets.Kaldi`) adds the log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from .errors import ParameterError, check_real, check_size
from .filters import check_sr
from .spectrogram import MelSpectrogram, torch_dtype

__all__ = ["KALDI_WINDOWS", "KaldiSpectrogram", "kaldi_frame_sizes", "kaldi_mel_filters",
           "kaldi_window"]  # fmt: skip

#: Kaldi's window types, and kaldi-native-fbank's periodic "hann".
KALDI_WINDOWS = ("povey", "hamming", "hanning", "hann", "sine", "rectangular", "blackman")


def kaldi_window(name: str, n: int, *, blackman_coeff: float = 0.42) -> np.ndarray:
    """Kaldi's window function of ``n`` samples, float64 (Kaldi rounds it to float32).

    Symmetric (``2 pi i / (n - 1)``) except kaldi-native-fbank's ``"hann"``, which is
    periodic (``2 pi i / n``, as ``torch.hann_window``).
    """
    if not isinstance(name, str) or name not in KALDI_WINDOWS:
        raise ParameterError(f"window={name!r} must be one of {KALDI_WINDOWS}")
    n = check_size("win_length", n, minimum=2)
    i = np.arange(n, dtype=np.float64)
    a = 2 * math.pi / (n if name == "hann" else n - 1)
    if name == "rectangular":
        return np.ones(n)
    if name == "sine":
        return np.sin(0.5 * a * i)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(a * i)
    if name == "blackman":
        c = float(np.float32(blackman_coeff))  # (a float option in Kaldi)
        return c - 0.5 * np.cos(a * i) + (0.5 - c) * np.cos(2 * a * i)
    hann = 0.5 - 0.5 * np.cos(a * i)  # "hanning", "hann"
    return hann**0.85 if name == "povey" else hann


def _kaldi_fmax(sr: float, fmin: float, fmax: float | None) -> float:
    """Kaldi's high frequency: ``fmax`` (None or <= 0: counted back from Nyquist), checked."""
    nyquist = sr / 2
    fmin = check_real("fmin", fmin)
    high = nyquist if fmax is None else check_real("fmax", fmax)
    if high <= 0:
        high += nyquist
    if not (0 <= fmin < nyquist and 0 < high <= nyquist and fmin < high):
        raise ParameterError(
            f"fmin={fmin:g} and fmax={high:g} must satisfy 0 <= fmin < fmax <= sr / 2 = {nyquist:g}"
        )
    return float(high)


def kaldi_mel_filters(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 23,
    fmin: float = 20.0,
    fmax: float | None = None,
    allow_empty_banks: bool = False,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Kaldi's mel banks (``MelBanks``; Kaldi's defaults), as a matrix.

    Triangles between mel points evenly spaced from ``fmin`` to ``fmax`` on the HTK mel
    scale, evaluated at each FFT bin's mel value, unnormalised; the Nyquist bin gets no
    weight (Kaldi sums bins ``0 .. n_fft / 2 - 1``).

    Parameters
    ----------
    sr : float > 0
        Sampling rate.
    n_fft : int > 0, even
        FFT size (Kaldi's padded window length).
    n_mels : int >= 3
        Number of banks (Kaldi's ``num_bins``).
    fmin, fmax : float
        Band edges in Hz (``low_freq``, ``high_freq``); ``fmax`` None or <= 0 counts back
        from Nyquist, as Kaldi's ``high_freq`` (0 is Nyquist, -400 is 400 Hz below it).
    dtype : np.float32 or np.float64
        float32 computes every step in float32, as Kaldi and kaldi-native-fbank do;
        float64 computes the same formulas in float64.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)]

    Raises
    ------
    ParameterError
        Bad parameters, or a bank with no FFT bin in it (too many banks for ``n_fft``)
        without ``allow_empty_banks``.
    """
    sr = check_sr(sr)
    n_fft = check_size("n_fft", n_fft)
    if n_fft % 2:
        raise ParameterError(f"n_fft={n_fft} must be even (Kaldi's padded window length)")
    n_mels = check_size("n_mels", n_mels, minimum=3)
    fmax = _kaldi_fmax(sr, fmin, fmax)
    dt = np.dtype(np.float32 if torch_dtype(dtype) == torch.float32 else np.float64)

    def v(x: float) -> np.ndarray:  # (a 0-d array: arithmetic stays in dt)
        return np.asarray(x, dtype=dt)

    def mel(f: np.ndarray) -> np.ndarray:  # (the log in float64, rounded: as C's logf)
        ratio = (v(1.0) + f / v(700.0)).astype(np.float64)
        return v(1127.0) * np.log(ratio).astype(dt)

    lo, hi = mel(v(fmin)), mel(v(fmax))
    delta = (hi - lo) / v(n_mels + 1)
    k = np.arange(n_mels + 2, dtype=dt)[:, None]
    left, center, right = (lo + k[:-2] * delta, lo + k[1:-1] * delta, lo + k[2:] * delta)
    m = mel(v(sr) / v(n_fft) * np.arange(n_fft // 2, dtype=dt))
    rising, falling = (m - left) / (center - left), (right - m) / (right - center)
    inside = (m > left) & (m < right)
    weights = np.where(inside, np.where(m <= center, rising, falling), 0).astype(dt)
    empty = np.flatnonzero(~inside.any(axis=1))
    if empty.size and not allow_empty_banks:
        raise ParameterError(
            f"mel bank {empty[0]} holds no FFT bin: n_mels={n_mels} is too many for n_fft={n_fft} "
            f"between {fmin:g} and {fmax:g} Hz"
        )
    return np.concatenate([weights, np.zeros((n_mels, 1), dt)], axis=1)


def kaldi_frame_sizes(sr: float, frame_length_ms: float = 25.0,
                      frame_shift_ms: float = 10.0) -> tuple[int, int]:  # fmt: skip
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
        for name, flag in (("remove_dc_offset", remove_dc_offset),
                           ("round_to_power_of_two", round_to_power_of_two),
                           ("snip_edges", snip_edges),
                           ("allow_empty_banks", allow_empty_banks)):  # fmt: skip
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
        fmax = _kaldi_fmax(sr, fmin, fmax)  # (the banks are checked as they are built)
        framing: dict[str, Any] = dict(center=False)
        if snip_edges:
            frame, self._offset = win, 0
        else:  # frame t starts at t * hop + hop // 2 - win // 2 and reflects past the edges
            left, right = win // 2 - hop // 2, (win + 1) // 2 - hop % 2
            pad = max(left, right)  # pad both sides, read from `pad - left` in each frame
            frame, self._offset = win + 2 * pad - left - right, pad - left
            framing = dict(center=True, center_pad=pad, pad_mode="symmetric")
        super().__init__(
            sr=sr, n_fft=frame, hop_length=hop, win_length=win, window="boxcar", power=power,
            n_mels=n_mels, fmin=fmin, fmax=fmax, htk=True, norm=None, dtype=dtype, **framing,
        )  # fmt: skip

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
        banks = kaldi_mel_filters(sr=c.sr, n_fft=self.fft_size, n_mels=c.n_mels, fmin=c.fmin,
                                  fmax=c.fmax, allow_empty_banks=self.allow_empty_banks,
                                  dtype=dtype)  # fmt: skip
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
