"""MFCC equal to ``librosa.feature.mfcc``: decibel mel spectrogram, DCT (types 1-3), lifter."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from fastmel.core.arrays import Array, NumpyInOut, as_tensor, like
from fastmel.core.config import MelConfig
from fastmel.core.errors import ParameterError, check_real, check_size
from fastmel.core.filters import check_norm
from fastmel.core.scaling import power_to_db
from fastmel.feature.spectrogram import MelSpectrogram, melspectrogram
from fastmel.ops import precision

__all__ = ["MFCC", "clear_cache", "dct_matrix", "mfcc"]


@functools.lru_cache(maxsize=32)
def _dct64(n: int, dct_type: int, norm: str | None) -> np.ndarray:
    # scipy.fft.dct's definitions, as an (n, n) matrix acting on the first axis.
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    if dct_type == 2:
        D = 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
        if norm == "ortho":
            D[0] *= np.sqrt(1.0 / (4 * n))
            D[1:] *= np.sqrt(1.0 / (2 * n))
    elif dct_type == 3:
        D = 2.0 * np.cos(np.pi * i * (2 * k + 1) / (2 * n))
        D[:, 0] = 1.0
        if norm == "ortho":  # the transpose of the orthonormal DCT-II
            D[:, 0] *= np.sqrt(1.0 / n)
            D[:, 1:] *= np.sqrt(1.0 / (2 * n))
    else:  # type 1
        if n < 2:
            raise ParameterError("dct_type=1 needs at least 2 mel bands")
        D = 2.0 * np.cos(np.pi * k * i / (n - 1))
        D[:, 0] = 1.0
        D[:, -1] = (-1.0) ** np.arange(n)
        if norm == "ortho":
            D[:, 0] *= np.sqrt(2.0)
            D[:, -1] *= np.sqrt(2.0)
            D *= np.sqrt(1.0 / (2 * (n - 1)))
            D[0] /= np.sqrt(2.0)
            D[-1] /= np.sqrt(2.0)
    D.setflags(write=False)
    return D


def dct_matrix(
    n_mels: int, n_mfcc: int, *, dct_type: int = 2, norm: str | None = "ortho"
) -> np.ndarray:
    """The first ``n_mfcc`` rows of scipy.fft.dct(np.eye(n_mels), type=dct_type, norm=norm).

    Returns
    -------
    D : np.ndarray [shape=(n_mfcc, n_mels)], float64, read-only
    """
    _check_mfcc(n_mfcc, dct_type, norm, 0)
    if n_mfcc > n_mels:
        raise ParameterError(f"n_mfcc={n_mfcc} must be <= n_mels={n_mels}")
    return _dct64(int(n_mels), int(dct_type), norm)[:n_mfcc]


def _check_mfcc(n_mfcc: Any, dct_type: Any, norm: Any, lifter: Any, mel_norm: Any = None) -> None:
    check_size("n_mfcc", n_mfcc)
    if check_size("dct_type", dct_type) not in (1, 2, 3):
        raise ParameterError(f"dct_type={dct_type!r} must be 1, 2 or 3")
    if norm not in ("ortho", None):
        raise ParameterError(f"norm={norm!r} must be 'ortho' or None")
    if not (math.isfinite(check_real("lifter", lifter)) and lifter >= 0):
        # (librosa takes lifter=inf and returns NaN: 1 + inf * sin(0))
        raise ParameterError(f"lifter={lifter!r} must be a finite number >= 0")
    check_norm(mel_norm, "mel_norm")


def _lifter64(n_mfcc: int, lifter: float) -> np.ndarray:
    return 1.0 + (lifter / 2) * np.sin(np.pi * np.arange(1, 1 + n_mfcc) / lifter)


class MFCC(NumpyInOut, torch.nn.Module):
    """MFCCs as ``librosa.feature.mfcc``, as a torch module.

    ``power_to_db(melspectrogram(y))`` (``top_db`` 80 relative to the max over the whole
    input, as librosa), a DCT over the mel axis kept to ``n_mfcc`` rows, then an optional
    lifter. The DCT matrix and lifter are built in float64 and cast once.

    Parameters
    ----------
    sr : float
        Sampling rate.
    n_mfcc : int
        Number of coefficients.
    dct_type : {1, 2, 3}
        scipy's DCT type.
    norm : {"ortho", None}
        DCT normalisation.
    lifter : float >= 0
        Cepstral liftering ``1 + (lifter / 2) sin(pi k / lifter)``; 0 disables it.
    mel_norm : {"slaney", None} or float
        The mel filterbank's ``norm``.
    **mel_kwargs
        Other :class:`MelSpectrogram` keywords (n_fft, hop_length, n_mels, ...; dtype).

    Shape
    -----
    ``(..., n) -> (..., n_mfcc, frames)``
    """

    dct: torch.Tensor

    def __init__(
        self,
        *,
        sr: float = MelConfig.sr,
        n_mfcc: int = 20,
        dct_type: int = 2,
        norm: str | None = "ortho",
        lifter: float = 0,
        mel_norm: Any = MelConfig.norm,
        **mel_kwargs: Any,
    ) -> None:
        super().__init__()
        _check_mfcc(n_mfcc, dct_type, norm, lifter, mel_norm)
        self.mel = MelSpectrogram(sr=sr, norm=mel_norm, **mel_kwargs)
        self.n_mfcc, self.dct_type, self.norm, self.lifter = n_mfcc, dct_type, norm, lifter
        self._build(self.mel.window.device, self.mel.dtype)

    def _build(self, device: torch.device, dtype: torch.dtype) -> None:
        # The DCT rows with the lifter folded in (lift[k] * D[k, :]), float64, cast once.
        D = dct_matrix(self.mel.config.n_mels, self.n_mfcc, dct_type=self.dct_type, norm=self.norm)
        if self.lifter > 0:
            D = D * _lifter64(self.n_mfcc, self.lifter)[:, None]
        self.register_buffer("dct", torch.tensor(D, dtype=dtype, device=device), persistent=False)
        wide = precision.wants_float64_constants(device, dtype)  # (TF32, bf16: precision.py)
        self._dct64 = torch.tensor(D, device=device) if wide else None

    def _apply(self, fn: Any, recurse: bool = True) -> MFCC:
        super()._apply(fn, recurse)
        self._build(self.mel.window.device, self.mel.dtype)  # from float64, like the mel
        return self

    @property
    def device(self) -> torch.device:
        """The device of the module's constants."""
        return self.mel.device

    if TYPE_CHECKING:  # nn.Module.__call__ is typed Any: calls get forward's types

        def __call__(self, y: Array) -> Array: ...

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        self.mel.check_input(y)
        half = y.dtype in (torch.float16, torch.bfloat16)
        S = power_to_db(self.mel(y.to(self.mel.dtype)))
        if self._dct64 is not None and precision.float64_products(S):  # TF32/bf16 set
            M = torch.matmul(self._dct64, S.double()).to(S.dtype)
        else:
            M = torch.matmul(self.dct, S)
        return M.to(y.dtype) if half else M


