"""What several presets share: each item's length in a zero-padded batch
(:func:`checked_lengths`), per-band statistics over the frames (:func:`centred_bands`), a
model's log floor and fixed per-band normalisation (:func:`keep_log_bands`,
:func:`normalised_bands`), the options a preset fixes (:func:`refuse_fixed`) and the scales
of Kaldi-trained models.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError, check_real
from fastmel.feature.frontend import FrontEnd
from fastmel.ops.tracing import is_compiling

__all__ = [
    "centred_bands",
    "checked_lengths",
    "keep_log_bands",
    "log_bands_repr",
    "normalised_bands",
    "refuse_fixed",
    "FLT_EPSILON",
    "PCM_SCALE",
]

FLT_EPSILON = float(np.finfo(np.float32).eps)  # (Kaldi's log floor, whatever the dtype)


#: ``1 << 15``: the scale of 16-bit samples, by which models trained on Kaldi's integer-valued
#: audio (WeSpeaker, pyannote, FunASR) multiply audio in [-1, 1] (``input_scale``)
PCM_SCALE = float(1 << 15)


def centred_bands(
    L: torch.Tensor, n: Any, valid: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``L`` ``(..., n_mels, frames)`` less each band's mean over the ``n`` frames ``valid``
    marks (``(..., 1, frames)``; None: all), 0 elsewhere, and each band's variance over them
    with the ``n - 1`` denominator (0 for one frame, whose 0/0 would be NaN). The mean is
    summed in float64, so that a band of equal values (digital silence) has exactly that
    mean and centres to 0 as in exact arithmetic: a float32 sum's rounding, divided by a
    normalisation's small variance floor, would leave values far from 0 (as NeMo's own
    float32 steps do)."""
    kept = L if valid is None else torch.where(valid, L, 0.0)
    mean = (kept.sum(dim=-1, keepdim=True, dtype=torch.float64) / n).to(L.dtype)
    centred = L - mean if valid is None else torch.where(valid, L - mean, 0.0)
    var = centred.square().sum(dim=-1, keepdim=True) / (n - 1)
    if isinstance(n, int):  # one count, known here: no NaN check on the hot path
        return centred, var if n > 1 else torch.zeros_like(var)
    return centred, torch.where(var.isnan(), 0.0, var)


def checked_lengths(lengths: Any, y: torch.Tensor) -> torch.Tensor:
    """``lengths`` (each item's length in samples) as an integer tensor of ``y``'s leading
    shape on its device; its values are checked where that needs no device synchronisation
    (a CPU tensor)."""
    if not isinstance(lengths, torch.Tensor):
        try:
            lengths = torch.as_tensor(lengths)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"lengths must be a tensor or a sequence of ints, got {type(lengths).__name__}"
            ) from None
    dtype = lengths.dtype  # (its attributes, which torch 2.1's dynamo traces)
    if dtype.is_floating_point or dtype.is_complex or dtype == torch.bool:
        raise TypeError(f"lengths must hold integers, got dtype {dtype}")
    if lengths.shape != y.shape[:-1]:
        raise ParameterError(
            f"lengths has shape {tuple(lengths.shape)}; it must be y's leading shape "
            f"{tuple(y.shape[:-1])} (one length per item)"
        )
    if lengths.device.type == "cpu" and lengths.numel() and not is_compiling():
        low, high = int(lengths.min()), int(lengths.max())
        if low < 0 or high > y.shape[-1]:
            raise ParameterError(
                f"lengths must lie in [0, {y.shape[-1]}] (the padded length), got "
                f"values from {low} to {high}"
            )
    return lengths.to(y.device)


def refuse_fixed(options: dict[str, Any], names: tuple[str, ...], model: str) -> None:
    """ParameterError naming the first of ``names`` given in ``options``: "... is fixed for
    ``model``"."""
    for name in names:
        if name in options:
            raise ParameterError(f"{name} is fixed for {model}")


def keep_log_bands(
    front: FrontEnd, mel_floor: Any, per_bin_mean: Any, per_bin_stddev: Any
) -> float:
    """``mel_floor``, checked (positive, finite), for the caller to keep; each of
    ``per_bin_mean`` and ``per_bin_stddev`` (None, or one finite float per band of
    ``front.mel``, a std positive) kept as a non-persistent buffer of that name, a column
    ``(n_mels, 1)`` in the module's dtype, rounded once from float64 (None: that step is
    skipped, see :func:`normalised_bands`)."""
    floor = check_real("mel_floor", mel_floor)
    if not 0 < floor < math.inf:
        raise ParameterError(f"mel_floor={mel_floor!r} must be positive and finite")
    n_mels, dtype = front.mel.config.n_mels, front.mel.dtype
    for name, values in (("per_bin_mean", per_bin_mean), ("per_bin_stddev", per_bin_stddev)):
        column = None
        if values is not None:
            try:
                v = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must be a sequence of {n_mels} floats") from None
            if (
                v.shape != (n_mels,)
                or not np.isfinite(v).all()
                or ("std" in name and (v <= 0).any())
            ):
                raise ParameterError(f"{name} must be {n_mels} finite floats (a std: positive)")
            column = torch.from_numpy(v).to(dtype)[:, None]
        front.register_buffer(name, column, persistent=False)
    return float(floor)


def log_bands_repr(front: Any) -> str:
    """The ``extra_repr`` of a front end set up by :func:`keep_log_bands`."""
    return (
        f"mel_floor={front.mel_floor:g}, per_bin_mean={front.per_bin_mean is not None}, "
        f"per_bin_stddev={front.per_bin_stddev is not None}"
    )


def normalised_bands(
    L: torch.Tensor, mean: torch.Tensor | None, std: torch.Tensor | None
) -> torch.Tensor:
    """``(L - mean) / std`` per band (columns ``(n_mels, 1)``; None: that step skipped)."""
    if mean is not None:
        L = L - mean
    return L if std is None else L / std
