"""The one error type fastmel raises for bad parameters or bad audio, and the checks of scalars."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["ParameterError"]

# Sizes (n_fft, hop_length, n_mels, ...) above int32's range have no use in audio analysis
# and overflow the size arithmetic of numpy and torch with errors that name no parameter.
MAX_SIZE = 2**31 - 1


class ParameterError(ValueError):
    """A parameter or an audio buffer is invalid (as librosa's ``ParameterError``, a ValueError)."""


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number: a Python or NumPy int or float, not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_real(name: str, value: Any) -> float:
    """``value`` as a float; TypeError naming ``name`` unless it is a real number (not a bool)."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    """``value`` as a bool; TypeError naming ``name`` unless it is a Python or NumPy bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def check_size(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int in ``[minimum, MAX_SIZE]``; TypeError unless it is an integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not minimum <= value <= MAX_SIZE:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ParameterError(f"{name}={value} must be {what} (at most 2**31 - 1)")
    return int(value)


def check_sr(sr: Any) -> float:
    """``sr`` as a float; it must be a positive finite number."""
    sr = check_real("sr", sr)
    if not (math.isfinite(sr) and sr > 0):
        raise ParameterError(f"sr={sr} must be a positive finite number")
    return sr
