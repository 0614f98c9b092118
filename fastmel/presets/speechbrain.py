"""SpeechBrain's Fbank features with sentence mean normalisation (its speaker models)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError, check_bool, check_real, check_size
from fastmel.feature.frontend import (
    Blocks,
    CausalPart,
    FrontEnd,
    WholeInput,
    band_sums,
    stored_max,
)
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["SpeechBrain"]


class SpeechBrain(FrontEnd):
    """SpeechBrain's ``Fbank`` features (``speechbrain/lobes/features.py``), normalised per
    sentence: the input of its speaker models (ECAPA-TDNN
    ``speechbrain/spkrec-ecapa-voxceleb``) as ``EncoderClassifier`` computes it from 16 kHz
    audio: ``torch.stft`` (n_fft and window 400, hop 160,
    ``torch.hamming_window(400)``, centred with zeros), power spectrum, SpeechBrain's
    triangular bank (:func:`fastmel.speechbrain_mel_filters`, 0-8000 Hz),
    ``10 log10(max(x, 1e-10))`` floored at ``top_db`` below the item's max over all its
    frames and bands, then each band's mean over the frames subtracted (its
    ``InputNormalization`` with ``norm_type="sentence"``, ``std_norm=False``).

    Parameters
    ----------
    n_mels : int
        The ``Fbank``'s ``n_mels`` (80 for ECAPA-TDNN; 24 for the x-vector models).
    top_db : float >= 0 or None
        The ``Filterbank``'s ``top_db``; None: no floor.
    subtract_mean : bool
        The sentence mean normalisation (each item by its own mean).
    **mel_overrides
        :class:`MelSpectrogram` keywords (``fmin``/``fmax``: the ``Fbank``'s ``f_min`` and
        ``f_max``).

    Notes
    -----
    Not causal (the floor and the mean need the whole input) unless ``top_db=None`` and
    ``subtract_mean=False``. The output is ``(..., n_mels, frames)``: the model takes
    ``.mT``. ``encode_batch``'s relative ``wav_lens`` of a padded batch are not taken: pass
    each item at its own length.
    """

    whole_input_statistic = "its top_db floor (below the max) and each band's mean"
    MEL = dict(
        sr=16000,
        n_fft=400,
        hop_length=160,
        n_mels=80,
        fmin=0.0,
        power=2.0,
        pad_mode="constant",
        htk=True,
        norm=None,
        filterbank="speechbrain",
    )

    def __init__(
        self, *, top_db: float | None = 80.0, subtract_mean: bool = True, **mel_overrides: Any
    ) -> None:
        if "window" not in mel_overrides:  # (torch's periodic float32 Hamming, as its STFT)
            win = mel_overrides.get("win_length") or mel_overrides.get("n_fft", self.MEL["n_fft"])
            mel_overrides["window"] = torch.hamming_window(check_size("win_length", win))
        super().__init__(**mel_overrides)
        if top_db is not None and not (math.isfinite(check_real("top_db", top_db)) and top_db >= 0):
            raise ParameterError(f"top_db={top_db!r} must be a finite number >= 0 or None")
        check_bool("subtract_mean", subtract_mean)
        self.top_db = None if top_db is None else float(top_db)
        self.subtract_mean = bool(subtract_mean)
        self.causal = self.top_db is None and not self.subtract_mean

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.clamp(M, min=1e-10).log10().mul_(10.0)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        if self.top_db is not None:  # (the max over each item's bands and frames)
            L = torch.maximum(L, L.flatten(-2).amax(-1)[..., None, None] - self.top_db)
        return L - L.mean(dim=-1, keepdim=True) if self.subtract_mean else L

    def extra_repr(self) -> str:
        return f"top_db={self.top_db}, subtract_mean={self.subtract_mean}"

    def whole_input(self) -> WholeInput | None:
        return None if self.causal else _FloorMeanWhole(self)


class _FloorMeanWhole(WholeInput):
    """The dB frames stored; the max over all of them (for the ``top_db`` floor), then
    each band's mean of the floored frames, subtracted."""

    def __init__(self, sb: SpeechBrain) -> None:
        super().__init__(CausalPart(sb.mel, sb.postprocess))
        self.top_db, self.subtract_mean = sb.top_db, sb.subtract_mean

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        super().statistics(blocks, columns, samples)
        self.floor = None
        if self.top_db is not None:
            top = stored_max(blocks, columns)
            if top is not None:
                self.floor = torch.tensor(top, dtype=torch.float32) - self.top_db
        self.mean = None
        if self.subtract_mean:
            floor = None if self.floor is None else self.floor.numpy()
            total = band_sums(
                blocks, columns, None if floor is None else lambda p: np.maximum(p, floor)
            )
            if total is not None:
                self.mean = torch.from_numpy((total / columns).astype(np.float32))

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        if self.floor is not None:
            block = torch.maximum(block, self.floor)
        return block - self.mean if self.mean is not None else block


SPECS = (
    PresetSpec(
        "speechbrain",
        SpeechBrain,
        model="SpeechBrain, speechbrain/lobes/features.py: Fbank + InputNormalization",
        # dB values up to ~100, whose float32 ulp is 7.6e-06
        reference="speechbrain_batch",
        tolerance=Tolerance(float32=1e-4, float64=1e-9, onnx=1e-3),
        reference64="speechbrain_batch",
    ),
)
