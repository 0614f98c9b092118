"""Gemma's audio inputs, as transformers' extractors compute them: Gemma 4 and Gemma 3n."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from fastmel.core.arrays import Array
from fastmel.core.errors import check_real, check_size, check_sr
from fastmel.feature.frontend import CausalPart, FrontEnd, WholeInput
from fastmel.feature.kaldi import KaldiSpectrogram
from fastmel.presets.common import (
    checked_lengths,
    keep_log_bands,
    log_bands_repr,
    normalised_bands,
    refuse_fixed,
)
from fastmel.presets.kaldi import Kaldi
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["Gemma3n", "gemma3n_spectrogram", "gemma3n_window", "Gemma4", "TrimmedWhole"]


class Gemma4(FrontEnd):
    """Gemma 4's audio input, as transformers' ``Gemma4AudioFeatureExtractor``
    (``transformers/models/gemma4/feature_extraction_gemma4.py``) computes it from 16 kHz
    audio: 20 ms frames (320 samples) every 10 ms, the first centred on sample 0 (the audio
    led by 160 zeros), a periodic Hann window, FFT 512, magnitude, 128 HTK-scale triangles
    from 0 to 8000 Hz without norm, ``log(x + 1e-3)``, then optionally ``(x - mean) / std``
    per band. Its frames are those of a centred STFT with zero padding whose window ends at
    least one sample before the end of the audio (it frames 321 samples and uses 320):
    ``(n - 161) // 160 + 1`` of them.

    Parameters
    ----------
    n_mels : int
        The extractor's ``feature_size``.
    mel_floor : float > 0
        Added before the log.
    per_bin_mean, per_bin_stddev : sequence of n_mels floats, or None
        Its per-band normalisation (None: none, its default).
    **mel_overrides
        :class:`MelSpectrogram` keywords (``fmin``/``fmax``: its ``min_frequency`` and
        ``max_frequency``; ``sr`` its ``sampling_rate``, from which the frame sizes follow
        as in the extractor: ``round(sr * 0.02)``, ``round(sr * 0.01)``, FFT the next power
        of two).

    Notes
    -----
    The extractor pads audio to a multiple of 128 samples and zeroes the frames that reach
    into the padding; ``forward(y, lengths=lengths)`` does the same for items zero-padded
    to one length (pad ``y`` to a multiple of 128 for the extractor's frame count). The
    output is ``(..., n_mels, frames)``: the model takes ``.mT``. It does not stream: the
    frame count depends on the last sample.
    """

    MEL = dict(
        sr=16000,
        n_mels=128,
        fmin=0.0,
        fmax=8000.0,
        power=1.0,
        htk=True,
        norm=None,
        pad_mode="constant",
    )
    whole_input_statistic = "its frame count (the extractor reads one sample past each frame)"
    causal = False

    def __init__(
        self,
        *,
        mel_floor: float = 1e-3,
        per_bin_mean: Any = None,
        per_bin_stddev: Any = None,
        **mel_overrides: Any,
    ) -> None:
        refuse_fixed(
            mel_overrides,
            ("n_fft", "win_length", "hop_length", "window", "center", "pad_mode"),
            "Gemma 4's features (set by sr)",
        )
        sr = check_real("sr", mel_overrides.get("sr", self.MEL["sr"]))
        win, hop = round(sr * 0.02), round(sr * 0.01)  # (the extractor's frame_length_ms)
        check_size("win_length", win, minimum=2)
        # its window_function's periodic Hann, rounded to float32 as it keeps it (the float64
        # route too: those values, not the exact window)
        window = np.hanning(win + 1)[:-1].astype(np.float32)
        super().__init__(
            n_fft=1 << (win - 1).bit_length(),
            win_length=win,
            hop_length=hop,
            window=window,
            **mel_overrides,
        )
        self.mel_floor = keep_log_bands(self, mel_floor, per_bin_mean, per_bin_stddev)

    mel_floor: float
    per_bin_mean: torch.Tensor | None
    per_bin_stddev: torch.Tensor | None

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = torch.log(M.add_(self.mel_floor))  # (M is ours)
        return normalised_bands(L, self.per_bin_mean, self.per_bin_stddev)

    def _frames(self, n: Any) -> Any:
        """The extractor's frame count for ``n`` samples (an int or a tensor), at least 0."""
        c = self.mel.config
        if isinstance(n, int):
            return max(0, (n + c.win_length // 2 - c.win_length - 1) // c.hop_length + 1)
        return (
            torch.div(n + c.win_length // 2 - c.win_length - 1, c.hop_length, rounding_mode="floor")
            + 1
        ).clamp_min(0)

    if TYPE_CHECKING:

        def __call__(self, y: Array, lengths: Any = None) -> Array: ...

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """Gemma 4's features of ``y`` ``(..., n)``, whose items are ``lengths`` samples
        long (``(...)``, each in ``[0, n]``, the rest zero padding; None: ``n``): ``(...,
        n_mels, (n - 161) // 160 + 1)``, each item's frames that reach past its length 0."""
        L = super().forward(y)[..., : self._frames(y.shape[-1])]
        if lengths is None:
            return L
        count = self._frames(checked_lengths(lengths, y))[..., None, None]
        return torch.where(torch.arange(L.shape[-1], device=L.device) < count, L, 0.0)

    def whole_input(self) -> WholeInput:
        return TrimmedWhole(CausalPart(self.mel, self.postprocess), self._frames)

    def extra_repr(self) -> str:
        return log_bands_repr(self)


class TrimmedWhole(WholeInput):
    """The frames stored, as many kept as ``count(samples)`` says (the frames the
    extractor makes, which depend on the input's last samples)."""

    def __init__(self, causal: FrontEnd, count: Any) -> None:
        super().__init__(causal)
        self.count = count

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        return block[:, : max(0, self.count(self.samples) - start)]


def gemma3n_window(n: int) -> np.ndarray:
    """Gemma 3n's periodic Hann window of ``n`` samples, computed in float32 as its
    extractor computes it, then widened (the float64 route uses those values too)."""
    i = np.arange(n, dtype=np.float32)
    window = np.float32(0.5) * (np.float32(1.0) - np.cos(np.float32(2 * np.pi) * i / n))
    return window.astype(np.float32).astype(np.float64)


def gemma3n_spectrogram(
    *,
    sr: float,
    n_mels: int = 128,
    fmin: float = 125.0,
    fmax: float = 7600.0,
    preemphasis: float = 0.97,
    dtype: Any = np.float32,
) -> KaldiSpectrogram:
    """Gemma 3n's frames as Kaldi's: 512-sample frames every 160 (snip edges), each
    pre-emphasised on its own, its float32 Hann window (:func:`gemma3n_window`), an FFT of
    1024, magnitude, its own bank (:func:`fastmel.gemma3n_mel_filters`)."""
    # (its frame_length_ms 32 and hop_length_ms 10, rounded; its "FFT overdrive" doubles
    # the power of two)
    win, hop = round(check_sr(sr) * 0.032), round(sr * 0.01)
    return KaldiSpectrogram(
        sr=sr,
        win_length=win,
        hop_length=hop,
        window=gemma3n_window(win),
        preemphasis=preemphasis,
        remove_dc_offset=False,
        fft_size=2 * (1 << (win - 1).bit_length()),
        power=1.0,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        filterbank="gemma3n",
        dtype=dtype,
    )


class Gemma3n(Kaldi):
    """Gemma 3n's audio input (its USM-based audio encoder), as transformers'
    ``Gemma3nAudioFeatureExtractor``
    (``transformers/models/gemma3n/feature_extraction_gemma3n.py``) computes it from 16 kHz
    audio: 32 ms frames (512 samples) every 10 ms from sample 0, each pre-emphasised on its
    own (``x[0] (1 - 0.97)``, then ``x[i] - 0.97 x[i - 1]``: its "HTK flavour"), a periodic
    Hann window, FFT 1024, magnitude, 128 HTK-scale triangles from 125 to 7600 Hz
    (:func:`gemma3n_mel_filters`), ``log(max(x, 1e-5))``, then optionally ``(x - mean) /
    std`` per band. It frames 513 samples and uses 512: ``(n - 513) // 160 + 1`` frames.

    Parameters
    ----------
    n_mels : int
        The extractor's ``feature_size``.
    fmin, fmax : float
        Its ``min_frequency`` and ``max_frequency``.
    mel_floor : float > 0
        The log's floor.
    per_bin_mean, per_bin_stddev : sequence of n_mels floats, or None
        Its per-band normalisation (None: none, its default).
    sr : float
        Its ``sampling_rate``; the frame sizes follow as in the extractor.

    Notes
    -----
    The extractor pads audio to a multiple of 128 samples (zeros) and computes the frames
    over the padding too; its ``input_features_mask`` is ``arange(frames) * 160 < length``.
    Pad ``y`` the same way for its frame count. The output is ``(..., n_mels, frames)``: the
    model takes ``.mT``. It does not stream: the frame count depends on the last sample.
    Its non-HTK pre-emphasis (``preemphasis_htk_flavor=False``) is not offered.
    """

    SPECTROGRAM = staticmethod(gemma3n_spectrogram)
    whole_input_statistic = "its frame count (the extractor reads one sample past each frame)"

    mel_floor: float
    per_bin_mean: torch.Tensor | None
    per_bin_stddev: torch.Tensor | None

    def __init__(
        self,
        *,
        sr: float = 16000,
        n_mels: int = 128,
        fmin: float = 125.0,
        fmax: float = 7600.0,
        mel_floor: float = 1e-5,
        per_bin_mean: Any = None,
        per_bin_stddev: Any = None,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__(sr=sr, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=dtype)
        self.causal = False
        self.mel_floor = keep_log_bands(self, mel_floor, per_bin_mean, per_bin_stddev)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = torch.log(torch.clamp(M, min=self.mel_floor))
        return normalised_bands(L, self.per_bin_mean, self.per_bin_stddev)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        return L[..., : self._frames(y.shape[-1])]

    def _frames(self, n: int) -> int:
        """Kaldi's snip-edges frames, less one where the extractor's 513th sample is
        missing."""
        c = self.mel.config
        return max(0, (n - c.win_length - 1) // c.hop_length + 1)

    def whole_input(self) -> WholeInput:
        return TrimmedWhole(CausalPart(self.mel, self.postprocess), self._frames)

    def extra_repr(self) -> str:
        return log_bands_repr(self)


SPECS = (
    PresetSpec(
        "gemma4",
        Gemma4,
        model="transformers, models/gemma4/feature_extraction_gemma4.py: "
        "Gemma4AudioFeatureExtractor",
        reference="gemma4_features",
        tolerance=Tolerance(float32=1e-3, float64=1e-9),
        reference64="gemma4_steps64",
    ),
    PresetSpec(
        "gemma3n",
        Gemma3n,
        model="transformers, models/gemma3n/feature_extraction_gemma3n.py: "
        "Gemma3nAudioFeatureExtractor",
        reference="gemma3n_features",
        tolerance=Tolerance(float32=1e-3, float64=1e-8),
        reference64="gemma3n_steps64",
    ),
)
