"""Wav2Lip's mel input and the mel windows it pairs with video frames.

:func:`mel_windows` cuts a mel spectrogram into the ``step``-frame windows Wav2Lip's
inference loop reads for each video frame (``mel_fps / fps`` frames apart), offline and
as the frames arrive (:class:`MelWindows`).
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
import torch

from fastmel.core.arrays import Array, StreamKind, as_tensor, like
from fastmel.core.errors import ParameterError, check_real, check_size
from fastmel.feature.frontend import FrontEnd
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["mel_windows", "MelWindows", "Wav2Lip"]


class Wav2Lip(FrontEnd):
    """Wav2Lip's ``audio.py`` (``melspectrogram``) with its ``hparams.py``.

    Pre-emphasis 0.97, ``librosa.stft(n_fft=800, hop_length=200, win_length=800)``,
    magnitude mel (80 Slaney bands, 55-7600 Hz), ``20 log10(max(1e-5, x)) - 20``, then
    ``clip(8 (S + 100) / 100 - 4, -4, 4)``.

    Parameters
    ----------
    pad_mode : {"constant", "reflect"}
        ``"constant"`` is what current librosa (>= 0.10) computes; ``"reflect"`` is what
        the librosa of Wav2Lip's time (< 0.10) computed, which its checkpoints saw.
    """

    MEL = dict(
        sr=16000,
        n_fft=800,
        hop_length=200,
        win_length=800,
        n_mels=80,
        fmin=55.0,
        fmax=7600.0,
        power=1.0,
    )

    def __init__(self, *, pad_mode: str = "constant", **mel_overrides: Any) -> None:
        super().__init__(preemphasis=0.97, pad_mode=pad_mode, **mel_overrides)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        # S = 20 log10(x) - 20 (ref_level_db 20), then 8 (S + 100) / 100 - 4 (min_level_db
        # -100): one affine map of log10(x), 1.6 log10(x) + 2.4, in two in-place ops
        # rather than seven (each op with a Python scalar is a dispatch on a CPU stream).
        L = torch.log10(torch.clamp(M, min=1e-5))
        return torch.clamp(L.mul_(1.6).add_(2.4), -4.0, 4.0)


def _check(fps: float, step: int, mel_fps: float) -> None:
    for name, rate in (("fps", fps), ("mel_fps", mel_fps)):
        rate = check_real(name, rate)
        if not (math.isfinite(rate) and rate > 0):
            raise ParameterError(f"{name}={rate} must be a positive finite number")
    check_size("step", step)


def _check_mel(mel: Any) -> None:
    if not isinstance(mel, (np.ndarray, torch.Tensor)):
        raise TypeError(f"mel must be a numpy.ndarray or torch.Tensor, got {type(mel).__name__}")
    if mel.ndim < 2:
        raise ParameterError(f"mel must have shape (..., n_mels, t), got {tuple(mel.shape)}")


def mel_windows(mel: Array, *, fps: float, step: int = 16, mel_fps: float = 80.0) -> Array:
    """Cut a mel spectrogram into one window per video frame.

    Parameters
    ----------
    mel : np.ndarray or torch.Tensor [shape=(..., n_mels, t)]
        t >= step. NumPy in, NumPy out (as Wav2Lip's loop, which works on arrays).
    fps : float
        Video frame rate.
    step : int
        Mel frames per window (Wav2Lip: 16).
    mel_fps : float
        Mel frames per second (Wav2Lip: 16000 / 200 = 80).

    Returns
    -------
    windows : np.ndarray or torch.Tensor [shape=(n_windows, ..., n_mels, step)]
        Copies, not views of ``mel``.
    """
    _check(fps, step, mel_fps)
    _check_mel(mel)
    t = mel.shape[-1]
    if t < step:
        raise ParameterError(f"mel has {t} frames; a window needs step={step}")
    multiplier = mel_fps / fps
    starts, i = [], 0
    while int(i * multiplier) + step <= t:
        starts.append(int(i * multiplier))
        i += 1
    starts.append(t - step)
    windows = _cut(as_tensor(mel), starts, step)
    return like(windows, mel)


def _cut(mel: torch.Tensor, starts: list[int], step: int) -> torch.Tensor:
    # Slices rather than an index tensor: building one on a GPU would copy from the host.
    if not starts:
        return mel.new_empty((0,) + mel.shape[:-1] + (step,))
    return torch.stack([mel[..., s : s + step] for s in starts])


class MelWindows:
    """Streaming :func:`mel_windows`: feed mel frames, get each window once it is complete.

    Parameters
    ----------
    fps, step, mel_fps
        As :func:`mel_windows`.

    Notes
    -----
    Keeps only the frames that future windows need (at most ``step`` plus a chunk), so
    memory is bounded however long the stream. They are copies: the frames pushed may be a
    buffer that is overwritten afterwards (a CUDA-graph stream's output).
    """

    def __init__(self, *, fps: float, step: int = 16, mel_fps: float = 80.0) -> None:
        _check(fps, step, mel_fps)
        self.fps, self.step, self.multiplier = fps, step, mel_fps / fps
        self.reset()

    def reset(self) -> None:
        """Start again at video frame 0."""
        self._frames: torch.Tensor | None = None  # kept mel frames, from index self._start
        self._start = 0
        self._seen = 0  # mel frames received
        self._next = 0  # next video frame
        self._kind = StreamKind("frames", "(..., n_mels, k)")  # NumPy in, NumPy out

    @overload
    def push(self, frames: torch.Tensor) -> torch.Tensor: ...
    @overload
    def push(self, frames: np.ndarray) -> np.ndarray: ...
    def push(self, frames: torch.Tensor | np.ndarray) -> Any:
        """Add mel frames ``(..., n_mels, k)``; return the windows ``(n, ..., n_mels, step)``.

        A tensor or a NumPy array, in the kind of the first frames pushed (NumPy frames give
        NumPy windows, here and from :meth:`flush`).
        """
        frames = self._kind.take(frames)
        if self._frames is not None and frames.shape[:-1] != self._frames.shape[:-1]:
            lead, kept = tuple(frames.shape[:-1]), tuple(self._frames.shape[:-1])
            raise ParameterError(
                f"frames have leading shape {lead}; this stream's is {kept} (reset() to change)"
            )
        # Keep a copy, never a view of `frames`: a CUDA-graph stream's output buffer, say,
        # is overwritten by its next push.
        buf = frames.clone() if self._frames is None else torch.cat([self._frames, frames], -1)
        self._seen += frames.shape[-1]
        starts = []
        while int(self._next * self.multiplier) + self.step <= self._seen:
            starts.append(int(self._next * self.multiplier) - self._start)
            self._next += 1
        out = _cut(buf, starts, self.step)
        keep = min(int(self._next * self.multiplier), max(self._seen - self.step, 0))
        self._frames = buf[..., keep - self._start :]
        self._start = keep
        return self._kind.give(out)

    def flush(self) -> Any:
        """The final window (the last ``step`` frames), as Wav2Lip appends when its loop ends.

        A tensor or a NumPy array, in the kind of the frames pushed (typed ``Any``).
        """
        if self._frames is None or self._seen < self.step:
            raise ParameterError(
                f"the stream has {self._seen} mel frames; a window needs {self.step}"
            )
        out = self._kind.give(_cut(self._frames, [self._seen - self.step - self._start], self.step))
        self.reset()
        return out


SPECS = (
    PresetSpec(
        "wav2lip",
        Wav2Lip,
        model="Wav2Lip, audio.py: melspectrogram (hparams.py)",
        # its reference computes in float64: float32 FFT noise in quiet bins, amplified by
        # the dB scale
        reference="wav2lip_features",
        tolerance=Tolerance(float32=5e-4),
    ),
)
