"""Reading audio files as ``librosa.load`` does: soundfile to read, soxr to resample."""

from __future__ import annotations

import os

import numpy as np

from .errors import MAX_SIZE, ParameterError
from .filters import check_sr

__all__ = ["load"]

# librosa.load's default res_type is "soxr_hq".
RESAMPLE_QUALITY = "soxr_hq"


def load(path: str | os.PathLike[str], *, sr: float | None = None) -> tuple[np.ndarray, float]:
    """Read an audio file as mono float32, equal to ``librosa.load(path, sr=sr)``.

    Parameters
    ----------
    path : str or os.PathLike
        Any file libsndfile reads (wav, flac, ogg, mp3, ...).
    sr : float > 0 or None
        Target sampling rate; None keeps the file's native rate.

    Returns
    -------
    y : np.ndarray [shape=(n,)], float32
        Channels averaged to mono, resampled with soxr at librosa's default quality
        and fixed to ``ceil(n * sr / native_sr)`` samples.
    sr : float
        Sampling rate of ``y``.

    Raises
    ------
    ParameterError
        ``sr`` is not a positive finite number, or resampling would give more than
        2**31 - 1 samples.
    OSError
        The file is missing or unreadable.
    soundfile.LibsndfileError
        The file is not audio libsndfile can decode (a ``RuntimeError``).
    """
    import soundfile as sf

    if sr is not None:
        sr = check_sr(sr)
    with sf.SoundFile(os.fspath(path)) as f:
        native_sr = f.samplerate
        y = f.read(dtype="float32", always_2d=True).T  # (channels, n)
    y = np.mean(y, axis=0) if y.shape[0] > 1 else y[0]
    if sr is None or sr == native_sr:
        return y, float(native_sr)
    import soxr

    n_out = int(np.ceil(y.shape[-1] * (sr / native_sr)))  # librosa's rounding
    if n_out > MAX_SIZE:
        raise ParameterError(
            f"resampling {y.shape[-1]} samples from {native_sr} Hz to sr={sr:g} gives {n_out} "
            "samples, more than 2**31 - 1"
        )
    y_hat = soxr.resample(y, native_sr, sr, quality=RESAMPLE_QUALITY)
    if y_hat.shape[-1] > n_out:
        y_hat = y_hat[:n_out]
    elif y_hat.shape[-1] < n_out:
        y_hat = np.pad(y_hat, (0, n_out - y_hat.shape[-1]))
    return np.asarray(y_hat, dtype=np.float32), float(sr)
