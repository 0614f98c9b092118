"""MelConfig: a validated, hashable mel-spectrogram configuration and what follows from it."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from fastmel.core.errors import ParameterError, check_bool, check_real, check_size
from fastmel.core.filters import (
    check_mel_params,
    check_sr,
    gemma3n_mel_filters,
    kaldi_fmax,
    kaldi_mel_filters,
    mel_filters,
    speechbrain_mel_filters,
    torchaudio_mel_filters,
)
from fastmel.core.padding import PAD_MODES
from fastmel.core.windows import WINDOWS, kaldi_window, padded_window

__all__ = ["FILTERBANKS", "FRAME_FILTERBANKS", "PAD_MODES", "MelConfig", "kaldi_frame_sizes"]

#: Banks over librosa's frames (an FFT of n_fft samples).
FILTERBANKS = ("librosa", "torchaudio", "speechbrain")
#: Banks over Kaldi's frames (an FFT of fft_size samples; see MelConfig.kaldi).
FRAME_FILTERBANKS = ("kaldi", "gemma3n")


def kaldi_frame_sizes(
    sr: float, frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0
) -> tuple[int, int]:
    """Window and shift in samples as kaldi-native-fbank computes them (float32 products)."""
    f32 = np.float32
    ms = f32(0.001) * f32(sr)
    return int(ms * f32(frame_length_ms)), int(ms * f32(frame_shift_ms))


@dataclasses.dataclass(frozen=True)
class MelConfig:
    """A validated mel-spectrogram configuration (librosa's keywords and defaults).

    ``win_length`` and ``fmax`` are resolved (never None); ``window`` is the name of a
    window fastmel builds or, for any other, its values as a tuple of floats, so that the
    configuration stays hashable. Three fields go beyond librosa, for model front ends
    (presets): ``pad``, the samples padded on each side (``n_fft // 2`` when centred, as
    librosa; 0 when not), ``filterbank``, how the mel basis is built, and ``mag_eps``, added
    under the square root of the magnitude.

    Kaldi's framing (:meth:`kaldi`) is a configuration of the same parts: ``fft_size`` set
    means each frame of ``n_fft`` samples is analysed from ``frame_offset`` on, over
    ``win_length`` samples, less their mean (``remove_dc``), pre-emphasised on their own
    (``frame_preemphasis``), multiplied by the (unpadded) window and zero-padded to
    ``fft_size`` for the FFT; the bank (``"kaldi"`` or ``"gemma3n"``) is scaled by
    ``input_scale ** power``.
    """

    sr: float = 22050
    n_fft: int = 2048
    hop_length: int = 512
    win_length: int = 2048
    window: str | tuple[float, ...] = "hann"
    center: bool = True
    pad_mode: str = "constant"
    power: float = 2.0
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float = 11025.0
    htk: bool = False
    norm: Any = "slaney"
    pad: int = 1024
    filterbank: str = "librosa"
    mag_eps: float = 0.0
    fft_size: int | None = None
    frame_offset: int = 0
    remove_dc: bool = False
    frame_preemphasis: float = 0.0
    input_scale: float = 1.0
    allow_empty_banks: bool = False

    # (make's defaults are the fields' above: librosa's, written once)
    @classmethod
    def make(
        cls,
        *,
        sr: float = sr,
        n_fft: int = n_fft,
        hop_length: int | None = hop_length,
        win_length: int | None = None,
        window: Any = window,
        center: bool = center,
        pad_mode: str = pad_mode,
        power: float = power,
        n_mels: int = n_mels,
        fmin: float = fmin,
        fmax: float | None = None,
        htk: bool = htk,
        norm: Any = norm,
        center_pad: int | None = None,
        filterbank: str = "librosa",
        mag_eps: float = 0.0,
    ) -> MelConfig:
        """Validate librosa-style keywords (and the front-end extensions); resolve defaults."""
        fmax = check_mel_params(sr, n_fft, n_mels, fmin, fmax, norm)
        win_length = n_fft if win_length is None else check_size("win_length", win_length)
        if win_length > n_fft:
            raise ParameterError(f"win_length={win_length} must be <= n_fft={n_fft}")
        if hop_length is None:  # librosa's stft: a quarter of the window
            hop_length = win_length // 4
        hop_length = check_size("hop_length", hop_length)
        for name, flag in (("center", center), ("htk", htk)):
            check_bool(name, flag)
        if not center:  # librosa never reads pad_mode then, whatever it holds
            pad_mode = "constant"
        elif not isinstance(pad_mode, str) or pad_mode not in PAD_MODES:  # (no pad functions)
            raise ParameterError(f"pad_mode={pad_mode!r} must be one of {PAD_MODES}")
        power = check_real("power", power)
        if not (math.isfinite(power) and power > 0):
            raise ParameterError(f"power={power} must be a positive finite number")
        if center_pad is None:
            pad = n_fft // 2 if center else 0
        elif not center:
            raise ParameterError("center_pad needs center=True")
        else:
            pad = check_size("center_pad", center_pad, minimum=0)
        if filterbank not in FILTERBANKS:
            raise ParameterError(f"filterbank={filterbank!r} must be one of {FILTERBANKS}")
        if filterbank == "speechbrain" and (not htk or norm is not None):
            raise ParameterError(
                "the speechbrain filterbank is on the HTK mel scale, unnormalised: it takes "
                f"htk=True and norm=None, got htk={htk!r}, norm={norm!r}"
            )
        if not (math.isfinite(check_real("mag_eps", mag_eps)) and mag_eps >= 0):
            raise ParameterError(f"mag_eps={mag_eps} must be a finite number >= 0")
        w = padded_window(window, win_length, n_fft)  # validates the window
        # (values for every window fastmel does not build: no scipy needed to rebuild it)
        named = isinstance(window, str) and window in WINDOWS
        win_key = window if named else tuple(float(v) for v in w)
        return cls(
            float(sr),
            int(n_fft),
            hop_length,
            win_length,
            win_key,
            bool(center),
            pad_mode,
            float(power),
            int(n_mels),
            float(fmin),
            fmax,
            bool(htk),
            norm,
            pad,
            filterbank,
            float(mag_eps),
        )

    @classmethod
    def kaldi(
        cls,
        *,
        sr: float,
        win_length: int | None,
        hop_length: int | None,
        window: Any,
        preemphasis: float,
        remove_dc_offset: bool,
        round_to_power_of_two: bool,
        fft_size: int | None,
        snip_edges: bool,
        power: float,
        n_mels: int,
        fmin: float,
        fmax: float | None,
        allow_empty_banks: bool,
        input_scale: float,
        filterbank: str,
    ) -> MelConfig:
        """Validate Kaldi's fbank options (see :class:`fastmel.feature.kaldi.KaldiSpectrogram`)
        and describe its framing: ``n_fft`` is the frame the stream buffers (``win_length``,
        plus the reflected samples without ``snip_edges``), ``fft_size`` the FFT's length.
        ``window`` is a Kaldi window name or its ``win_length`` values. Kaldi's defaults are
        KaldiSpectrogram's; the banks (and ``input_scale``'s range) are checked where they
        are built (:meth:`mel_basis`)."""
        sr = check_sr(sr)
        default_win, default_hop = kaldi_frame_sizes(sr)
        win = check_size("win_length", default_win if win_length is None else win_length, minimum=2)
        hop = check_size("hop_length", default_hop if hop_length is None else hop_length)
        if isinstance(window, str):
            values = kaldi_window(window, win)
        else:
            values = np.asarray(window, dtype=np.float64)
            if values.shape != (win,) or not np.isfinite(values).all():
                raise ParameterError(f"window must be {win} finite values (win_length)")
        k = check_real("preemphasis", preemphasis)
        if not 0 <= k <= 1:
            raise ParameterError(f"preemphasis={k:g} must be in [0, 1] (Kaldi's preemph_coeff)")
        for name, flag in (
            ("remove_dc_offset", remove_dc_offset),
            ("round_to_power_of_two", round_to_power_of_two),
            ("snip_edges", snip_edges),
            ("allow_empty_banks", allow_empty_banks),
        ):
            check_bool(name, flag)
        if power not in (1.0, 2.0):
            raise ParameterError(f"power={power!r} must be 2.0 (power) or 1.0 (magnitude)")
        scale = check_real("input_scale", input_scale)
        if not (0 < scale < math.inf):
            raise ParameterError(f"input_scale={scale!r} must be positive and finite")
        if fft_size is None:
            fft_size = 1 << (win - 1).bit_length() if round_to_power_of_two else win
        else:
            fft_size = check_size("fft_size", fft_size, minimum=win)
            if fft_size % 2:  # (Kaldi's banks take an even FFT size)
                raise ParameterError(f"fft_size={fft_size} must be even")
        if filterbank not in FRAME_FILTERBANKS:
            raise ParameterError(f"filterbank={filterbank!r} must be one of {FRAME_FILTERBANKS}")
        fmax = kaldi_fmax(sr, fmin, fmax)  # (the banks are checked as they are built)
        if snip_edges:
            frame, offset, pad, pad_mode, center = win, 0, 0, "constant", False
        else:  # frame t starts at t * hop + hop // 2 - win // 2 and reflects past the edges
            left, right = win // 2 - hop // 2, (win + 1) // 2 - hop % 2
            pad = max(left, right)  # pad both sides, read from `pad - left` in each frame
            frame, offset, pad_mode, center = (
                win + 2 * pad - left - right,
                pad - left,
                "symmetric",
                True,
            )
        return cls(
            sr=float(sr),
            n_fft=frame,
            hop_length=hop,
            win_length=win,
            window=tuple(float(v) for v in values),
            center=center,
            pad_mode=pad_mode,
            power=float(power),
            n_mels=n_mels,
            fmin=float(fmin),
            fmax=fmax,
            htk=True,
            norm=None,
            pad=pad,
            filterbank=filterbank,
            fft_size=fft_size,
            frame_offset=offset,
            remove_dc=bool(remove_dc_offset),
            frame_preemphasis=float(k),
            input_scale=float(scale),
            allow_empty_banks=bool(allow_empty_banks),
        )

    def window64(self) -> np.ndarray:
        """The analysis window, float64: zero-padded to n_fft, shape ``(n_fft,)``, for
        librosa's frames; shape ``(win_length,)`` for Kaldi's (``fft_size`` set)."""
        if isinstance(self.window, str):
            return padded_window(self.window, self.win_length, self.n_fft)
        return np.asarray(self.window, dtype=np.float64)

    def mel_basis(self, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """The mel filterbank, shape ``(n_mels, 1 + n_fft // 2)`` (``fft_size`` for Kaldi's
        frames)."""
        if self.fft_size is not None:
            return self._frame_bank(dtype)
        kw: dict[str, Any] = dict(
            sr=self.sr,
            n_fft=self.n_fft,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
            htk=self.htk,
            norm=self.norm,
        )
        if self.filterbank == "torchaudio":
            return torchaudio_mel_filters(**kw).astype(dtype)
        if self.filterbank == "speechbrain":
            kw.pop("htk"), kw.pop("norm")
            return speechbrain_mel_filters(**kw).astype(dtype)
        return mel_filters(**kw, dtype=dtype)

    def _frame_bank(self, dtype: npt.DTypeLike) -> np.ndarray:
        """The bank over Kaldi's FFT of ``fft_size``, in ``dtype``, times ``input_scale ** power``
        (every step before it is linear: the features of the scaled audio)."""
        assert self.fft_size is not None
        if self.filterbank == "gemma3n":
            banks = gemma3n_mel_filters(
                sr=self.sr, n_fft=self.fft_size, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax
            ).astype(dtype)
        else:
            banks = kaldi_mel_filters(
                sr=self.sr,
                n_fft=self.fft_size,
                n_mels=self.n_mels,
                fmin=self.fmin,
                fmax=self.fmax,
                allow_empty_banks=self.allow_empty_banks,
                dtype=dtype,
            )
        if self.input_scale == 1.0:
            return banks
        with np.errstate(over="ignore", under="ignore"):
            factor = np.float64(self.input_scale) ** self.power
        info, weights = np.finfo(banks.dtype), factor * banks[banks > 0]  # (float64)
        if weights.size and not info.tiny <= weights.min() <= weights.max() <= info.max:
            raise ParameterError(
                f"input_scale={self.input_scale:g} takes the banks out of {banks.dtype}'s range"
            )
        return banks * banks.dtype.type(factor)

    def n_frames(self, n_samples: int) -> int:
        """Number of frames for a signal of ``n_samples`` samples."""
        return 1 + (n_samples + 2 * self.pad - self.n_fft) // self.hop_length

    def tail_slice(self, n_samples: int) -> int | None:
        """Samples librosa reflects its right pad from, where that differs from the signal.

        librosa >= 0.10 pads a centred signal's two edges separately: the right pad is
        ``np.pad`` of only the samples from the first frame that reaches past the end. With
        ``pad_mode="reflect"``, when that slice holds no more samples than the pad (possible
        only for ``hop_length >= n_fft / 2``), NumPy reflects it twice, so the last frame
        differs from a reflection of the whole signal. Returns the slice length then, else
        None (also for padding other than librosa's ``n_fft // 2``, as presets use).
        """
        pad, hop = self.pad, self.hop_length
        if not self._librosa_reflect:
            return None
        first_tail_frame = (n_samples + pad - self.n_fft) // hop + 1
        if first_tail_frame <= -(-pad // hop):  # librosa pads the whole signal at once
            return None
        length = n_samples + pad - first_tail_frame * hop
        # librosa pads the slice only if a frame fits in it (length + pad >= n_fft); NumPy
        # reflects it more than once if length <= pad: both hold for even n_fft and
        # length == pad only, where the last padded sample is the slice's second.
        return length if self.n_fft - pad <= length <= pad else None

    @property
    def _librosa_reflect(self) -> bool:
        """Reflect padding of librosa's centring (n_fft // 2 each side), where NumPy's rules
        apply (see tail_slice, and check_length for a signal no longer than the pad)."""
        return self.pad_mode == "reflect" and self.pad > 0 and self.pad == self.n_fft // 2

    def check_length(self, n_samples: int) -> None:
        """Raise ParameterError if a signal of this length cannot be analysed."""
        if self.fft_size is not None and n_samples + 2 * self.pad < self.n_fft:
            raise ParameterError(  # (Kaldi makes no frame)
                f"y with {n_samples} samples is shorter than one frame "
                f"({self.n_fft - 2 * self.pad} samples with win_length={self.win_length}, "
                f"snip_edges={not self.center})"
            )
        if n_samples == 0:
            raise ParameterError("y is empty: audio must have at least one sample")
        if n_samples + 2 * self.pad < self.n_fft:
            raise ParameterError(
                f"n_fft={self.n_fft} is too large for "
                + (
                    "uncentered analysis of "
                    if not self.pad
                    else f"{self.pad} samples of padding and "
                )
                + f"y with {n_samples} samples"
            )
        # A reflect pad as long as y: NumPy reflects repeatedly (librosa's centring), torch
        # refuses (the presets' own padding), and so does fastmel there.
        torch_reflect = self.pad and self.pad_mode == "reflect" and not self._librosa_reflect
        if torch_reflect and n_samples <= self.pad:
            raise ParameterError(
                f"pad_mode='reflect' pads {self.pad} samples, which needs more than that in y "
                f"(got {n_samples})"
            )
