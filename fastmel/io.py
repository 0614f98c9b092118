"""Reading audio files as ``librosa.load`` does: soundfile to read, soxr to resample."""

from __future__ import annotations

import errno
import math
import os
import stat
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from fastmel.core.errors import MAX_SIZE, ParameterError, check_bool, check_real
from fastmel.core.filters import check_sr

__all__ = ["load"]

# librosa.load's default res_type is "soxr_hq"; these are the soxr qualities it takes.
RESAMPLE_QUALITY = "soxr_hq"
# The smallest resampling ratio load takes (soxr hangs on ratios of about 1e-9 and below).
MIN_RATIO = 1e-6
RES_TYPES = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq")


def _seconds(name: str, value: Any) -> float:
    value = check_real(name, value)
    if not (math.isfinite(value) and value >= 0):
        raise ParameterError(f"{name}={value} must be a finite number of seconds >= 0")
    return value


def _resample(y: np.ndarray, native_sr: float, sr: float, res_type: str) -> np.ndarray:
    """librosa.resample with soxr along the last axis, fixed to ``ceil(n * sr / native)``."""
    import soxr

    ratio = sr / native_sr
    if ratio < MIN_RATIO:  # (soxr does not return from ratios of about 1e-9 and below)
        raise ParameterError(
            f"sr={sr:g} is {ratio:.3g} times the file's {native_sr:g} Hz: resampling takes "
            f"ratios from {MIN_RATIO:g}"
        )
    n_out = math.ceil(y.shape[-1] * ratio)  # librosa's rounding
    if n_out > MAX_SIZE:
        raise ParameterError(
            f"resampling {y.shape[-1]} samples from {native_sr:g} Hz to sr={sr:g} gives {n_out} "
            "samples, more than 2**31 - 1"
        )
    y_hat = np.apply_along_axis(soxr.resample, -1, y, native_sr, sr, quality=res_type)
    if y_hat.shape[-1] > n_out:
        y_hat = y_hat[..., :n_out]
    elif y_hat.shape[-1] < n_out:
        y_hat = np.pad(y_hat, [(0, 0)] * (y_hat.ndim - 1) + [(0, n_out - y_hat.shape[-1])])
    return np.asarray(y_hat, dtype=y.dtype)


def load(
    path: str | os.PathLike[str] | BinaryIO,
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: npt.DTypeLike = np.float32,
    res_type: str = RESAMPLE_QUALITY,
) -> tuple[np.ndarray, float]:
    """Read an audio file, equal to ``librosa.load`` (soundfile, then soxr).

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        Any file libsndfile reads (wav, flac, ogg, mp3, ...). librosa falls back to
        audioread for other formats; fastmel does not.
    sr : float > 0 or None
        Target sampling rate (librosa's default, 22050); None keeps the file's own.
    mono : bool
        Average the channels.
    offset : float >= 0
        Start reading this many seconds in (``int(offset * native_sr)`` frames).
    duration : float >= 0 or None
        Read at most this many seconds (``int(duration * native_sr)`` frames); None: to
        the end.
    dtype : np.float32 or np.float64
    res_type : {"soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"}
        The resampler, librosa's soxr qualities (librosa's default, ``"soxr_hq"``); its
        other resamplers (scipy, resampy's ``"kaiser_best"`` of librosa < 0.10, ...) are
        not available.

    Returns
    -------
    y : np.ndarray [shape=(n,) or (channels, n)]
        Mono, or ``(channels, n)`` for a file of several channels with ``mono=False``;
        resampled to ``ceil(n * sr / native_sr)`` samples.
    sr : int or float
        Sampling rate of ``y``: the file's (an int, as soundfile reads it), or ``sr`` as
        given, as librosa returns it.

    Raises
    ------
    ParameterError
        ``sr``, ``offset``, ``duration``, ``dtype`` or ``res_type`` out of range, or
        resampling would give more than 2**31 - 1 samples.
    TypeError
        Parameters of the wrong type.
    FileNotFoundError, PermissionError, IsADirectoryError
        The path is missing, unreadable or a directory (naming it).
    ParameterError
        The path is not a regular file (a FIFO, a device), or ``offset`` is past its end.
    soundfile.LibsndfileError
        The file is not audio libsndfile can decode (a ``RuntimeError``).

    Examples
    --------
    >>> import fastmel
    >>> from importlib import resources
    >>> y, sr = fastmel.load(resources.files("fastmel") / "data" / "speech.wav", sr=16000)
    >>> y.dtype, sr
    (dtype('float32'), 16000)
    """
    import soundfile as sf

    if sr is not None:
        check_sr(sr)
    check_bool("mono", mono)
    offset = _seconds("offset", offset)
    if duration is not None:
        duration = _seconds("duration", duration)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64") from None
    if dt not in (np.float32, np.float64):
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64")
    if res_type not in RES_TYPES:
        raise ParameterError(f"res_type={res_type!r} must be one of {RES_TYPES}")
    if isinstance(path, (str, os.PathLike)):
        source: Any = os.fspath(path)
        mode = os.stat(source).st_mode  # (FileNotFoundError, PermissionError, ...: named)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", source)
        if not stat.S_ISREG(mode):  # (libsndfile seeks: a FIFO or device cannot be read)
            raise ParameterError(f"{source}: not a regular file (a FIFO, device or socket)")
        with open(source, "rb"):  # (PermissionError, named, rather than libsndfile's)
            pass
    elif hasattr(path, "read"):
        source = path
    else:
        raise TypeError(
            f"path must be a str, an os.PathLike or a binary file object, got {type(path).__name__}"
        )
    with sf.SoundFile(source) as f:
        native_sr = f.samplerate
        start = int(offset * native_sr)
        if start > f.frames:
            raise ParameterError(
                f"offset={offset:g} s is past the end of {getattr(source, 'name', source)} "
                f"({f.frames / native_sr:g} s)"
            )
        if start:
            f.seek(start)
        frames = -1 if duration is None else int(duration * native_sr)
        y = f.read(frames=frames, dtype=dt.name, always_2d=False).T  # (channels, n) or (n,)
    if mono and y.ndim > 1:
        y = np.mean(y, axis=0)
    if sr is None:
        return y, native_sr
    if sr == native_sr:
        return y, sr
    return _resample(y, float(native_sr), float(sr), res_type), sr
