"""``torchaudio.transforms``' mel transforms with torchaudio's arguments, defaults and
layouts: ``MelSpectrogram`` and ``MFCC`` computed by fastmel, ``Spectrogram``,
``MelScale`` and ``AmplitudeToDB`` as torchaudio's few operations on fastmel's bank."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from fastmel.core.errors import ParameterError, check_size
from fastmel.feature.frontend import FrontEnd
from fastmel.torchaudio.functional import amplitude_to_DB, check_mel_scale, create_dct
from fastmel.torchaudio.functional import melscale_fbanks as _melscale_fbanks

__all__ = ["MFCC", "AmplitudeToDB", "MelScale", "MelSpectrogram", "Spectrogram"]

WindowFn = Callable[..., torch.Tensor]


def _window(window_fn: WindowFn, win_length: int, wkwargs: dict[str, Any] | None) -> torch.Tensor:
    window = window_fn(win_length, **(wkwargs or {}))
    if not isinstance(window, torch.Tensor) or window.shape != (win_length,):
        raise ParameterError(f"window_fn must return a tensor of win_length={win_length} values")
    return window


def _normalization(normalized: bool | str) -> str | None:
    """torchaudio's ``normalized``: "window" (True), "frame_length", or None (False)."""
    if normalized is True or normalized == "window":
        return "window"
    if normalized == "frame_length":
        return "frame_length"
    if normalized is False:
        return None
    raise ParameterError(f"normalized={normalized!r} must be a bool, 'window' or 'frame_length'")


def _sizes(n_fft: int, win_length: int | None, hop_length: int | None) -> tuple[int, int]:
    win = check_size("win_length", n_fft if win_length is None else win_length)
    hop = check_size("hop_length", win // 2 if hop_length is None else hop_length)
    return win, hop


class Spectrogram(torch.nn.Module):
    """``torchaudio.transforms.Spectrogram``: ``torch.stft`` of the (optionally padded)
    waveform, normalised as asked, then ``|X| ** power`` (complex for ``power=None``).

    Shape: ``(..., time) -> (..., n_fft // 2 + 1, frames)`` (``n_fft`` rows if not
    ``onesided``). The window is the ``window`` buffer, as torchaudio's.
    """

    window: torch.Tensor

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: WindowFn = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
        return_complex: bool | None = None,
    ) -> None:
        super().__init__()
        self.n_fft = check_size("n_fft", n_fft)
        self.win_length, self.hop_length = _sizes(n_fft, win_length, hop_length)
        self.pad = check_size("pad", pad, minimum=0)
        self.register_buffer("window", _window(window_fn, self.win_length, wkwargs))
        self.power, self.normalized = power, _normalization(normalized)
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided
        if return_complex is False:
            raise ParameterError("return_complex=False is not supported (torchaudio's is gone)")

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self.pad:
            waveform = F.pad(waveform, (self.pad, self.pad))
        shape = waveform.shape
        X = torch.stft(
            waveform.reshape(-1, shape[-1]),
            self.n_fft,
            self.hop_length,
            self.win_length,
            self.window,
            self.center,
            self.pad_mode,
            normalized=self.normalized == "frame_length",
            onesided=self.onesided,
            return_complex=True,
        )
        X = X.reshape(shape[:-1] + X.shape[-2:])
        if self.normalized == "window":
            X = X / self.window.pow(2.0).sum().sqrt()
        if self.power is None:
            return X
        return X.abs() if self.power == 1.0 else X.abs().pow(self.power)


class MelScale(torch.nn.Module):
    """``torchaudio.transforms.MelScale``: a spectrogram ``(..., n_stft, time)`` to
    ``(..., n_mels, time)`` through :func:`~fastmel.torchaudio.functional.melscale_fbanks`
    (the ``fb`` buffer, ``(n_stft, n_mels)``)."""

    fb: torch.Tensor

    def __init__(
        self,
        n_mels: int = 128,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        n_stft: int = 201,
        norm: str | None = None,
        mel_scale: str = "htk",
    ) -> None:
        super().__init__()
        self.n_mels, self.sample_rate, self.f_min = n_mels, sample_rate, f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.norm, self.mel_scale = norm, mel_scale
        fb = _melscale_fbanks(n_stft, f_min, self.f_max, n_mels, sample_rate, norm, mel_scale)
        self.register_buffer("fb", fb)

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        return torch.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)


