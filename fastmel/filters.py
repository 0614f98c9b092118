"""Frequency scales, analysis windows and the mel filterbank.

Everything here is built in float64 NumPy with the same sequence of operations as
librosa/scipy, so that a float32 cast of the result is bitwise equal to librosa's.
Results are cached on their configuration; ``clear_cache()`` empties the caches.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from .errors import ParameterError, check_real, check_size, is_real

__all__ = [
    "clear_cache",
    "fft_frequencies",
    "get_window",
    "hz_to_mel",
    "mel_filters",
    "mel_frequencies",
    "mel_to_hz",
    "speechbrain_mel_filters",
    "torchaudio_mel_filters",
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

WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar", "rectangular", "ones")
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


def check_sr(sr: Any) -> float:
    """``sr`` as a float; it must be a positive finite number."""
    sr = check_real("sr", sr)
    if not (math.isfinite(sr) and sr > 0):
        raise ParameterError(f"sr={sr} must be a positive finite number")
    return sr


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
    return _mel_basis64(
        float(sr), int(n_fft), int(n_mels), float(fmin), fmax, bool(htk), norm, dt.name
    )


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


def _general_cosine(n: int, coefs: tuple[float, ...]) -> np.ndarray:
    # Periodic window as scipy builds it (fftbins=True): the symmetric window of n + 1
    # points with its last point dropped.
    fac = np.linspace(-np.pi, np.pi, n + 1)
    w = np.zeros(n + 1)
    for k, a in enumerate(coefs):
        w += a * np.cos(k * fac)
    return w[:n]


def _bartlett(n: int) -> np.ndarray:
    m = n + 1
    k = np.arange(0, m)
    w = np.where(k <= (m - 1) / 2.0, 2.0 * k / (m - 1), 2.0 - 2.0 * k / (m - 1))
    return w[:n]


@functools.lru_cache(maxsize=64)
def _named_window64(name: str, n: int) -> np.ndarray:
    if n == 1:
        w = np.ones(1)
    elif name == "hann":
        w = _general_cosine(n, (0.5, 0.5))
    elif name == "hamming":
        w = _general_cosine(n, (0.54, 1.0 - 0.54))  # scipy rounds 1 - alpha
    elif name == "blackman":
        w = _general_cosine(n, (0.42, 0.50, 0.08))
    elif name == "bartlett":
        w = _bartlett(n)
    else:  # boxcar / rectangular / ones
        w = np.ones(n)
    w.setflags(write=False)
    return w


def _scipy_window64(spec: Any, n: int) -> np.ndarray:
    """``scipy.signal.get_window(spec, n, fftbins=True)``, for the windows fastmel does not
    build itself."""
    try:  # (optional: librosa's users have it, as librosa computes every window with it)
        from scipy.signal import get_window as scipy_get_window
    except ImportError:
        raise ParameterError(
            f"window={spec!r} needs scipy (pip install scipy), which computes it as librosa "
            f"does; fastmel itself builds {WINDOWS[:5]}, or pass the window's values"
        ) from None
    try:
        with np.errstate(all="ignore"):  # (a window that is not finite is refused below)
            w = np.asarray(scipy_get_window(spec, n, fftbins=True), dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise ParameterError(f"window={spec!r}: {e}") from None
    if not np.isfinite(w).all():
        raise ParameterError(f"window={spec!r} is not finite everywhere for win_length={n}")
    w.setflags(write=False)
    return w


_cached_scipy_window64 = functools.lru_cache(maxsize=64)(_scipy_window64)


def _is_window_spec(window: Any) -> bool:
    """What librosa hands to scipy.signal.get_window: a name, a (name, *parameters) tuple,
    or a real number (a Kaiser window's beta)."""
    return isinstance(window, (str, tuple)) or is_real(window)


def get_window(window: Any, win_length: int) -> np.ndarray:
    """Periodic analysis window as ``scipy.signal.get_window(window, win_length, fftbins=True)``.

    Parameters
    ----------
    window : str, tuple, float, callable, np.ndarray, torch.Tensor or list
        ``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"``
        (``"rectangular"``, ``"ones"``), built by fastmel; any other window scipy knows,
        as a name (``"flattop"``), a tuple with its parameters (``("kaiser", 8.0)``,
        ``("tukey", 0.25)``) or a number (a Kaiser window's beta), computed by
        ``scipy.signal.get_window`` as librosa does (this needs scipy); a function called
        as ``window(win_length)`` (as librosa does); or explicit real values of length
        ``win_length``.
    win_length : int > 0
        Window length in samples.

    Returns
    -------
    w : np.ndarray [shape=(win_length,)], float64

    Raises
    ------
    ParameterError
        An unknown window, one missing its parameters, values of the wrong length or not
        finite, or a scipy window without scipy installed.
    """
    win_length = check_size("win_length", win_length)
    if _is_window_spec(window):
        if isinstance(window, str) and window in WINDOWS:
            return _named_window64(window, win_length)
        try:
            hash(window)
        except TypeError:  # e.g. ("general_cosine", [0.5, 0.5]): computed, not cached
            return _scipy_window64(window, win_length)
        return _cached_scipy_window64(window, win_length)
    if callable(window):
        window = window(win_length)  # librosa's convention for a window function
    if isinstance(window, list):
        window = np.asarray(window)
    if isinstance(window, torch.Tensor):
        window = window.detach().cpu().numpy()
    if isinstance(window, np.ndarray):
        if window.ndim != 1 or window.shape[0] != win_length:
            raise ParameterError(
                f"window has shape {window.shape}; expected ({win_length},) = (win_length,)"
            )
        if not np.issubdtype(window.dtype, np.floating) and not np.issubdtype(
            window.dtype, np.integer
        ):
            raise TypeError(f"window must be real, got dtype {window.dtype}")
        if not np.isfinite(window).all():
            raise ParameterError("window must be finite everywhere")
        return window.astype(np.float64)
    raise TypeError(
        "window must be a str, a tuple, a number, a function, np.ndarray, torch.Tensor or "
        f"list, got {type(window).__name__}"
    )


def padded_window(window: Any, win_length: int, n_fft: int) -> np.ndarray:
    """The window centred in ``n_fft`` samples with zeros on both sides (librosa's pad_center)."""
    w = get_window(window, win_length)
    lpad = (n_fft - win_length) // 2
    return np.pad(w, (lpad, n_fft - win_length - lpad))


def clear_cache() -> None:
    """Empty the caches of filterbanks and windows."""
    _mel_basis64.cache_clear()
    _named_window64.cache_clear()
    _cached_scipy_window64.cache_clear()
    _torchaudio_basis.cache_clear()
    _speechbrain_basis.cache_clear()
