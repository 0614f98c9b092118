"""Reading audio files as ``librosa.load`` does: soundfile to read, soxr to resample."""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from fastmel.core.errors import (
    MAX_SIZE,
    ParameterError,
    check_bool,
    check_real,
    check_size,
    check_sr,
)

__all__ = ["AudioBlocks", "load", "read_failure"]

# librosa.load's default res_type is "soxr_hq"; these are the soxr qualities it takes.
RESAMPLE_QUALITY = "soxr_hq"
# The smallest resampling ratio load takes (soxr hangs on ratios of about 1e-9 and below).
MIN_RATIO = 1e-6
RES_TYPES = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq")


def read_failure(error: BaseException) -> str | None:
    """Why reading an audio file failed, on one line, from the ``error`` that :func:`load`
    or :class:`AudioBlocks` raised; None for an error that is not about the file (torch
    out of memory, an interrupt), which its caller lets through."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not an audio file"
    if isinstance(error, ParameterError):  # (its text says what is wrong)
        return str(error).splitlines()[0]
    if not isinstance(error, (OSError, RuntimeError, ValueError)):
        return None  # (soundfile raises RuntimeErrors and OSErrors)
    text = str(error)
    if isinstance(error, RuntimeError) and "memory" in text.lower():
        return None
    strerror = error.strerror if isinstance(error, OSError) else None
    reason = strerror or (text.splitlines()[0] if text else "") or type(error).__name__
    return f"cannot read audio ({reason})"


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


def _source(path: Any) -> Any:
    """``path`` as soundfile opens it, after the checks that name it (a missing, unreadable
    or non-regular file, a directory, a type that is no path)."""
    if isinstance(path, (str, os.PathLike)):
        source: Any = os.fspath(path)
        mode = os.stat(source).st_mode  # (FileNotFoundError, PermissionError, ...: named)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", source)
        if not stat.S_ISREG(mode):  # (libsndfile seeks: a FIFO or device cannot be read)
            raise ParameterError(f"{source}: not a regular file (a FIFO, device or socket)")
        with open(source, "rb"):  # (PermissionError, named, rather than libsndfile's)
            pass
        return source
    if hasattr(path, "read"):
        return path
    raise TypeError(
        f"path must be a str, an os.PathLike or a binary file object, got {type(path).__name__}"
    )


def _span(f: Any, source: Any, offset: float, duration: float | None) -> tuple[int, int]:
    """The first frame and the number of frames to read of the open file ``f`` (-1: to the
    end, as libsndfile finds it, which a truncated file's header may overstate)."""
    start = int(offset * f.samplerate)
    if start > f.frames:
        raise ParameterError(
            f"offset={offset:g} s is past the end of {getattr(source, 'name', source)} "
            f"({f.frames / f.samplerate:g} s)"
        )
    return start, -1 if duration is None else int(duration * f.samplerate)


def _check_options(
    sr: Any, offset: Any, duration: Any, dtype: Any, res_type: Any
) -> tuple[float, float | None, np.dtype]:
    if sr is not None:
        check_sr(sr)
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
    return offset, duration, dt


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
    check_bool("mono", mono)
    offset, duration, dt = _check_options(sr, offset, duration, dtype, res_type)
    y, native_sr = _read_span(_source(path), offset, duration, dt)
    y = y.T  # (channels, n) or (n,)
    if mono and y.ndim > 1:
        y = np.mean(y, axis=0)
    if sr is None:
        return y, native_sr
    if sr == native_sr:
        return y, sr
    return _resample(y, float(native_sr), float(sr), res_type), sr


def _read_span(
    source: Any, offset: float, duration: float | None, dtype: np.dtype
) -> tuple[np.ndarray, int]:
    """The frames of ``source`` that ``offset`` and ``duration`` select, in one read:
    ``(n,)`` or ``(n, channels)``, and the file's rate."""
    import soundfile as sf

    with sf.SoundFile(source) as f:
        start, frames = _span(f, source, offset, duration)
        if start:
            f.seek(start)
        return f.read(frames=frames, dtype=dtype.name, always_2d=False), f.samplerate


# libsndfile's log of a chunk shorter than its header declares ("data : 64000 (should be 31978)")
_SHORT = re.compile(r"\bdata\s*:\s*(\d+)\s*\(should be (\d+)\)")

#: Samples per block that :class:`AudioBlocks` reads (at the file's rate).
BLOCK_SIZE = 1 << 18


class AudioBlocks:
    """A file read in blocks: the mono samples of ``load(path, sr=sr, ...)``, block after
    block, holding one block at a time. They are ``load``'s bit for bit (soxr's streaming
    resampler gives the samples of its one-shot call), except for MP3, whose decoder rounds
    some samples differently when read in blocks (by one float32 step).

    Parameters
    ----------
    path, sr, offset, duration, dtype, res_type
        As :func:`load` (always mono: the channels are averaged as ``load`` does).
    block_size : int > 0, optional
        Samples read from the file per block (default: :data:`BLOCK_SIZE`).

    Attributes
    ----------
    sr : int or float
        The rate of the blocks, as ``load`` returns it.
    native_sr : int
        The file's rate.
    n_samples : int
        The samples the file's header announces, at ``sr`` (a truncated file gives fewer).
    frames, frames_read : int
        The file's frames the header announces and those the last iteration read (fewer
        for a truncated file, which libsndfile reads without an error).
    truncated : bool
        The file holds less data than its header declares (libsndfile reads what there is).

    Examples
    --------
    >>> import fastmel, numpy as np
    >>> from importlib import resources
    >>> path = resources.files("fastmel") / "data" / "speech.wav"
    >>> blocks = fastmel.io.AudioBlocks(path, sr=16000, block_size=4096)
    >>> np.array_equal(np.concatenate(list(blocks)), fastmel.load(path, sr=16000)[0])
    True
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | BinaryIO,
        *,
        sr: float | None = 22050,
        offset: float = 0.0,
        duration: float | None = None,
        dtype: npt.DTypeLike = np.float32,
        res_type: str = RESAMPLE_QUALITY,
        block_size: int | None = None,
    ) -> None:
        import soundfile as sf

        self._offset, self._duration, self._dtype = _check_options(
            sr, offset, duration, dtype, res_type
        )
        self._block = check_size("block_size", block_size or BLOCK_SIZE, minimum=1)
        self._source, self._res_type = _source(path), res_type
        with sf.SoundFile(self._source) as f:  # (the rate, and the offset's check, up front)
            self.native_sr: int = f.samplerate
            start, frames = _span(f, self._source, self._offset, self._duration)
            frames = f.frames - start if frames < 0 else min(frames, f.frames - start)
            #: the file's data is shorter than its header says (libsndfile reads what
            #: there is without an error, and notes it in its log)
            self.truncated = any(
                int(should) < int(declared) for declared, should in _SHORT.findall(f.extra_info)
            )
        self.sr: float = self.native_sr if sr is None else sr
        #: the file's frames to read, as its header announces them (a truncated file has
        #: fewer), and the frames read by the last iteration
        self.frames, self.frames_read = frames, 0
        #: the samples the header announces, at ``sr``
        self.n_samples = math.ceil(frames * (self.sr / self.native_sr))  # (load's rounding)
        if self.sr != self.native_sr and self.sr / self.native_sr < MIN_RATIO:
            _resample(np.zeros(1, self._dtype), float(self.native_sr), float(self.sr), res_type)
        if self.n_samples > MAX_SIZE:
            raise ParameterError(
                f"resampling {frames} samples from {self.native_sr:g} Hz to sr={self.sr:g} "
                f"gives {self.n_samples} samples, more than 2**31 - 1"
            )

    def __iter__(self) -> Iterator[np.ndarray]:
        import soundfile as sf

        with sf.SoundFile(self._source) as f:
            start, frames = _span(f, self._source, self._offset, self._duration)
            if start:
                f.seek(start)
            pieces = f.blocks(
                blocksize=self._block, frames=frames, dtype=self._dtype.name, always_2d=True
            )
            self.frames_read = 0

            def mono(b: np.ndarray) -> np.ndarray:
                self.frames_read += b.shape[0]
                return np.mean(b.T, axis=0) if b.shape[1] > 1 else b[:, 0]

            blocks = map(mono, pieces)
            if self.sr == self.native_sr:
                yield from (np.ascontiguousarray(b) for b in blocks)
            else:
                yield from self._resampled(blocks)

    def read(self) -> np.ndarray:
        """All the samples at once: ``load``'s, read as it reads them (one read and one
        resampling call, quicker than the blocks when the whole fits in memory).

        Returns
        -------
        np.ndarray, shape (n,)
            The mono samples at :attr:`sr` (:attr:`frames_read` says how many frames the
            file gave).
        """
        y, _ = _read_span(self._source, self._offset, self._duration, self._dtype)
        self.frames_read = y.shape[0]
        if y.ndim > 1:
            y = np.mean(y.T, axis=0)
        if self.sr != self.native_sr:
            y = _resample(y, float(self.native_sr), float(self.sr), self._res_type)
        return y

    def _resampled(self, blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        import soxr

        ratio = self.sr / self.native_sr
        stream = soxr.ResampleStream(
            float(self.native_sr),
            float(self.sr),
            1,
            dtype=self._dtype.name,
            quality=self._res_type,
        )
        n_in = n_out = 0
        for block in blocks:
            n_in += block.shape[0]
            out = stream.resample_chunk(block, last=False)
            n_out += out.shape[0]
            if out.shape[0]:
                yield out
        last = stream.resample_chunk(np.zeros(0, self._dtype), last=True)
        total = math.ceil(n_in * ratio)  # (load's length: librosa's rounding)
        want = total - n_out
        if want < 0:  # (soxr gave more before its flush: cannot be taken back)
            raise RuntimeError(f"resampling gave {n_out} samples of {total}")
        if last.shape[0] >= want:
            last = last[:want]
        else:
            last = np.concatenate([last, np.zeros(want - last.shape[0], self._dtype)])
        if last.shape[0]:
            yield last