class MelSpectrogram(FrontEnd):
    """``torchaudio.transforms.MelSpectrogram``, computed by a :class:`fastmel.MelSpectrogram`
    with torchaudio's filterbank (``filterbank="torchaudio"``) and ``window_fn``'s window.

    Shape: ``(..., time) -> (..., n_mels, frames)``, as torchaudio. A FrontEnd: it streams
    (``fastmel.MelStream``) unless ``pad`` is set.

    Not supported: ``onesided=False`` and ``power=None`` (a mel spectrogram of a complex
    spectrum), which torchaudio refuses or ignores too.
    """

    MEL = {"sr": 16000}

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        pad: int = 0,
        n_mels: int = 128,
        window_fn: WindowFn = torch.hann_window,
        power: float = 2.0,
        normalized: bool | str = False,
        wkwargs: dict[str, Any] | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool | None = None,
        norm: str | None = None,
        mel_scale: str = "htk",
    ) -> None:
        check_mel_scale(mel_scale, norm)
        if onesided is False:
            raise ParameterError("onesided=False is not supported by a mel spectrogram")
        if power is None:
            raise ParameterError("power=None (complex) is not supported by a mel spectrogram")
        win, hop = _sizes(n_fft, win_length, hop_length)
        window = _window(window_fn, win, wkwargs)
        f_max = f_max if f_max is not None else float(sample_rate // 2)
        super().__init__(
            sr=sample_rate,
            n_fft=n_fft,
            win_length=win,
            hop_length=hop,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
            n_mels=n_mels,
            fmin=f_min,
            fmax=f_max,
            htk=mel_scale == "htk",
            norm=norm,
            filterbank="torchaudio",
        )
        self.sample_rate, self.n_fft, self.win_length, self.hop_length = (
            sample_rate,
            n_fft,
            win,
            hop,
        )
        self.f_min, self.f_max, self.n_mels, self.power = f_min, f_max, n_mels, power
        self.pad = check_size("pad", pad, minimum=0)
        self.normalized = _normalization(normalized)
        self.causal = self.pad == 0
        # torchaudio scales the complex spectrum by 1/sqrt(sum(window^2)) ("window") or
        # 1/sqrt(n_fft) ("frame_length"): the power-p spectrum by that to the power p
        energy = {"window": float(window.double().pow(2).sum()), "frame_length": float(n_fft)}
        self._scale = energy[self.normalized] ** (-power / 2) if self.normalized else 1.0

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return M.mul_(self._scale) if self._scale != 1.0 else M  # (M is ours)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if self.pad:
            self.mel.check_input(y)
            y = F.pad(y, (self.pad, self.pad))
        return super().forward(y)


class AmplitudeToDB(torch.nn.Module):
    """``torchaudio.transforms.AmplitudeToDB``: ``10 log10`` (``stype="power"``) or
    ``20 log10`` (``"magnitude"``) of ``max(x, 1e-10)``, floored ``top_db`` below the max as
    :func:`~fastmel.torchaudio.functional.amplitude_to_DB` takes it."""

    def __init__(self, stype: str = "power", top_db: float | None = None) -> None:
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ParameterError(f"stype={stype!r} must be 'power' or 'magnitude'")
        if top_db is not None and top_db < 0:
            raise ParameterError(f"top_db={top_db!r} must be positive")
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin, self.ref_value = 1e-10, 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MFCC(torch.nn.Module):
    """``torchaudio.transforms.MFCC``: :class:`MelSpectrogram` (``melkwargs``), decibels
    (``AmplitudeToDB("power", 80)``, or ``log(x + 1e-6)`` with ``log_mels``), then the
    DCT (``dct_mat``, ``(n_mels, n_mfcc)``). Shape: ``(..., time) -> (..., n_mfcc, frames)``.
    """

    dct_mat: torch.Tensor

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mfcc: int = 40,
        dct_type: int = 2,
        norm: str | None = "ortho",
        log_mels: bool = False,
        melkwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if dct_type != 2:
            raise ParameterError(f"dct_type={dct_type!r} is not supported (torchaudio's is 2)")
        self.sample_rate, self.n_mfcc, self.dct_type = sample_rate, n_mfcc, dct_type
        self.norm, self.log_mels, self.top_db = norm, log_mels, 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ParameterError(f"n_mfcc={n_mfcc} must be <= n_mels={self.MelSpectrogram.n_mels}")
        self.register_buffer("dct_mat", create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        mel = self.MelSpectrogram(waveform)
        mel = torch.log(mel + 1e-6) if self.log_mels else self.amplitude_to_DB(mel)
        return torch.matmul(mel.transpose(-1, -2), self.dct_mat).transpose(-1, -2)
