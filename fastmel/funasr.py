"""FunASR's feature steps after the fbank: low-frame-rate stacking and the model's CMVN.

FunASR's ``WavFrontend`` (SenseVoice, Paraformer, Fun-ASR-Nano, FSMN-VAD) stacks ``lfr_m``
consecutive fbank frames into one feature vector every ``lfr_n`` frames (LFR), then applies
the global mean and variance normalisation stored with the model in ``am.mvn``, a Kaldi
nnet1 text file whose ``<AddShift>`` component adds minus the means and whose ``<Rescale>``
component multiplies by the inverse standard deviations.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from .errors import ParameterError

__all__ = ["low_frame_rate", "read_am_mvn"]


def low_frame_rate(L: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """Stack ``m`` frames every ``n``, as FunASR's LFR: ``(..., F, T) -> (..., m * F,
    ceil(T / n))``.

    Output frame i holds frames ``i * n - (m - 1) // 2 .. i * n - (m - 1) // 2 + m - 1`` of
    ``L``, frame 0 standing in for those before the start and the last frame for those past
    the end; feature ``j * F + f`` is band f of the j-th of them.
    """
    if m == 1 and n == 1:
        return L
    # (m - 1) // 2 copies of frame 0 before, the rest of m - 1 copies of the last frame after:
    # then exactly ceil(T / n) windows of m every n fit, the last reaching past the end only
    # as far as FunASR repeats the last frame
    lead, left = L.shape[:-1], (m - 1) // 2
    padded = torch.cat([L[..., :1].expand(*lead, left), L,
                        L[..., -1:].expand(*lead, m - 1 - left)], dim=-1)  # fmt: skip
    windows = padded.unfold(-1, m, n)  # (..., F, ceil(T / n), m)
    return windows.movedim(-1, -3).flatten(-3, -2)


def _vector(tokens: list[str], component: str, path: str) -> np.ndarray:
    """The numbers between the brackets that follow ``component`` in ``tokens``."""
    try:
        start = tokens.index("[", tokens.index(component)) + 1
        values = tokens[start : tokens.index("]", start)]
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        raise ParameterError(f"{path}: no {component} vector (not a FunASR am.mvn file)") from None


def read_am_mvn(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """The shift and scale vectors of a FunASR ``am.mvn`` file, float64.

    The features are normalised as ``(x + shift) * scale``: ``shift`` is minus the means,
    ``scale`` the inverse standard deviations.

    Raises
    ------
    ParameterError
        The file cannot be read, lacks either vector, or its vectors differ in length.
    """
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            tokens = f.read().split()
    except (OSError, UnicodeDecodeError) as e:
        raise ParameterError(f"{name}: cannot read the am.mvn file ({e})") from None
    shift, scale = _vector(tokens, "<AddShift>", name), _vector(tokens, "<Rescale>", name)
    if shift.shape != scale.shape or not shift.size:
        raise ParameterError(
            f"{name}: <AddShift> has {shift.size} values and <Rescale> {scale.size}"
        )
    return shift, scale


def cmvn_vectors(cmvn: Any, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``cmvn`` (None, an am.mvn path, or a ``(shift, scale)`` pair) as two checked float64
    vectors of ``dim`` values (FunASR uses their first ``dim``), or None."""
    if cmvn is None:
        return None
    if isinstance(cmvn, (str, os.PathLike)):
        shift, scale = read_am_mvn(cmvn)
    elif isinstance(cmvn, (tuple, list)) and len(cmvn) == 2:
        try:
            shift, scale = (np.asarray(v, dtype=np.float64) for v in cmvn)
        except (TypeError, ValueError):
            raise TypeError("cmvn's shift and scale must be vectors of real numbers") from None
    else:
        raise TypeError(
            f"cmvn must be None, an am.mvn path or a (shift, scale) pair, got {type(cmvn).__name__}"
        )
    if shift.ndim != 1 or scale.ndim != 1 or min(shift.size, scale.size) < dim:
        raise ParameterError(
            f"cmvn's shift and scale must be vectors of at least {dim} values (n_mels * lfr_m), "
            f"got shapes {shift.shape} and {scale.shape}"
        )
    shift, scale = shift[:dim], scale[:dim]
    if not (np.isfinite(shift).all() and np.isfinite(scale).all()):
        raise ParameterError("cmvn's shift and scale must be finite")
    return shift, scale
