"""Analysis windows: librosa's (scipy's periodic windows) and Kaldi's.

Everything is built in float64 NumPy with the same operations as scipy, so that a float32
cast is bitwise equal to librosa's window. Named windows are cached on their length.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError, check_size, is_real

__all__ = ["get_window", "kaldi_window", "padded_window", "KALDI_WINDOWS", "WINDOWS", "clear_cache"]

WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar", "rectangular", "ones")


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


#: Kaldi's window types, and kaldi-native-fbank's periodic "hann".
KALDI_WINDOWS = ("povey", "hamming", "hanning", "hann", "sine", "rectangular", "blackman")


def kaldi_window(name: str, n: int, *, blackman_coeff: float = 0.42) -> np.ndarray:
    """Kaldi's window function of ``n`` samples, float64 (Kaldi rounds it to float32).

    Symmetric (``2 pi i / (n - 1)``) except kaldi-native-fbank's ``"hann"``, which is
    periodic (``2 pi i / n``, as ``torch.hann_window``).
    """
    if not isinstance(name, str) or name not in KALDI_WINDOWS:
        raise ParameterError(f"window={name!r} must be one of {KALDI_WINDOWS}")
    n = check_size("win_length", n, minimum=2)
    i = np.arange(n, dtype=np.float64)
    a = 2 * math.pi / (n if name == "hann" else n - 1)
    if name == "rectangular":
        return np.ones(n)
    if name == "sine":
        return np.sin(0.5 * a * i)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(a * i)
    if name == "blackman":
        c = float(np.float32(blackman_coeff))  # (a float option in Kaldi)
        return c - 0.5 * np.cos(a * i) + (0.5 - c) * np.cos(2 * a * i)
    hann = 0.5 - 0.5 * np.cos(a * i)  # "hanning", "hann"
    return hann**0.85 if name == "povey" else hann


def clear_cache() -> None:
    """Empty the caches of windows."""
    _named_window64.cache_clear()
    _cached_scipy_window64.cache_clear()
