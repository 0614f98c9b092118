"""Frequency scales and every mel filterbank builder: librosa's, torchaudio's, SpeechBrain's,
Kaldi's and Gemma 3n's.

Each is built with the same sequence of operations (and in the same precision) as its
reference, so that a cast of the result is bitwise equal to the reference's matrix.
Results are cached on their configuration; ``clear_cache()`` empties the caches.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from fastmel.core.arrays import torch_dtype
from fastmel.core.errors import ParameterError, check_real, check_size, check_sr, is_real

__all__ = [
    "check_mel_params",
    "clear_cache",
    "check_norm",
    "check_sr",
    "fft_frequencies",
    "gemma3n_mel_filters",
    "hz_to_mel",
    "kaldi_fmax",
    "kaldi_mel_filters",
    "mel_filters",
    "mel_frequencies",
    "mel_to_hz",
    "speechbrain_mel_filters",
    "torchaudio_mel_filters",
    "NORMS",
]

# Slaney's auditory-toolbox mel scale: linear below 1 kHz at 200/3 Hz per mel, then
# logarithmic with 27 steps per factor of 6.4 (librosa's htk=False).
_F_SP = 200.0 / 3


_MIN_LOG_HZ = 1000.0


_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP


# librosa takes the step's log with np.log, torchaudio with math.log. They can differ by an
# ulp (NumPy 1.26's vectorised log on AVX-512: 0.06875177742094911 against ...912), which
# moves most mel values of the log region by an ulp, so each library gets its own.
_LOGSTEP = float(np.log(6.4) / 27.0)


_TORCHAUDIO_LOGSTEP = math.log(6.4) / 27.0


NORMS = ("slaney", None)


def hz_to_mel(frequencies: npt.ArrayLike, *, htk: bool = False) -> np.ndarray:
    """Convert Hz to mels (Slaney scale, or HTK's ``2595 log10(1 + f/700)``).

    Parameters
    ----------
    frequencies : np.ndarray [shape=(...)] or float
        Frequencies in Hz.
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    mels : np.ndarray [shape=(...)] or np.float64
        float64; a scalar for a scalar input.
    """
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = np.array(f / _F_SP)
    log_t = f >= _MIN_LOG_HZ
    mels[log_t] = _MIN_LOG_MEL + np.log(f[log_t] / _MIN_LOG_HZ) / _LOGSTEP
    return mels[()]  # a scalar for a scalar, as librosa


def mel_to_hz(mels: npt.ArrayLike, *, htk: bool = False) -> np.ndarray:
    """Convert mels to Hz, the inverse of :func:`hz_to_mel`.

    Parameters
    ----------
    mels : np.ndarray [shape=(...)] or float
        Mel values.
    htk : bool
        Use the HTK formula instead of Slaney's.

    Returns
    -------
    frequencies : np.ndarray [shape=(...)] or np.float64
        float64; a scalar for a scalar input.
    """
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    freqs = np.array(_F_SP * m)
    log_t = m >= _MIN_LOG_MEL
    freqs[log_t] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (m[log_t] - _MIN_LOG_MEL))
    return freqs[()]


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """Centre frequency of each rFFT bin, shape ``(1 + n_fft // 2,)``, float64."""
    return np.fft.rfftfreq(n=check_size("n_fft", n_fft), d=1.0 / check_sr(sr))


def mel_frequencies(
    n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False
) -> np.ndarray:
    """``n_mels`` frequencies (Hz) evenly spaced on the mel scale from fmin to fmax, float64."""
    n_mels = check_size("n_mels", n_mels, minimum=0)
    fmin, fmax = check_real("fmin", fmin), check_real("fmax", fmax)
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def check_mel_params(
    sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float | None, norm: Any
) -> float:
    """Validate mel-filterbank parameters; returns the effective fmax."""
    sr = check_sr(sr)
    check_size("n_fft", n_fft)
    check_size("n_mels", n_mels)
    fmin = check_real("fmin", fmin)
    fmax = sr / 2 if fmax is None else check_real("fmax", fmax)
    if not math.isfinite(fmin) or fmin < 0:
        raise ParameterError(f"fmin={fmin} must be a finite number >= 0")
    if not math.isfinite(fmax) or fmin >= fmax:
        raise ParameterError(f"fmin={fmin} must be below fmax={fmax}")
    check_norm(norm)
    return float(fmax)


def check_norm(norm: Any, name: str = "norm") -> None:
    """A filterbank norm: 'slaney', None or a positive number (a p-norm of each filter)."""
    if not (norm in NORMS or (is_real(norm) and norm > 0)):
        raise ParameterError(f"{name}={norm!r} must be 'slaney', None or a positive number")


@functools.lru_cache(maxsize=64)
def _mel_basis64(
    sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool, norm: Any, dtype: str
) -> np.ndarray:
    # librosa writes the float64 triangles into an array of the requested dtype row by row,
    # then applies the Slaney normalisation in float64 and rounds again: reproduce both
    # roundings so that the float32 basis is bitwise librosa's.
    fftfreqs = fft_frequencies(sr=sr, n_fft=n_fft)
    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(dtype)
    if norm == "slaney":
        enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
        weights = (weights * enorm[:, None]).astype(dtype)
    elif norm is not None:  # as librosa.util.normalize: the norm in float64, then rounded
        mag = np.abs(weights).astype(np.float64)
        if np.isinf(norm):
            length = np.max(mag, axis=-1, keepdims=True)
        else:
            length = np.sum(mag**norm, axis=-1, keepdims=True) ** (1.0 / norm)
        length[length < np.finfo(weights.dtype).tiny] = 1.0
        weights = (weights / length).astype(dtype)
    weights.setflags(write=False)
    return weights


def mel_filters(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: Any = "slaney",
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Mel filterbank equal to ``librosa.filters.mel``.

    Parameters
    ----------
    sr : float > 0
        Sampling rate in Hz.
    n_fft : int > 0
        FFT size.
    n_mels : int > 0
        Number of mel bands.
    fmin, fmax : float
        Band edges in Hz; ``fmax=None`` means ``sr / 2``.
    htk : bool
        HTK mel scale instead of Slaney's.
    norm : {"slaney", None} or float > 0
        Slaney area normalisation, none, or a p-norm of each filter.
    dtype : np.dtype
        Output dtype (the basis is built in float64 and rounded like librosa).

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)]
        Read-only (cached) array; copy it before modifying.
    """
    fmax = check_mel_params(sr, n_fft, n_mels, fmin, fmax, norm)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        raise TypeError(f"dtype={dtype!r} must be a NumPy floating dtype")
    key = (float(sr), int(n_fft), int(n_mels), float(fmin), fmax, bool(htk), norm, dt.name)
    basis = _mel_basis64(*key)
    empty = _empty_bands(*key)
    if empty:
        # (librosa's warning, whose first words users' warning filters match)
        warnings.warn(
            f"Empty filters detected in mel frequency basis: {empty} of {n_mels} mel bands "
            "cover no FFT bin and will be zero. Raise sr (and fmax) or n_fft, or lower n_mels.",
            UserWarning,
            stacklevel=2,
        )
    return basis


@functools.lru_cache(maxsize=64)
def _empty_bands(
    sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool, norm: Any, dtype: str
) -> int:
    """Bands of the basis that hold no bin, as librosa counts them: a band whose lower edge
    is 0 Hz is not counted (a first band below the first bin's spacing is expected)."""
    basis = _mel_basis64(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype)
    lower = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)[:-2]
    return int(np.count_nonzero((lower != 0) & ~(basis.max(axis=1) > 0)))


@functools.lru_cache(maxsize=16)
def _torchaudio_basis(
    sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float, htk: bool, norm: Any
) -> np.ndarray:
    # torchaudio builds its bank in float32 torch ops: bin frequencies from
    # linspace(0, sr // 2, n_freqs), mel points from linspace over the mel range (Python
    # floats at the ends), triangles from slopes against those points.
    def to_mel(f: float) -> float:
        if htk:
            return 2595.0 * math.log10(1.0 + f / 700.0)
        if f < _MIN_LOG_HZ:
            return f / _F_SP
        return _MIN_LOG_MEL + math.log(f / _MIN_LOG_HZ) / _TORCHAUDIO_LOGSTEP

    def to_hz(m: torch.Tensor) -> torch.Tensor:
        if htk:
            return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
        hz = _F_SP * m
        log_t = m >= _MIN_LOG_MEL
        hz[log_t] = _MIN_LOG_HZ * torch.exp(_TORCHAUDIO_LOGSTEP * (m[log_t] - _MIN_LOG_MEL))
        return hz

    n_freqs = n_fft // 2 + 1
    all_freqs = torch.linspace(0, int(sr) // 2, n_freqs)
    f_pts = to_hz(torch.linspace(to_mel(fmin), to_mel(fmax), n_mels + 2))
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)  # (n_freqs, n_mels + 2)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = torch.clamp(torch.minimum(down, up), min=0.0)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    out = fb.T.contiguous().numpy()
    out.setflags(write=False)
    return out


def torchaudio_mel_filters(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = True,
    norm: Any = None,
) -> np.ndarray:
    """Mel filterbank as ``torchaudio.functional.melscale_fbanks`` builds it, transposed.

    torchaudio (used by Vocos and many TTS models) builds its bank in float32, from
    ``linspace(0, sr // 2, n_freqs)``: close to librosa's, not equal. Defaults follow
    torchaudio's ``MelSpectrogram`` (HTK scale, no norm).

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32, read-only
    """
    fmax = check_mel_params(sr, n_fft, n_mels, fmin, fmax, norm)
    if norm not in NORMS:
        raise ParameterError(f"norm={norm!r} must be 'slaney' or None for the torchaudio bank")
    return _torchaudio_basis(float(sr), int(n_fft), int(n_mels), float(fmin), fmax, bool(htk), norm)


def speechbrain_mel_filters(
    *, sr: float, n_fft: int, n_mels: int = 40, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Mel filterbank as SpeechBrain's ``Filterbank`` builds it (frozen, triangular),
    transposed.

    SpeechBrain (its ``Fbank`` feature, the input of its ECAPA-TDNN speaker models) places
    ``n_mels + 2`` points evenly on the HTK mel scale (``2595 log10(1 + f / 700)``) and
    gives filter i a triangle symmetric in Hz around point i + 1, of half-width the distance
    to point i: unlike the usual bank, its right foot is not the next point. Built in float32
    torch ops, from ``linspace(0, sr // 2, n_freqs)``; unnormalised (peak 1).

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float32, read-only
    """
    fmax = check_mel_params(sr, n_fft, n_mels, fmin, fmax, None)
    return _speechbrain_basis(float(sr), int(n_fft), int(n_mels), float(fmin), fmax)


@functools.lru_cache(maxsize=16)
def _speechbrain_basis(sr: float, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    def to_mel(f: float) -> float:  # (Python floats: the ends of the mel range)
        return 2595.0 * math.log10(1.0 + f / 700.0)

    points = torch.linspace(to_mel(fmin), to_mel(fmax), n_mels + 2)
    hz = 700.0 * (10.0 ** (points / 2595.0) - 1.0)
    centre, band = hz[1:-1, None], (hz[1:] - hz[:-1])[:-1, None]
    slope = (torch.linspace(0, int(sr) // 2, n_fft // 2 + 1)[None] - centre) / band
    out = torch.clamp(torch.minimum(slope + 1.0, -slope + 1.0), min=0.0).numpy()
    out.setflags(write=False)
    return out


def kaldi_fmax(sr: float, fmin: float, fmax: float | None) -> float:
    """Kaldi's high frequency: ``fmax`` (None or <= 0: counted back from Nyquist), checked."""
    nyquist = sr / 2
    fmin = check_real("fmin", fmin)
    high = nyquist if fmax is None else check_real("fmax", fmax)
    if high <= 0:
        high += nyquist
    if not (0 <= fmin < nyquist and 0 < high <= nyquist and fmin < high):
        raise ParameterError(
            f"fmin={fmin:g} and fmax={high:g} must satisfy 0 <= fmin < fmax <= sr / 2 = {nyquist:g}"
        )
    return float(high)


def kaldi_mel_filters(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 23,
    fmin: float = 20.0,
    fmax: float | None = None,
    allow_empty_banks: bool = False,
    dtype: npt.DTypeLike = np.float32,
) -> np.ndarray:
    """Kaldi's mel banks (``MelBanks``; Kaldi's defaults), as a matrix.

    Triangles between mel points evenly spaced from ``fmin`` to ``fmax`` on the HTK mel
    scale, evaluated at each FFT bin's mel value, unnormalised; the Nyquist bin gets no
    weight (Kaldi sums bins ``0 .. n_fft / 2 - 1``).

    Parameters
    ----------
    sr : float > 0
        Sampling rate.
    n_fft : int > 0, even
        FFT size (Kaldi's padded window length).
    n_mels : int >= 3
        Number of banks (Kaldi's ``num_bins``).
    fmin, fmax : float
        Band edges in Hz (``low_freq``, ``high_freq``); ``fmax`` None or <= 0 counts back
        from Nyquist, as Kaldi's ``high_freq`` (0 is Nyquist, -400 is 400 Hz below it).
    dtype : np.float32 or np.float64
        float32 computes every step in float32, as Kaldi and kaldi-native-fbank do;
        float64 computes the same formulas in float64.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)]

    Raises
    ------
    ParameterError
        Bad parameters, or a bank with no FFT bin in it (too many banks for ``n_fft``)
        without ``allow_empty_banks``.
    """
    sr = check_sr(sr)
    n_fft = check_size("n_fft", n_fft)
    if n_fft % 2:
        raise ParameterError(f"n_fft={n_fft} must be even (Kaldi's padded window length)")
    n_mels = check_size("n_mels", n_mels, minimum=3)
    fmax = kaldi_fmax(sr, fmin, fmax)
    dt = np.dtype(np.float32 if torch_dtype(dtype) == torch.float32 else np.float64)

    def v(x: float) -> np.ndarray:  # (a 0-d array: arithmetic stays in dt)
        return np.asarray(x, dtype=dt)

    def mel(f: np.ndarray) -> np.ndarray:  # (the log in float64, rounded: as C's logf)
        ratio = (v(1.0) + f / v(700.0)).astype(np.float64)
        return v(1127.0) * np.log(ratio).astype(dt)

    lo, hi = mel(v(fmin)), mel(v(fmax))
    delta = (hi - lo) / v(n_mels + 1)
    k = np.arange(n_mels + 2, dtype=dt)[:, None]
    left, center, right = (lo + k[:-2] * delta, lo + k[1:-1] * delta, lo + k[2:] * delta)
    m = mel(v(sr) / v(n_fft) * np.arange(n_fft // 2, dtype=dt))
    rising, falling = (m - left) / (center - left), (right - m) / (right - center)
    inside = (m > left) & (m < right)
    weights = np.where(inside, np.where(m <= center, rising, falling), 0).astype(dt)
    empty = np.flatnonzero(~inside.any(axis=1))
    if empty.size and not allow_empty_banks:
        raise ParameterError(
            f"mel bank {empty[0]} holds no FFT bin: n_mels={n_mels} is too many for n_fft={n_fft} "
            f"between {fmin:g} and {fmax:g} Hz"
        )
    return np.concatenate([weights, np.zeros((n_mels, 1), dt)], axis=1)


def gemma3n_mel_filters(
    *, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 125.0, fmax: float = 7600.0
) -> np.ndarray:
    """Gemma 3n's mel filterbank, as its feature extractor builds it: ``n_mels + 2`` points
    evenly spaced on the HTK mel scale (``2595 log10(1 + f / 700)``), filter i the triangle
    in Hz from point i to point i + 2 peaking (at 1) at point i + 1, unnormalised, evaluated
    at the FFT bins' frequencies computed in float32 (``float32(k) * (sr / n_fft)``); the
    rest in float64.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float64
    """
    n_fft, n_mels = check_size("n_fft", n_fft), check_size("n_mels", n_mels)
    fmax = kaldi_fmax(sr, fmin, fmax)  # (checks sr, fmin and fmax)
    bins = np.arange(n_fft // 2 + 1, dtype=np.float32) * np.float32(sr / n_fft)
    points = 2595.0 * np.log10(1.0 + np.array([fmin, fmax]) / 700.0)
    hz = 700.0 * (10.0 ** (np.linspace(points[0], points[1], n_mels + 2) / 2595.0) - 1.0)
    rising = (bins[None, :] - hz[:-2, None]) / (hz[1:-1] - hz[:-2])[:, None]
    falling = (hz[2:, None] - bins[None, :]) / (hz[2:] - hz[1:-1])[:, None]
    return np.maximum(0.0, np.minimum(rising, falling))


def clear_cache() -> None:
    """Empty the caches of filterbanks."""
    _mel_basis64.cache_clear()
    _empty_bands.cache_clear()
    _torchaudio_basis.cache_clear()
    _speechbrain_basis.cache_clear()
