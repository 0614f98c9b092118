"""FunASR's ``WavFrontend`` (SenseVoice, Paraformer): Kaldi's fbank, low-frame-rate stacking
and the model's ``am.mvn`` normalisation.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError, check_size
from fastmel.ops.stacking import FrameStacker, low_frame_rate
from fastmel.presets.common import (
    PCM_SCALE,
)
from fastmel.presets.kaldi import KALDI_TOLERANCE, Kaldi
from fastmel.presets.spec import PresetSpec

__all__ = ["cmvn_vectors", "read_am_mvn", "FunASR"]


class FunASR(Kaldi):
    """FunASR's ``WavFrontend``: the input of SenseVoice, Paraformer and Fun-ASR-Nano (and,
    with ``lfr_m=5, lfr_n=1`` and its own ``am.mvn``, of FSMN-VAD), from 16 kHz audio in
    [-1, 1]: the audio times ``1 << 15``, ``torchaudio.compliance.kaldi.fbank(...,
    num_mel_bins=80, frame_length=25, frame_shift=10, window_type="hamming")`` (Kaldi's
    ``compute-fbank-feats`` otherwise), ``lfr_m`` frames stacked every ``lfr_n``
    (:func:`fastmel.funasr.low_frame_rate`), then ``(x + shift) * scale`` with the model's
    ``am.mvn``.

    Parameters
    ----------
    lfr_m, lfr_n : int >= 1
        Frames stacked, and the stride (the models' ``frontend_conf``; 7 and 6 for SenseVoice
        and Paraformer).
    cmvn : None, path or (shift, scale)
        The model's ``am.mvn`` file (FunASR's ``cmvn_file``), or its two vectors; None: no
        normalisation (the stacked log fbank).
    **options
        The :class:`Kaldi` preset's (``window="hamming"`` and ``input_scale=PCM_SCALE`` by
        default).

    Notes
    -----
    The output is ``(..., n_mels * lfr_m, ceil(frames / lfr_n))``; the model takes ``.mT``.
    A batch gives each row the features of that row alone. It streams: each stacked row
    comes out once the frames it holds have arrived, and the rows that repeat the last
    frame at the flush (a CUDA-graph stream does not stack frames: push to the
    :class:`fastmel.MelStream`). FunASR's ``WavFrontend`` dithers unless
    its config sets ``dither: 0`` (its default is 1.0 on the 16-bit scale: random noise
    added to every frame); these are the features without dither. FunASR shortens the
    frame to an input shorter than 25 ms; here such an input raises ParameterError.
    """

    cmvn_shift: torch.Tensor | None
    cmvn_scale: torch.Tensor | None

    def __init__(
        self,
        *,
        window: str = "hamming",
        input_scale: float = PCM_SCALE,
        lfr_m: int = 7,
        lfr_n: int = 6,
        cmvn: Any = None,
        **options: Any,
    ) -> None:
        if options.get("subtract_mean"):
            raise ParameterError("subtract_mean does not apply to funasr: its cmvn normalises")
        super().__init__(window=window, input_scale=input_scale, **options)
        self.lfr_m, self.lfr_n = check_size("lfr_m", lfr_m), check_size("lfr_n", lfr_n)
        vectors = cmvn_vectors(cmvn, self.mel.config.n_mels * self.lfr_m) or (None, None)
        for name, v in zip(("cmvn_shift", "cmvn_scale"), vectors, strict=True):
            column = None if v is None else torch.from_numpy(v).to(self.mel.dtype)[:, None]
            self.register_buffer(name, column, persistent=False)
        self.stacks = (self.lfr_m, self.lfr_n) != (1, 1)  # (else the CMVN is per frame)

    def frame_stacker(self) -> FrameStacker | None:
        return FrameStacker(self.lfr_m, self.lfr_n, self._normalised) if self.stacks else None

    def _normalised(self, L: torch.Tensor) -> torch.Tensor:
        """FunASR's ``apply_cmvn``: ``(L + shift) * scale``."""
        if self.cmvn_shift is None or self.cmvn_scale is None:
            return L
        return (L + self.cmvn_shift) * self.cmvn_scale

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = super().postprocess(M)
        return L if self.stacks else self._normalised(L)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        return self._normalised(low_frame_rate(L, self.lfr_m, self.lfr_n)) if self.stacks else L

    def extra_repr(self) -> str:
        cmvn = "cmvn=None" if self.cmvn_shift is None else "cmvn=(shift, scale)"
        return f"lfr_m={self.lfr_m}, lfr_n={self.lfr_n}, {cmvn}"


def _vector(tokens: list[str], component: str, path: str) -> np.ndarray:
    """The numbers between the brackets that follow ``component`` in ``tokens``."""
    try:
        start = tokens.index("[", tokens.index(component)) + 1
        values = tokens[start : tokens.index("]", start)]
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        raise ParameterError(f"{path}: no {component} vector (not a FunASR am.mvn file)") from None


#: The largest am.mvn file read (two vectors of a few hundred values take a few KB).
MAX_AM_MVN_BYTES = 1 << 24


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
        info = os.stat(name)
        if not stat.S_ISREG(info.st_mode):  # (a device such as /dev/zero never ends)
            raise ParameterError(f"{name}: not a regular file (a FIFO, device or directory)")
        if info.st_size > MAX_AM_MVN_BYTES:
            raise ParameterError(
                f"{name}: {info.st_size} bytes, too large for an am.mvn file "
                f"(at most {MAX_AM_MVN_BYTES})"
            )
        with open(name, encoding="utf-8") as f:
            tokens = f.read(MAX_AM_MVN_BYTES + 1).split()
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


SPECS = (
    PresetSpec(
        "funasr",
        FunASR,
        model="FunASR, funasr/frontends/wav_frontend.py: WavFrontend",
        reference="funasr_batch",
        tolerance=KALDI_TOLERANCE,
        reference64="funasr_features64",
    ),
)
