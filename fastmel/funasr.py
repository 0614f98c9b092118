"""FunASR's feature steps after the fbank: low-frame-rate stacking and the model's CMVN.

FunASR's ``WavFrontend`` (SenseVoice, Paraformer, Fun-ASR-Nano, FSMN-VAD) stacks ``lfr_m``
consecutive fbank frames into one feature vector every ``lfr_n`` frames (LFR), then applies
the global mean and variance normalisation stored with the model in ``am.mvn``, a Kaldi
nnet1 text file whose ``<AddShift>`` component adds minus the means and whose ``<Rescale>``
component multiplies by the inverse standard deviations.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .errors import ParameterError

__all__ = ["FrameStacker", "low_frame_rate", "read_am_mvn", "stack_frames"]


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
    return stack_frames(padded, m, n)


def stack_frames(frames: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """Every window of ``m`` frames every ``n`` that fits in ``frames`` ``(..., F, T)``, each
    as one column: ``(..., m * F, windows)``."""
    return frames.unfold(-1, m, n).movedim(-1, -3).flatten(-3, -2)  # (from (..., F, w, m))


class FrameStacker:
    """:func:`low_frame_rate` over a stream of frames: each stacked row as soon as the frames
    it holds have arrived, the rows that repeat the last frame at :meth:`flush`.

    Rows are passed through ``rows_done`` (FunASR's CMVN). The state is immutable between
    pushes (new tensors, never written in place), so :meth:`state` snapshots it.
    """

    def __init__(self, m: int, n: int, rows_done: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.m, self.n, self.left, self.rows_done = m, n, (m - 1) // 2, rows_done
        self.resume(None)

    def state(self) -> tuple:
        """``(pending, start, rows)``: the frames from padded-domain index ``start`` that
        rows ``rows`` on may read (the last one kept for the right edge)."""
        return self.pending, self.start, self.rows

    def resume(self, state: tuple | None) -> None:
        """Go on from :meth:`state` (None: a new stream)."""
        self.pending, self.start, self.rows = state if state is not None else (None, 0, 0)

    def _rows(self, frames: torch.Tensor, count: int) -> torch.Tensor:
        """The next ``count`` rows, from ``frames`` starting at the first row's first frame."""
        if count:
            rows = stack_frames(frames.narrow(-1, 0, (count - 1) * self.n + self.m), self.m, self.n)
        else:
            rows = frames.new_empty(frames.shape[:-2] + (self.m * frames.shape[-2], 0))
        self.rows += count
        return self.rows_done(rows)

    def push(self, frames: torch.Tensor) -> torch.Tensor:
        """Frames ``(..., F, k)`` in; the rows ``(..., m * F, r)`` they complete out."""
        if self.pending is None:  # the first frames: frame 0 stands in before the start
            if not frames.shape[-1]:
                return self._rows(frames, 0)
            lead = frames.shape[:-1]
            frames = torch.cat([frames[..., :1].expand(*lead, self.left), frames], dim=-1)
        else:
            frames = torch.cat([self.pending, frames], dim=-1)
        out, end = self._complete_rows(frames)
        # keep from the next row's first frame, and at least the last frame (the right edge)
        keep = min(self.rows * self.n, end - 1)
        self.pending, self.start = frames[..., keep - self.start :], keep
        return out

    def flush(self) -> torch.Tensor:
        """The last rows, the last frame standing in past the end (no frames: no rows)."""
        if self.pending is None:
            raise ParameterError("no frames to stack")
        lead = self.pending.shape[:-1]
        after = self.pending[..., -1:].expand(*lead, self.m - 1 - self.left)
        return self._complete_rows(torch.cat([self.pending, after], dim=-1))[0]

    def _complete_rows(self, frames: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The rows complete in ``frames`` (padded-domain frames from ``start``), and the
        padded-domain index where ``frames`` end."""
        end = self.start + frames.shape[-1]
        count = max(0, (end - self.rows * self.n - self.m) // self.n + 1)
        return self._rows(frames[..., self.rows * self.n - self.start :], count), end


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
