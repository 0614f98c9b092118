"""Decibel scaling equal to librosa's ``power_to_db``/``amplitude_to_db`` and their inverses,
arrays and tensors."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from fastmel.core.arrays import Array
from fastmel.core.errors import ParameterError, check_real

__all__ = ["amplitude_to_db", "db_to_amplitude", "db_to_power", "power_to_db"]


def _check(S: Any, ref: Any, amin: float, top_db: float | None) -> None:
    if not isinstance(S, (np.ndarray, torch.Tensor)):
        raise TypeError(f"S must be a np.ndarray or torch.Tensor, got {type(S).__name__}")
    if not (math.isfinite(check_real("amin", amin)) and amin > 0):
        raise ParameterError(f"amin={amin} must be strictly positive")
    if top_db is not None and not check_real("top_db", top_db) >= 0:
        raise ParameterError(f"top_db={top_db} must be non-negative")
    if isinstance(ref, (np.ndarray, torch.Tensor)):  # a 0-d peak (a tensor's stays on device)
        if ref.ndim:
            raise ParameterError(f"ref must be a scalar or 0-d, got shape {tuple(ref.shape)}")
    elif not callable(ref):
        check_real("ref", ref)


def _warn_if_complex(S: Array, name: str, hint: str) -> bool:
    """Whether ``S`` is complex, with librosa's warning that its phase is discarded."""
    if not (S.dtype.is_complex if isinstance(S, torch.Tensor) else np.iscomplexobj(S)):
        return False
    warnings.warn(
        f"{name} got a complex S and keeps only its magnitude (as librosa does); pass "
        f"{hint} to silence this",
        UserWarning,
        stacklevel=3,
    )
    return True


def _ref_value(S: Array, ref: float | Callable[[Array], Any]) -> Any:
    if callable(ref) and _is_empty(S):
        return 1.0  # no value to take a reference of (np.max raises), and none is scaled
    value = ref(S) if callable(ref) else ref
    return abs(value)


def _is_empty(S: Array) -> bool:
    return not math.prod(S.shape)


def power_to_db(
    S: Array,
    *,
    ref: float | Callable[[Array], Any] = 1.0,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
) -> Array:
    """Convert a power spectrogram to decibels, equal to ``librosa.power_to_db``.

    ``10 * log10(max(amin, S)) - 10 * log10(max(amin, ref))``, then floored at
    ``max - top_db`` where the max is taken over the whole input (librosa 0.11).

    Parameters
    ----------
    S : np.ndarray or torch.Tensor [shape=(...)]
        Non-negative power values. A complex ``S`` is replaced by ``abs(S)`` (not its
        square) with a warning, as librosa does.
    ref : float or callable
        Reference power; a callable gets ``S`` (e.g. ``np.max`` or ``torch.amax``).
    amin : float > 0
        Floor applied before the logarithm.
    top_db : float >= 0 or None
        Dynamic range kept below the peak; None keeps everything.

    Returns
    -------
    S_db : np.ndarray or torch.Tensor [shape=(...)]
        Same type (and device) as ``S``. The tensor path never synchronises with the host:
        ``ref`` may be a 0-d tensor and the max stays on the device.
    """
    _check(S, ref, amin, top_db)
    if _warn_if_complex(S, "power_to_db", "abs(D) ** 2"):
        S = abs(S)  # pyright: ignore[reportAssignmentType]
    ref_value = _ref_value(S, ref)
    if _is_empty(S):
        top_db = None  # an empty input (batch) has no peak to floor at
    if isinstance(S, np.ndarray):
        log_spec = 10.0 * np.log10(np.maximum(amin, S))
        log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
        if top_db is not None:
            log_spec = np.maximum(log_spec, log_spec.max() - top_db)
        return log_spec
    if not S.dtype.is_floating_point:
        S = S.float()
    log_spec = 10.0 * torch.log10(torch.clamp(S, min=amin))
    ref_db: torch.Tensor | float
    if isinstance(ref_value, torch.Tensor):
        ref_db = 10.0 * torch.log10(torch.clamp(ref_value.to(S.dtype), min=amin))
    else:
        ref_db = 10.0 * math.log10(max(amin, float(ref_value)))
    log_spec = log_spec - ref_db
    if top_db is not None:
        log_spec = torch.maximum(log_spec, log_spec.max() - top_db)
    return log_spec


def amplitude_to_db(
    S: Array,
    *,
    ref: float | Callable[[Array], Any] = 1.0,
    amin: float = 1e-5,
    top_db: float | None = 80.0,
) -> Array:
    """Convert an amplitude spectrogram to decibels, equal to ``librosa.amplitude_to_db``.

    Equivalent to ``power_to_db(S ** 2, ref=ref ** 2, amin=amin ** 2, top_db=top_db)``.

    Parameters
    ----------
    S : np.ndarray or torch.Tensor [shape=(...)]
        Amplitude values (absolute values are taken; a complex ``S`` warns, as librosa).
    ref : float or callable
        Reference amplitude; a callable gets ``abs(S)``.
    amin : float > 0
        Amplitude floor.
    top_db : float >= 0 or None
        Dynamic range kept below the peak.

    Returns
    -------
    S_db : np.ndarray or torch.Tensor [shape=(...)]
    """
    _check(S, ref, amin, top_db)
    _warn_if_complex(S, "amplitude_to_db", "abs(D)")
    magnitude: Array = abs(S)  # pyright: ignore[reportAssignmentType]
    ref_value = _ref_value(magnitude, ref)
    power = magnitude * magnitude
    return power_to_db(power, ref=ref_value**2, amin=amin**2, top_db=top_db)


def db_to_power(S_db: Array, *, ref: float = 1.0) -> Array:
    """Convert decibels back to power, equal to ``librosa.db_to_power``.

    ``ref * 10 ** (S_db / 10)``: the inverse of :func:`power_to_db` where it did not clip
    (``amin``, ``top_db``), e.g. to feed a model's dB mel to a power-domain vocoder.

    Parameters
    ----------
    S_db : np.ndarray or torch.Tensor [shape=(...)]
        Decibel values.
    ref : float
        The reference power the decibels are relative to.

    Returns
    -------
    S : np.ndarray or torch.Tensor [shape=(...)]
        Same type (and device) as ``S_db``.
    """
    if not isinstance(S_db, (np.ndarray, torch.Tensor)):
        raise TypeError(f"S_db must be a np.ndarray or torch.Tensor, got {type(S_db).__name__}")
    check_real("ref", ref)
    if isinstance(S_db, np.ndarray):
        return ref * np.power(10.0, S_db * 0.1)
    if not S_db.dtype.is_floating_point:
        S_db = S_db.float()
    return ref * torch.pow(10.0, S_db * 0.1)


def db_to_amplitude(S_db: Array, *, ref: float = 1.0) -> Array:
    """Convert decibels back to amplitude, equal to ``librosa.db_to_amplitude``.

    ``sqrt(db_to_power(S_db, ref=ref ** 2))``, the inverse of :func:`amplitude_to_db`.

    Parameters
    ----------
    S_db : np.ndarray or torch.Tensor [shape=(...)]
        Decibel values.
    ref : float
        The reference amplitude.

    Returns
    -------
    S : np.ndarray or torch.Tensor [shape=(...)]
    """
    check_real("ref", ref)
    return db_to_power(S_db, ref=ref**2) ** 0.5
