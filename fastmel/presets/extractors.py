"""Hugging Face feature extractors on Kaldi's fbank: SeamlessM4T (w2v-BERT 2.0) and the
Audio Spectrogram Transformer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from fastmel.core.arrays import Array
from fastmel.core.errors import ParameterError, check_bool, check_real, check_size
from fastmel.feature.frontend import Blocks, CausalPart, WholeInput, band_sums
from fastmel.ops.stacking import stack_frames
from fastmel.presets.common import (
    PCM_SCALE,
    centred_bands,
    refuse_fixed,
)
from fastmel.presets.kaldi import KALDI_TOLERANCE, Kaldi
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["AST", "SEAMLESS_VAR_FLOOR", "SeamlessM4T"]


class AST(Kaldi):
    """The input of the Audio Spectrogram Transformer (``MIT/ast-finetuned-audioset-*``,
    the default model of transformers' audio-classification pipeline), as Hugging Face's
    ``ASTFeatureExtractor``
    (``transformers/models/audio_spectrogram_transformer/feature_extraction_audio_spectrogram_transformer.py``,
    after the AST authors' code) computes it from 16 kHz audio in [-1, 1], not rescaled:
    ``torchaudio.compliance.kaldi.fbank(waveform, sample_frequency=16000,
    window_type="hanning", num_mel_bins=128)`` (Kaldi's defaults otherwise: 400/160, DC
    removal and pre-emphasis 0.97 per frame, FFT 512, 20 Hz-Nyquist,
    ``log(max(x, FLT_EPSILON))``; its 4th bank holds no FFT bin and stays at the floor),
    zero frames appended or frames dropped to ``max_length``, then ``(x - mean) / (2 *
    std)`` with AudioSet's mean and std.

    Parameters
    ----------
    n_mels : int >= 3
        The extractor's ``num_mel_bins``.
    max_length : int >= 1 or None
        Frames of the output: the log fbank is zero-padded (before the normalisation) or
        truncated to it; None keeps every frame.
    normalize : bool
        Its ``do_normalize``.
    mean, std : float
        Its ``mean`` and ``std`` (AudioSet's: the fine-tuned checkpoints' configs; other
        data sets' checkpoints, e.g. Speech Commands', state their own).
    **options
        The :class:`Kaldi` preset's (``window="hanning"`` and ``allow_empty_banks=True`` by
        default).

    Notes
    -----
    The output is ``(..., n_mels, max_length)``: the model takes ``.mT`` (its
    ``input_values``, ``(batch, max_length, n_mels)``). A batch gives each row the
    features of that row alone; items of different lengths zero-padded to one length go
    with ``lengths`` (``forward(y, lengths=lengths)``): each item's frames past its own
    are then zeros before the normalisation, as the extractor pads each item.
    ``snip_edges`` is fixed. With ``max_length=None`` each frame is computed on its own and
    the preset streams.
    """

    #: AudioSet's mean and standard deviation of the log fbank (the extractor's defaults)
    AUDIOSET_MEAN, AUDIOSET_STD = -4.2677393, 4.5689974
    whole_input_statistic = "the padding or truncation to max_length frames (None streams)"

    def __init__(
        self,
        *,
        n_mels: int = 128,
        max_length: int | None = 1024,
        normalize: bool = True,
        mean: float = AUDIOSET_MEAN,
        std: float = AUDIOSET_STD,
        window: str = "hanning",
        allow_empty_banks: bool = True,
        **options: Any,
    ) -> None:
        refuse_fixed(options, ("subtract_mean", "snip_edges"), "AST's features")
        check_bool("normalize", normalize)
        mean, std = check_real("mean", mean), check_real("std", std)
        if not (math.isfinite(mean) and 0 < std < math.inf):
            raise ParameterError(f"mean={mean!r} must be finite and std={std!r} positive")
        super().__init__(
            n_mels=n_mels, window=window, allow_empty_banks=allow_empty_banks, **options
        )
        self.max_length = None if max_length is None else check_size("max_length", max_length)
        self.normalize, self.mean, self.std = bool(normalize), float(mean), float(std)
        self.causal = self.max_length is None

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = super().postprocess(M)
        return self._normalised(L) if self.max_length is None else L

    def _normalised(self, L: torch.Tensor) -> torch.Tensor:
        """The extractor's ``(x - mean) / (std * 2)``, in place: every caller passes a
        tensor of its own (up to 1024 x 128 values, whose copies cost more than the
        arithmetic)."""
        return L.sub_(self.mean).div_(self.std * 2) if self.normalize else L

    if TYPE_CHECKING:

        def __call__(self, y: Array, lengths: Any = None) -> Array: ...

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """AST's features of ``y`` ``(..., n)``, whose items are ``lengths`` samples long
        (``(...)``, each in ``[0, n]``, the rest zero padding; None: ``n``)."""
        L = super().forward(y)  # (normalised already without max_length: see postprocess)
        if lengths is not None:  # each item's log fbank, then zero frames, as the extractor's
            zero = torch.zeros((), dtype=L.dtype, device=L.device)
            zero = self._normalised(zero) if self.max_length is None else zero
            L = torch.where(self._own_frames(L, y, lengths)[0], L, zero)
        if self.max_length is None:
            return L
        extra = self.max_length - L.shape[-1]
        L = F.pad(L, (0, extra)) if extra > 0 else L[..., : self.max_length]
        return self._normalised(L)

    def whole_input(self) -> WholeInput | None:
        return None if self.max_length is None else _MaxLengthWhole(self)

    def extra_repr(self) -> str:
        return (
            f"max_length={self.max_length}, normalize={self.normalize}, "
            f"mean={self.mean:g}, std={self.std:g}"
        )


#: The constant SeamlessM4T adds to each band's variance before its square root.
SEAMLESS_VAR_FLOOR = 1e-7


class SeamlessM4T(Kaldi):
    """The speech input of SeamlessM4T (v1, v2) and of w2v-BERT 2.0
    (``facebook/w2v-bert-2.0`` and the speech recognisers fine-tuned from it), as Hugging
    Face's ``SeamlessM4TFeatureExtractor``
    (``transformers/models/seamless_m4t/feature_extraction_seamless_m4t.py``) computes it
    from 16 kHz audio in [-1, 1]: the audio times ``1 << 15``, Kaldi's fbank (80 banks,
    400/160-sample frames, Povey window, DC removal and pre-emphasis 0.97 per frame, FFT
    512, 20 Hz-Nyquist, ``log(max(x, FLT_EPSILON))``), each band normalised over the frames
    as ``(x - mean) / sqrt(var + 1e-7)`` (variance with ``n - 1``), a zero frame after an
    odd count, then each two consecutive frames stacked into one row: ``(..., 160,
    ceil(frames / 2))``.

    Parameters
    ----------
    n_mels : int >= 3
        The extractor's ``num_mel_bins``.
    normalize : bool
        Its ``do_normalize_per_mel_bins``.
    **options
        The :class:`Kaldi` preset's (``sr`` is its ``sampling_rate``; the frames stay
        400/160 samples at any rate, as in the extractor). ``snip_edges`` is fixed.

    Notes
    -----
    Feature ``j * n_mels + f`` of row r is band f of frame ``2 r + j``, as the extractor's
    ``(frames, n_mels)`` reshaped to ``(frames / 2, 2 * n_mels)``: the model takes ``.mT``.
    (The extractor's ``stride`` other than 2 is not offered: its rows then also depend on
    its ``pad_to_multiple_of``.) Items of different lengths go in one batch as the
    extractor batches them: zero-padded to one length ``n``, with ``lengths`` giving each
    item's own (``forward(y, lengths=lengths)``): each item is normalised over its own
    frames, and its frames past them are 0. :meth:`feature_lengths` counts each item's rows that the
    extractor's ``attention_mask`` marks valid (a row completed by padding is not): the
    mask is ``arange(rows) < feature_lengths(lengths)``. An item of one frame normalises to
    0 (the extractor divides 0 by a NaN variance there). It does not stream: the
    normalisation needs the whole input.
    """

    whole_input_statistic = "each band's mean and variance over all frames (normalize)"

    #: frames stacked per row (the extractor's ``stride``)
    STRIDE = 2

    def __init__(
        self,
        *,
        normalize: bool = True,
        win_length: int = 400,
        hop_length: int = 160,
        input_scale: float = PCM_SCALE,
        **options: Any,
    ) -> None:
        refuse_fixed(options, ("subtract_mean", "snip_edges"), "SeamlessM4T's features")
        check_bool("normalize", normalize)
        super().__init__(
            win_length=win_length, hop_length=hop_length, input_scale=input_scale, **options
        )
        self.normalize = bool(normalize)
        self.causal = False

    if TYPE_CHECKING:

        def __call__(self, y: Array, lengths: Any = None) -> Array: ...

    def feature_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """The rows of items of ``lengths`` samples that hold only their own frames (the
        extractor's ``attention_mask.sum(-1)``): ``frames // 2``, with ``frames = 1 +
        (lengths - 400) // 160`` (0 below 400 samples)."""
        return self._snipped_frames(lengths) // self.STRIDE

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """SeamlessM4T's features of ``y``.

        Parameters
        ----------
        y : torch.Tensor [shape=(..., n)]
            Audio in [-1, 1], real floating point, at least one frame (400 samples) long.
        lengths : torch.Tensor or sequence of int [shape=(...)], optional
            Each item's length in samples, ``0 <= lengths <= n``, for items zero-padded to
            ``n``; None: every item is ``n`` samples long.

        Returns
        -------
        M : torch.Tensor [shape=(..., 2 * n_mels, ceil(frames / 2))]
            ``frames = 1 + (n - 400) // 160``; each item's frames past its own are 0.
        """
        L = super().forward(y)
        valid: torch.Tensor | None
        n: Any
        valid, n = None, L.shape[-1]  # (n: an int, or a tensor of counts)
        if lengths is not None:
            valid, count = self._own_frames(L, y, lengths)
            n = count.to(L.dtype)
        if self.normalize:
            centred, var = centred_bands(L, n, valid)
            L = centred / torch.sqrt(var + SEAMLESS_VAR_FLOOR)
        if valid is not None:
            L = torch.where(valid, L, 0.0)
        if L.shape[-1] % self.STRIDE:  # (the extractor pads with 0.0)
            L = F.pad(L, (0, self.STRIDE - L.shape[-1] % self.STRIDE))
        return stack_frames(L, self.STRIDE, self.STRIDE)

    def whole_input(self) -> WholeInput:
        return _StackedWhole(self)

    def extra_repr(self) -> str:
        return f"normalize={self.normalize}"


class _MaxLengthWhole(WholeInput):
    """The log fbank frames stored; the first ``max_length`` normalised, then normalised
    zero frames up to ``max_length``."""

    def __init__(self, ast: AST) -> None:
        super().__init__(CausalPart(ast.mel, ast.postprocess))
        self.ast = ast

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        assert self.ast.max_length is not None
        return self.ast._normalised(block[:, : max(0, self.ast.max_length - start)].clone())

    def tail(self, rows: int) -> torch.Tensor | None:
        assert self.ast.max_length is not None
        extra = self.ast.max_length - min(self.columns, self.ast.max_length)
        return self.ast._normalised(torch.zeros(rows, extra)) if extra > 0 else None


class _StackedWhole(WholeInput):
    """The log fbank frames stored; each band's mean and variance over all of them (with
    ``normalize``); then pairs of frames stacked, the last pair completed with zeros."""

    def __init__(self, seamless: SeamlessM4T) -> None:
        super().__init__(CausalPart(seamless.mel, seamless.postprocess))
        self.normalize, self.stride = seamless.normalize, seamless.STRIDE

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        super().statistics(blocks, columns, samples)
        total = band_sums(blocks, columns) if self.normalize else None
        self.mean = self.scale = None
        if total is not None:
            mean = (total / columns).astype(np.float32)
            squares = band_sums(blocks, columns, lambda p: np.square(p - mean, dtype=np.float64))
            assert squares is not None
            var = squares / (columns - 1) if columns > 1 else np.zeros_like(squares)
            self.mean = torch.from_numpy(mean)
            self.scale = torch.from_numpy(var.astype(np.float32)).add_(SEAMLESS_VAR_FLOOR).sqrt_()

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        if self.mean is not None and self.scale is not None:
            block = (block - self.mean) / self.scale
        if block.shape[1] % self.stride:  # (the last block: the extractor pads with 0.0)
            block = F.pad(block, (0, self.stride - block.shape[1] % self.stride))
        return stack_frames(block, self.stride, self.stride)


SPECS = (
    PresetSpec(
        "seamless",
        SeamlessM4T,
        model="transformers, models/seamless_m4t/feature_extraction_seamless_m4t.py: "
        "SeamlessM4TFeatureExtractor",
        # float64 in log units: a band of almost constant energy magnifies the extractor's
        # float32 rounding of the log in normalised units
        reference="seamless_features",
        tolerance=Tolerance(float32=KALDI_TOLERANCE.float32, float64=2e-5),
        reference64="seamless_features",
    ),
    PresetSpec(
        "ast",
        AST,
        model="transformers, models/audio_spectrogram_transformer/"
        "feature_extraction_audio_spectrogram_transformer.py: ASTFeatureExtractor",
        reference="ast_features",
        tolerance=Tolerance(float32=KALDI_TOLERANCE.float32, float64=1e-6),
        reference64="ast_features",
    ),
)