@functools.lru_cache(maxsize=32)
def _dct_tensor(
    n_mels: int,
    n_mfcc: int,
    dct_type: int,
    norm: str | None,
    lifter: float,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    # The DCT rows with the lifter folded in: lift[k] * D[k, :].
    D = dct_matrix(n_mels, n_mfcc, dct_type=dct_type, norm=norm)
    if lifter > 0:
        D = D * _lifter64(n_mfcc, lifter)[:, None]
    return torch.tensor(D, dtype=dtype, device=device)


def mfcc(
    *,
    y: Array | None = None,
    sr: float = MelConfig.sr,
    S: Array | None = None,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: str | None = "ortho",
    lifter: float = 0,
    mel_norm: Any = MelConfig.norm,
    **kwargs: Any,
) -> Array:
    """Mel-frequency cepstral coefficients, equal to ``librosa.feature.mfcc``.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n)] or None
        Audio (validated as :func:`melspectrogram` does).
    sr : float
        Sampling rate.
    S : np.ndarray or torch.Tensor [shape=(..., n_mels, t)] or None
        A log-power mel spectrogram (dB), used when ``y`` is None.
    n_mfcc, dct_type, norm, lifter, mel_norm
        As :class:`MFCC`.
    **kwargs
        :func:`melspectrogram` keywords (n_fft, hop_length, n_mels, fmin, fmax, ..., dtype).

    Returns
    -------
    M : np.ndarray or torch.Tensor [shape=(..., n_mfcc, t)]
        The type of the input; float64 when the mel spectrogram is.
    """
    _check_mfcc(n_mfcc, dct_type, norm, lifter, mel_norm)
    if S is None:
        if y is None:
            raise ParameterError("one of y or S must be given")
        S = power_to_db(melspectrogram(y=y, sr=sr, norm=mel_norm, **kwargs))
        source = y
    else:
        source = S
    St = as_tensor(S)
    if St.ndim < 2 or not St.is_floating_point():
        raise ParameterError(
            f"S must be a real array of shape (..., n_mels, t), got {tuple(St.shape)}"
        )
    dtype = St.dtype if St.dtype == torch.float64 else torch.float32
    St = St.to(dtype)
    ct = torch.float64 if precision.float64_products(St) else dtype  # (TF32/bf16: precision.py)
    D = _dct_tensor(St.shape[-2], n_mfcc, dct_type, norm, float(lifter), ct, St.device)
    M = torch.matmul(D, St.to(ct)).to(dtype)
    return like(M, source)


def clear_cache() -> None:
    """Forget the cached DCT matrices used by :func:`mfcc`."""
    _dct_tensor.cache_clear()
