"""``torchaudio.functional``'s mel building blocks: the filterbank, the DCT matrix and
decibels, with torchaudio's names, defaults and layouts."""

from __future__ import annotations

import math

import torch

from fastmel.core.errors import ParameterError, check_real, check_size
from fastmel.core.filters import torchaudio_mel_filters
from fastmel.feature.mfcc import dct_matrix

__all__ = ["amplitude_to_DB", "create_dct", "melscale_fbanks"]

MEL_SCALES = ("htk", "slaney")


def check_mel_scale(mel_scale: str, norm: str | None) -> None:
    """torchaudio's ``mel_scale`` and ``norm`` values (ParameterError naming others)."""
    if mel_scale not in MEL_SCALES:
        raise ParameterError(f"mel_scale={mel_scale!r} must be one of {MEL_SCALES}")
    if norm not in (None, "slaney"):
        raise ParameterError(f"norm={norm!r} must be 'slaney' or None")


def melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> torch.Tensor:
    """The mel filterbank, as ``torchaudio.functional.melscale_fbanks`` builds it (float32
    steps, bins at ``linspace(0, sample_rate // 2, n_freqs)``).

    Returns
    -------
    fb : torch.Tensor [shape=(n_freqs, n_mels)], float32
        ``spectrum.mT @ fb`` is the mel spectrum, as in torchaudio.
    """
    check_mel_scale(mel_scale, norm)
    n_freqs = check_size("n_freqs", n_freqs, minimum=2)
    fb = torchaudio_mel_filters(
        sr=check_real("sample_rate", sample_rate),
        n_fft=2 * (n_freqs - 1),
        n_mels=check_size("n_mels", n_mels),
        fmin=check_real("f_min", f_min),
        fmax=check_real("f_max", f_max),
        htk=mel_scale == "htk",
        norm=norm,
    )
    return torch.from_numpy(fb.T.copy())


def create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> torch.Tensor:
    """The DCT-II matrix of ``torchaudio.functional.create_dct``: ``(n_mels, n_mfcc)``,
    float32 (built in float64 and rounded once; None: unnormalised, scipy's scale)."""
    if norm not in (None, "ortho"):
        raise ParameterError(f"norm={norm!r} must be 'ortho' or None")
    D = dct_matrix(check_size("n_mels", n_mels), check_size("n_mfcc", n_mfcc), norm=norm)
    return torch.from_numpy(D.T.copy()).float()


def amplitude_to_DB(  # noqa: N802 (torchaudio's name)
    x: torch.Tensor,
    multiplier: float,
    amin: float,
    db_multiplier: float,
    top_db: float | None = None,
) -> torch.Tensor:
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``, floored ``top_db``
    below a max, as ``torchaudio.functional.amplitude_to_DB``: the max over the last three
    dimensions (channel, freq, time) of an input of three or more, over both of a 2-D one
    (a 3-D batch of spectrograms has one max, as in torchaudio: batch them 4-D)."""
    x_db = multiplier * torch.log10(torch.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is None:
        return x_db
    if not (math.isfinite(top_db) and top_db >= 0):
        raise ParameterError(f"top_db={top_db!r} must be a finite number >= 0")
    dims = (-3, -2, -1) if x_db.dim() > 2 else (-2, -1)
    return torch.maximum(x_db, x_db.amax(dim=dims, keepdim=True) - top_db)
