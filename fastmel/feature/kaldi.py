"""Kaldi's filterbank energies (``compute-fbank-feats``) as a :class:`MelSpectrogram`.

Kaldi works frame by frame. Each frame of ``win_length`` samples (25 ms) loses its mean,
is pre-emphasised on its own (its first sample against itself), is multiplied by a symmetric
window (Povey's by default), zero-padded to a power of two and transformed. The mel banks
(:func:`fastmel.kaldi_mel_filters`) are triangles on the HTK mel scale over the bins below
Nyquist, unnormalised, built in float32. The ``kaldi`` preset adds the log.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from fastmel.core.config import MelConfig, kaldi_frame_sizes
from fastmel.feature.spectrogram import MelSpectrogram

__all__ = ["KaldiSpectrogram", "kaldi_frame_sizes"]


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
    window : str or array-like
        One of :data:`KALDI_WINDOWS` (see :func:`fastmel.core.windows.kaldi_window`), or the
        window's ``win_length`` values (Gemma 3n's float32 Hann).
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
        As :func:`fastmel.kaldi_mel_filters`.
    input_scale : float > 0
        Compute the features of ``y * input_scale`` (e.g. ``32768`` for a model trained on
        16-bit integer samples, fed audio in [-1, 1]). Every step before the banks is linear,
        so the scale is folded into the banks (``mel_basis`` holds them times
        ``input_scale ** power``) and costs nothing per call; a power of two gives the same
        numbers as scaling the audio, bit for bit (barring overflow).
    filterbank : {"kaldi", "gemma3n"}
        Kaldi's banks, or Gemma 3n's (:func:`fastmel.gemma3n_mel_filters`) over the same
        frames.
    dtype : np.dtype or torch.dtype
        float32 (Kaldi's float32 banks) or float64 (every constant in float64).

    Notes
    -----
    A configuration of :class:`MelSpectrogram`'s parts (:meth:`MelConfig.kaldi`), which
    computes it; the options are read back from ``config``.
    """

    def __init__(
        self,
        *,
        sr: float,
        win_length: int | None = None,
        hop_length: int | None = None,
        window: Any = "povey",
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
        filterbank: str = "kaldi",
        dtype: Any = np.float32,
    ) -> None:
        config = MelConfig.kaldi(
            sr=sr,
            win_length=win_length,
            hop_length=hop_length,
            window=window,
            preemphasis=preemphasis,
            remove_dc_offset=remove_dc_offset,
            round_to_power_of_two=round_to_power_of_two,
            fft_size=fft_size,
            snip_edges=snip_edges,
            power=power,
            n_mels=n_mels,
            fmin=fmin,
            fmax=fmax,
            allow_empty_banks=allow_empty_banks,
            input_scale=input_scale,
            filterbank=filterbank,
        )
        torch.nn.Module.__init__(self)  # (MelSpectrogram's own keywords are librosa's)
        self._setup(config, dtype)
        #: the window's name ("<array>" for explicit values)
        self.window_type = window if isinstance(window, str) else "<array>"

    @property
    def fft_size(self) -> int:
        """The FFT's length (each frame zero-padded to it)."""
        assert self.config.fft_size is not None
        return self.config.fft_size

    @property
    def preemphasis(self) -> float:
        """Kaldi's ``preemph_coeff``, applied to each frame on its own."""
        return self.config.frame_preemphasis

    @property
    def remove_dc_offset(self) -> bool:
        """Whether each frame loses its mean first."""
        return self.config.remove_dc

    @property
    def snip_edges(self) -> bool:
        """Kaldi's framing: frames from sample 0 (True) or centred, reflecting (False)."""
        return not self.config.center

    @property
    def allow_empty_banks(self) -> bool:
        """Whether a bank holding no FFT bin is accepted."""
        return self.config.allow_empty_banks

    @property
    def input_scale(self) -> float:
        """The features are those of ``y * input_scale`` (folded into the banks)."""
        return self.config.input_scale

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
            + (f", filterbank={c.filterbank!r}" if c.filterbank != "kaldi" else "")
        )
