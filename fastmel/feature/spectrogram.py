"""The librosa drop-in: :class:`MelSpectrogram` (module) and :func:`melspectrogram` (function).

Data flows one way: configuration (validated once) -> constants (built in float64, cast
once, kept as non-persistent buffers) -> the hot path (pad, frame, window, rFFT, power,
mel projection), which does no host-device synchronisation and no Python loop over frames.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from fastmel.core.arrays import Array, NumpyInOut, as_tensor, check_signal, like, torch_dtype
from fastmel.core.config import MelConfig
from fastmel.core.errors import ParameterError
from fastmel.core.filters import mel_filters
from fastmel.core.memory import check_fits
from fastmel.core.padding import pad_both
from fastmel.ops import fused as _fused
from fastmel.ops import native as _native
from fastmel.ops import precision
from fastmel.ops.dft import rdft_pairs
from fastmel.ops.projection import BandedProjection, apply_plan
from fastmel.ops.tracing import is_compiling, is_exporting, is_onnx_export

__all__ = ["clear_cache", "melspectrogram", "BLOCK_SAMPLES", "MelSpectrogram"]

# CPU inputs with more than twice this many windowed samples are processed in blocks of
# frames of about this size (256 frames of 800 samples: ~0.8 MB of float32 frames plus their
# spectrum, which stays in a core's cache).
BLOCK_SAMPLES = 204_800


_TORCH_PAD = {"reflect": "reflect", "edge": "replicate"}  # (one kernel where it equals np.pad)


_HALF = (torch.float16, torch.bfloat16)
# Routes kept per module (see MelSpectrogram.route); more shapes than this start afresh.
MAX_ROUTES = 64
# A flat route keeps its padded input up to this many samples (256 KiB of float32).
MAX_KEPT_PAD = 65536


class Route(NamedTuple):
    """How one call is computed: every choice of the hot path, made by
    :meth:`MelSpectrogram.route` from the call's device, dtype, shape, autograd and tracing
    state and the matmul precision set, so that the steps themselves only follow it."""

    #: CUDA: pad, frame and window in one Triton kernel (fastmel.ops.fused.Frames)
    frames_kernel: bool
    #: and the power and the projection in another (fastmel.ops.fused.BandMel)
    band_kernel: bool
    #: "none", "constant" (F.pad), "torch" (F.pad's reflect/replicate) or "numpy" (np.pad's
    #: rules, fastmel.core.padding)
    pad: str
    #: the samples librosa reflects its right pad from, where they differ (MelConfig.tail_slice)
    tail: int | None
    #: CPU: frames per block whose copies stay in cache (0: all at once)
    block: int
    #: the DFT as matrix products (ONNX export, fastmel.ops.dft)
    gemm_dft: bool
    #: power 2 through a real view of the spectrum, squared in place (no autograd, no trace)
    in_place: bool
    #: the projection's mode (BandedProjection.mode) for each block, and for the last one
    product: str
    last_product: str
    #: the whole call is the common CPU one: a constant pad (or none), frames, window, rFFT,
    #: power 2 in place, and the projection: plan ``plan`` of BandedProjection.plans, where
    #: ``product`` is "plan"
    flat: bool = False
    plan: int | None = None
    #: CPU, short inputs: a zero-padded buffer the call copies its samples into (``middle``),
    #: reused (rather than allocated and filled), and its frames (``frames``, a view)
    padded: Padded | None = None


class Padded(NamedTuple):
    """A flat route's padded input, kept: its edges stay zero between calls."""

    middle: torch.Tensor
    frames: torch.Tensor
    lock: threading.Lock  # (a call that finds it taken pads a copy of its own)

    def __repr__(self) -> str:  # (not the buffer's values)
        return f"Padded(frames={tuple(self.frames.shape)})"


class MelSpectrogram(NumpyInOut, torch.nn.Module):
    """Mel spectrogram as ``librosa.feature.melspectrogram``, as a torch module.

    The window and the mel basis are built once in float64, cast once to ``dtype`` and kept
    as non-persistent buffers: ``.to(device)`` moves them, ``.double()``/``.float()``
    rebuild them from float64 (never round-tripping through a lower precision), and
    ``state_dict()`` stays empty.

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode, power,
    n_mels, fmin, fmax, htk, norm
        As :func:`melspectrogram` (librosa's names and defaults).
    center_pad : int >= 0 or None
        Samples padded on each side when ``center=True`` (None: ``n_fft // 2``, as librosa;
        HiFi-GAN pads ``(n_fft - hop_length) // 2``).
    filterbank : {"librosa", "torchaudio", "speechbrain"}
        Build the mel basis as librosa does (float64, rounded like librosa), as
        ``torchaudio.functional.melscale_fbanks`` does (float32 throughout), or as
        SpeechBrain's ``Filterbank`` does (float32; :func:`fastmel.speechbrain_mel_filters`;
        ``htk=True, norm=None``).
    mag_eps : float >= 0
        Added under the square root of the magnitude (HiFi-GAN's ``sqrt(|X|^2 + 1e-9)``).
    dtype : np.dtype or torch.dtype
        float32 or float64: the dtype of the constants and of the computation.

    Shape
    -----
    - Input ``y``: ``(..., time)``, a real floating tensor.
    - Output: ``(..., n_mels, frames)``.

    Notes
    -----
    ``forward`` checks shapes and dtypes only; it never reads the data, so NaN or inf in
    the input propagate to the output instead of raising (use :func:`melspectrogram` for
    librosa's finiteness check). float32/float64 input is computed and returned in the
    module's dtype; float16/bfloat16 input is computed in float32 (FFTs in half precision
    are not generally available) and returned in the input dtype. An empty batch
    ``(0, ..., n)`` gives an empty ``(0, ..., n_mels, t)``, as in librosa. Supports CPU and CUDA,
    autograd, and ``torch.compile(fullgraph=True)``. Where PyTorch is set to reduce the
    precision of float32 matmuls (TF32 on CUDA, bfloat16 on CPUs with bfloat16 units), the
    mel projection runs in float64 and is rounded once (:mod:`fastmel.ops.precision`).

    On CUDA, padding, framing and windowing run as one Triton kernel (:mod:`fastmel.ops.fused`)
    where Triton imports, when captured in a CUDA graph or on large inputs, never under
    autograd or ``torch.compile``; for float32 powers 1 and 2 and up to
    ``fused.band_max_rows`` frames, so do the power and the mel projection. Set the
    attribute ``fused = False`` to run the PyTorch ops only. On a CPU, once
    :func:`fastmel.ops.native.build` has built the optional C++ ops, the common call (a
    shape routed before, with a plan of groups) and a :class:`MelStream`'s short push run
    from C++, with the same numbers; ``native = False`` keeps a module on the ops called
    from Python.

    Examples
    --------
    >>> import torch, fastmel
    >>> mel = fastmel.MelSpectrogram(sr=16000, n_fft=400, hop_length=160, n_mels=80)
    >>> mel(torch.zeros(2, 16000)).shape
    torch.Size([2, 80, 101])
    >>> mel.state_dict()
    OrderedDict()
    """

    window: torch.Tensor
    mel_basis: torch.Tensor
    _projection: torch.Tensor
    #: the indices np.pad's linear_ramp scales (None for other pad modes; see core.padding)
    ramp: torch.Tensor | None
    #: use the Triton kernel where it applies (see Notes); False: PyTorch ops only
    fused: bool = True
    #: use the native ops once they are built (:func:`fastmel.ops.native.build`); False:
    #: the PyTorch ops from Python
    native: bool = True
    # attributes _build_constants derives from the buffers (rebuilt, never pickled)
    _derived: tuple[str, ...] = (
        "_banded",
        "_frames",
        "_band_mel",
        "_win",
        "_dtype",
        "_device",
        "_fft64",
        "_win64",
        "_dft_size",
        "_win_from_1",
        "_power2",
        "_routes",
        "_spectra",
        "_wide",
        "_push_constants",
    )

    def __init__(
        self,
        *,
        sr: float,
        n_fft: int = MelConfig.n_fft,
        hop_length: int | None = MelConfig.hop_length,
        win_length: int | None = None,
        window: Any = MelConfig.window,
        center: bool = MelConfig.center,
        pad_mode: str = MelConfig.pad_mode,
        power: float = MelConfig.power,
        n_mels: int = MelConfig.n_mels,
        fmin: float = MelConfig.fmin,
        fmax: float | None = None,
        htk: bool = MelConfig.htk,
        norm: Any = MelConfig.norm,
        center_pad: int | None = None,
        filterbank: str = "librosa",
        mag_eps: float = 0.0,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        config = MelConfig.make(
            sr=sr,
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
            power=power,
            n_mels=n_mels,
            fmin=fmin,
            fmax=fmax,
            htk=htk,
            norm=norm,
            center_pad=center_pad,
            filterbank=filterbank,
            mag_eps=mag_eps,
        )
        self._setup(config, dtype)

    @classmethod
    def from_config(cls, config: MelConfig, *, dtype: Any = np.float32) -> MelSpectrogram:
        """Build a module from a (validated) :class:`MelConfig`."""
        module = cls.__new__(cls)
        torch.nn.Module.__init__(module)
        module._setup(config, dtype)
        return module

    def _setup(self, config: MelConfig, dtype: Any) -> None:
        self.config = config
        # librosa rounds the basis to its `dtype` keyword even when the audio is float64;
        # melspectrogram() sets this to np.float32 for that case (None: no extra rounding).
        self._basis_rounding: Any = None
        self._build_constants(torch.device("cpu"), torch_dtype(dtype))

    def _build_constants(self, device: torch.device, dtype: torch.dtype) -> None:
        if dtype not in (torch.float32, torch.float64):
            dtype = torch.float32  # half-precision modules still compute in float32
        c = self.config
        window = torch.from_numpy(c.window64().copy())
        # librosa rounds the basis twice in its dtype (triangles, then the Slaney norm):
        # build it in that dtype rather than rounding the float64 basis once.
        rounding = self._basis_rounding or (np.float32 if dtype == torch.float32 else np.float64)
        basis = torch.from_numpy(c.mel_basis(rounding).copy())
        # The projection the hot path uses: for power 2 the basis with each column repeated
        # for the real and imaginary parts, so that |X|^2 summation happens inside the matmul
        # (a sum over the (re, im) pair, or complex abs(), costs several times more on CPU).
        # Stored (F or 2F, n_mels) contiguous, for the frames-major `S @ proj` of few frames;
        # more frames take its bands transposed (fastmel/projection.py).
        proj = basis.repeat_interleave(2, dim=1) if self.config.power == 2.0 else basis
        proj = proj.T.contiguous()
        for name, value in (("window", window), ("mel_basis", basis), ("_projection", proj)):
            self.register_buffer(name, value.to(device=device, dtype=dtype), persistent=False)
        ramp = None  # the indices np.pad's linear_ramp scales (see padding.pad_after)
        if c.pad_mode == "linear_ramp" and c.pad:
            ramp_dtype = torch.float32 if device.type == "mps" else torch.float64
            ramp = torch.arange(c.pad, device=device, dtype=ramp_dtype)
        self.register_buffer("ramp", ramp, persistent=False)
        # Derived from the buffers and rebuilt with them by _apply (so not buffers themselves).
        basis_np = basis.numpy()
        self._banded = BandedProjection(self._projection, basis_np, self.config.power == 2.0)
        self._frames = _fused.Frames(self.window) if _fused.runs_on(device) else None
        # After the frames kernel, a second one takes the power (or magnitude) and the mel
        # projection of the spectrum (float32, powers 1 and 2; fastmel/fused.py).
        self._band_mel: _fused.BandMel | None = None
        if self._frames is not None and dtype == torch.float32 and c.power in (1.0, 2.0):
            self._band_mel = _fused.BandMel(basis_np, c.power, c.mag_eps, device)
        # Plain attributes for the hot path: a buffer read goes through nn.Module.__getattr__.
        self._win, self._dtype, self._device = self.window, dtype, device
        # A power p < 1 amplifies rounding at near-zero bins (d|X|^p = p |X|^(p-1) d|X|):
        # librosa windows and transforms float32 frames in float64 and rounds X once, while
        # a float32 window and FFT leave a chirp's mel beyond the parity tolerance. Such
        # modules window and transform in float64.
        self._fft64 = self.config.power < 1.0 and dtype == torch.float32 and device.type != "mps"
        self._win64 = window.to(device) if self._fft64 else None  # (float64, not rounded)
        # Kaldi's frames (fft_size set) are zero-padded to the FFT's length by rfft.
        self._dft_size = c.fft_size
        self._power2 = c.power == 2.0
        self._routes: dict[tuple, Route] = {}  # (see route)
        self._spectra: dict[tuple, tuple] = {}  # (see spectrum)
        # float32 products that a TF32/bf16 setting would round can take the float64 route
        self._wide = precision.wants_float64_constants(device, dtype)
        # Povey's, Hann's and the sine window weigh a frame's first sample by 0, so its
        # pre-emphasised value (Kaldi's x[0] - k x[0]) need not be made: such frames go to
        # the FFT from their second sample, without the concatenation that makes it. A frame
        # shifted by one sample has the same power and magnitude spectrum.
        zero_first = c.fft_size is not None and c.frame_preemphasis and c.window64()[0] == 0
        self._win_from_1 = self._win[1:] if zero_first else None
        # The native push's constants: a short push's frames take the flat route (power 2
        # from one window product, on a CPU), whose product is "full" or "matmul" up to
        # the last row count before a plan of groups or blocks (see spectrum).
        flat = self._power2 and self._dft_size is None and self._win64 is None
        full, one, lo, cols, full_max_rows, plain_max_rows = self._banded.few_rows()
        max_rows = min(plain_max_rows, 2 * BLOCK_SAMPLES // c.n_fft)
        self._push_constants = (
            (self._win, full, one, lo, cols, full_max_rows, max_rows)
            if flat and device.type == "cpu"
            else None
        )

    def _apply(self, fn: Any, recurse: bool = True) -> MelSpectrogram:
        super()._apply(fn, recurse)
        # Rebuild from float64 rather than keeping what fn did to the buffers, so that
        # .double() after .float() is exact and .half() keeps a float32 computation.
        self._build_constants(self.window.device, self.window.dtype)
        return self

    def __getstate__(self) -> dict[str, Any]:
        # Pickles (torch.save, deepcopy, DataLoader workers) carry the configuration and
        # buffers; what derives from them is rebuilt where they are loaded, so that a module
        # saved on a GPU with Triton and loaded on a CPU does not keep a CUDA kernel path.
        state = self.__dict__.copy()
        for derived in self._derived:
            state.pop(derived, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._build_constants(self.window.device, self.window.dtype)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the module computes in."""
        return self._dtype

    @property
    def device(self) -> torch.device:
        """The device of the module's constants."""
        return self._device

    def extra_repr(self) -> str:
        c = self.config
        win = c.window if isinstance(c.window, str) else "<array>"
        return (
            f"sr={c.sr:g}, n_fft={c.n_fft}, hop_length={c.hop_length}, win_length={c.win_length}, "
            f"window={win!r}, center={c.center}, pad_mode={c.pad_mode!r}, power={c.power:g}, "
            f"n_mels={c.n_mels}, fmin={c.fmin:g}, fmax={c.fmax:g}, htk={c.htk}, norm={c.norm!r}"
            + (f", filterbank={c.filterbank!r}" if c.filterbank != "librosa" else "")
        )

    def check_input(self, y: Any) -> None:
        """Check type, dtype, device and shape of ``y`` (never its values: no host sync)."""
        check_signal(y, "y")
        if y.device != self._device:
            raise ParameterError(
                f"y is on {y.device} and the module on {self._device}: move one to the other "
                f"(module.to(y.device) or y.to(module.device))"
            )
        self.check_length(y.shape[-1])

    def check_length(self, n_samples: int) -> None:
        """Raise ParameterError if a signal of ``n_samples`` samples makes no frame."""
        self.config.check_length(n_samples)

    def route(self, y: torch.Tensor) -> Route:
        """How a call on ``y`` (in the module's dtype) is computed: the one place where the
        hot path's choices are made (see :class:`Route`).

        Chosen once per shape, autograd state and matmul precision setting and kept, where
        nothing else can change it: not under a trace, and not where the Triton kernels
        may run (they follow whether a CUDA graph is being captured).
        """
        if self._frames is not None or is_compiling() or is_exporting():
            return self._choose_route(y)
        route = self._routes.get(self._route_key(y))
        if route is None:
            if len(self._routes) >= MAX_ROUTES:
                self._routes.clear()
            route = self._routes[self._route_key(y)] = self._choose_route(y)
        return route

    def _route_key(self, y: torch.Tensor) -> tuple:
        """What a kept route depends on; a call whose key is kept was checked before."""
        reduced = self._wide and precision.reduced(y.is_cuda)
        return (y.shape, y.dtype, y.device, y.requires_grad, reduced)

    def _choose_route(self, y: torch.Tensor) -> Route:
        c, n = self.config, y.shape[-1]
        items = y.numel() // n  # (n > 0: forward returns before for an empty signal)
        n_frames = c.n_frames(n)
        exporting = is_exporting()
        if y.is_cpu and not (exporting or is_compiling()):  # (the output, the padded input)
            out = (*y.shape[:-1], c.n_mels, n_frames)
            size = (items * c.n_mels * n_frames + items * (n + 2 * c.pad)) * y.element_size()
            check_fits(size, f"a mel spectrogram of shape {out}")
        tail = c.tail_slice(n)  # librosa's right pad reflects only the last samples
        kernel = (
            self._frames is not None
            and self.fused
            and not self._fft64
            and c.fft_size is None  # (the kernel windows librosa's frames, not Kaldi's)
            and c.pad_mode in _fused.PAD_MODES
            and not tail
            and n > c.pad  # (modes and cases it does not pad as np.pad: the torch ops do)
            and _fused.wanted(y, items * n_frames * c.n_fft)
        )
        band = kernel and self._band_mel is not None and items * n_frames <= _fused.band_max_rows
        if not c.pad or kernel:
            pad = "none"
        elif c.pad_mode == "constant":
            pad = "constant"
        elif c.pad_mode in _TORCH_PAD and tail is None and n > c.pad:
            pad = "torch"
        else:  # np.pad's other modes, and repeated reflections (which torch refuses)
            pad = "numpy"
        block = self._block(y, items, n_frames, exporting)
        gemm_dft, in_place, product = self._spectrum_route(
            y, items * (block or n_frames), exporting
        )
        last_product = product
        if block and n_frames % block:  # (the last block is shorter)
            last_product = self._spectrum_route(y, items * (n_frames % block), exporting)[2]
        flat = (
            not (kernel or block or gemm_dft or exporting or is_compiling())
            and in_place
            and pad in ("none", "constant")
            and self._dft_size is None
            and self._win64 is None
        )
        plan = self._banded.plan_index(items * n_frames) if flat and product == "plan" else None
        padded = None
        if flat and pad == "constant" and y.is_cpu and items * (n + 2 * c.pad) <= MAX_KEPT_PAD:
            with torch.inference_mode(False):  # (written in place in and out of that mode)
                buffer = y.new_zeros((*y.shape[:-1], n + 2 * c.pad))
            frames = buffer.unfold(-1, c.n_fft, c.hop_length)
            padded = Padded(buffer[..., c.pad : c.pad + n], frames, threading.Lock())
        return Route(
            kernel,
            band,
            pad,
            tail,
            block,
            gemm_dft,
            in_place,
            product,
            last_product,
            flat,
            plan,
            padded,
        )

    def _block(self, x: torch.Tensor, items: int, n_frames: int, exporting: bool) -> int:
        """Frames per block for ``items`` signals of ``n_frames`` frames (0: all at once)."""
        rows = items * n_frames
        if x.is_cpu and not exporting and rows * self.config.n_fft > 2 * BLOCK_SAMPLES:
            # Long CPU inputs in blocks of frames whose windowed copy and spectrum stay in
            # cache (faster from several seconds of audio on: bench/ times both), and whose
            # memory does not grow with the input's length.
            return max(1, BLOCK_SAMPLES // self.config.n_fft * n_frames // rows)
        return 0

    def _spectrum_route(
        self, x: torch.Tensor, rows: int, exporting: bool
    ) -> tuple[bool, bool, str]:
        """The spectrum's choices for ``rows`` frames of ``x``'s device, dtype and autograd."""
        tracing = exporting or is_compiling()
        gemm_dft = exporting and is_onnx_export()
        # view(dtype) drops gradients: autograd goes through (re, im) pairs, and so do traces
        # (dynamo < 2.3 gives a complex-to-real view the wrong shape)
        in_place = self._power2 and not tracing and not x.requires_grad
        # (products TF32/bf16 would round take float64: fastmel/ops/precision.py)
        float64 = not tracing and self._wide and precision.reduced(x.is_cuda)
        product = self._banded.mode(rows, cuda=x.is_cuda, exporting=exporting, float64=float64)
        return gemm_dft, in_place, product

    def spectrum(self, frames: torch.Tensor) -> torch.Tensor:
        """Mel spectrum of frames ``(..., k, n_fft)`` -> ``(..., n_mels, k)``."""
        tracing = is_compiling() or is_exporting()
        key = None if tracing else self._route_key(frames)
        kept = self._spectra.get(key) if key is not None else None
        if kept is None:
            if not frames.numel():  # an empty batch of streams (torch's CPU rfft fails on it)
                shape = frames.shape[:-2] + (self.config.n_mels, frames.shape[-2])
                return frames.new_zeros(shape)
            k = frames.shape[-2]
            exporting = is_exporting()
            step = self._block(frames, frames.numel() // (frames.shape[-1] * k), k, exporting)
            rows = frames.numel() // frames.shape[-1]
            gemm_dft, in_place, product = self._spectrum_route(frames, rows, exporting)
            flat = in_place and not gemm_dft and self._dft_size is None and self._win64 is None
            plan = self._banded.plans[self._banded.plan_index(rows)] if product == "plan" else None
            kept = (step, gemm_dft, in_place, product, flat and not tracing, plan)
            if key is not None:  # (chosen once per shape, as route() does)
                if len(self._spectra) >= MAX_ROUTES:
                    self._spectra.clear()
                self._spectra[key] = kept
        step, gemm_dft, in_place, product, flat, plan = kept
        if step:  # (a long push: in blocks, as forward computes a long input)
            k = frames.shape[-2]
            return torch.cat(
                [self.spectrum(frames.narrow(-2, i, min(step, k - i))) for i in range(0, k, step)],
                -1,
            )
        if flat:  # (the common route in one frame, as forward's _flat)
            X = torch.fft.rfft(frames * self._win, dim=-1)
            S = X.view(self._dtype)
            S = S.mul_(S)
            return apply_plan(S, plan) if plan is not None else self._banded.apply(S, product)
        return self._spectrum(frames, gemm_dft, in_place, product)

    def push_constants(self) -> tuple | None:
        """The constants :data:`fastmel.ops.native.mel_push` needs to compute a stream's
        short push as :meth:`spectrum` would; None where it would not: the module is kept
        on the eager ops (``native``), its frames do not take the flat route, or its
        products take the float64 one."""
        constants = self._push_constants
        if constants is None or not self.native or (self._wide and precision.reduced(False)):
            return None
        return constants

    def _spectrum(
        self, frames: torch.Tensor, gemm_dft: bool, in_place: bool, product: str
    ) -> torch.Tensor:
        """Window, transform, power, project, as the route says."""
        windowed, n = self._windowed(frames), self._dft_size
        if gemm_dft:  # the DFT as matrix products, built when traced (fastmel/ops/dft.py)
            if n is not None:
                windowed = F.pad(windowed, (0, n - windowed.shape[-1]))
            return self._power_project(rdft_pairs(windowed), product, onnx=True)
        return self._mel_of(torch.fft.rfft(windowed, n=n, dim=-1), in_place, product)

    def _mel_of(self, X: torch.Tensor, in_place: bool, product: str) -> torch.Tensor:
        """Power and projection of the complex spectrum ``X`` ``(..., k, F)``, which is ours."""
        if in_place:
            # (..., k, 2F) re, im pairs in one view, squared in place; the projection sums
            # each pair
            S = X.view(self._dtype)
            return self._banded.apply(S.mul_(S), product)
        return self._power_project(torch.view_as_real(X), product)

    def _windowed(self, frames: torch.Tensor) -> torch.Tensor:
        """The frames ``(..., k, n_fft)`` ready for the DFT: multiplied by the window; for
        Kaldi's framing, ``win_length`` samples each, processed as Kaldi does (the DFT
        zero-pads them to ``fft_size``)."""
        if self._dft_size is not None:
            return self._kaldi_windowed(frames)
        if self._win64 is not None:  # (power < 1: see _fft64)
            return frames.double() * self._win64
        return frames * self._win

    def _kaldi_windowed(self, frames: torch.Tensor) -> torch.Tensor:
        c, win = self.config, self.config.win_length
        x = frames[..., c.frame_offset : c.frame_offset + win]  # (a view: Kaldi's samples)
        # (alpha= rather than Python-scalar operands, each of which costs a CPU dispatch)
        if c.remove_dc:  # x - sum(x) / win
            x = torch.sub(x, x.sum(dim=-1, keepdim=True), alpha=1.0 / win)
        if k := c.frame_preemphasis:  # x[i] - k x[i - 1], and x[0] - k x[0]
            if self._win_from_1 is not None:  # (x[1:] is ours: windowed in place)
                return torch.sub(x[..., 1:], x[..., :-1], alpha=k).mul_(self._win_from_1)
            x = torch.sub(x, torch.cat([x[..., :1], x[..., :-1]], dim=-1), alpha=k)
        return x * self._win

    def _power_project(self, sq: torch.Tensor, product: str, onnx: bool = False) -> torch.Tensor:
        """Mel spectrum of a spectrum's (re, im) pairs ``(..., k, F, 2)``, which are ours
        (squared in place) -> ``(..., n_mels, k)``."""
        power = self.config.power
        # In place when autograd allows (the pairs are ours): one buffer fewer.
        sq = sq * sq if sq.requires_grad else sq.mul_(sq)
        if power == 2.0:
            S = sq.flatten(-2)  # (..., k, 2F); the projection sums re^2 + im^2
        else:
            S = sq[..., 0] + sq[..., 1]
            if eps := self.config.mag_eps:  # HiFi-GAN's sqrt(re^2 + im^2 + eps)
                # (onnxscript's optimizer drops the addition of a scalar within 1e-8 of 0,
                # such as HiFi-GAN's 1e-9, as a no-op; it leaves a 1-element tensor alone)
                S = S + (S.new_full((1,), eps) if onnx else eps)
            S = S.sqrt() if power == 1.0 else S.pow(power / 2)
            if S.dtype != self._dtype:  # from the float64 transform of a power < 1
                S = S.to(self._dtype)
        return self._banded.apply(S, product)

    if TYPE_CHECKING:  # nn.Module.__call__ is typed Any: calls get forward's types

        def __call__(self, y: Array) -> Array: ...

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """Mel spectrogram of ``y``.

        Parameters
        ----------
        y : torch.Tensor [shape=(..., n)]
            Audio, real floating point.

        Returns
        -------
        M : torch.Tensor [shape=(..., n_mels, t)]
        """
        if type(y) is torch.Tensor and self._frames is None and not is_compiling():
            route = self._routes.get(self._route_key(y))
            if route is not None and route.flat:  # (a shape routed before: checked then)
                return self._flat(y, route)
        self.check_input(y)
        dtype = self._dtype
        out_dtype = y.dtype if y.dtype in _HALF else dtype
        c = self.config
        if not y.numel():  # an empty batch (0, n): librosa returns (0, n_mels, t)
            shape = y.shape[:-1] + (c.n_mels, c.n_frames(y.shape[-1]))
            return y.new_zeros(shape, dtype=out_dtype)
        if y.dtype != dtype:  # (skipping no-op conversions matters for small inputs)
            y = y.to(dtype)
        route = self.route(y)
        if route.frames_kernel:  # CUDA: pad, frame and window in one Triton kernel
            X = torch.fft.rfft(self._kernel_frames(y), dim=-1)
            if route.band_kernel:  # and power and projection in another
                assert self._band_mel is not None
                return _as(self._band_mel(X), out_dtype)
            return _as(self._mel_of(X, route.in_place, route.product), out_dtype)
        frames = self._pad(y, route).unfold(-1, c.n_fft, c.hop_length)
        if route.block:
            step, n_frames = route.block, frames.shape[-2]
            blocks = [
                self._spectrum(
                    frames[..., i : i + step, :],
                    route.gemm_dft,
                    route.in_place,
                    route.product if i + step < n_frames else route.last_product,
                )
                for i in range(0, n_frames, step)
            ]
            return _as(torch.cat(blocks, dim=-1), out_dtype)
        return _as(self._spectrum(frames, route.gemm_dft, route.in_place, route.product), out_dtype)

    def _flat(self, y: torch.Tensor, route: Route) -> torch.Tensor:
        """The common call (``route.flat``) with as few ops and checks as the math needs: a
        call between other work finds torch's and Python's code cold and pays for each."""
        c, kept = self.config, route.padded
        if route.plan is not None and self.native and _native.enabled() and y.is_cpu:
            plan = self._banded.plan_lists[route.plan]  # (the same ops, called from C++)
            return _native.mel_plan(y, self._win, c.pad, c.n_fft, c.hop_length, plan)
        if kept is not None and kept.lock.acquire(False):
            try:
                kept.middle.copy_(y)
                windowed = kept.frames * self._win
            finally:
                kept.lock.release()
        else:
            if c.pad:
                y = torch.constant_pad_nd(y, (c.pad, c.pad))
            windowed = y.unfold(-1, c.n_fft, c.hop_length) * self._win
        X = torch.fft.rfft(windowed, dim=-1)
        S = X.view(self._dtype)
        S = S.mul_(S)
        if route.plan is not None:
            return apply_plan(S, self._banded.plans[route.plan])
        return self._banded.apply(S, route.product)

    def _pad(self, y: torch.Tensor, route: Route) -> torch.Tensor:
        """``y`` padded on both sides as the configuration and the route say."""
        c = self.config
        if route.pad == "constant":
            return F.pad(y, (c.pad, c.pad))
        if route.pad == "torch":  # (torch pads non-constant modes of 2-D/3-D inputs only)
            n = y.shape[-1]
            flat = F.pad(y.reshape(-1, n), (c.pad, c.pad), mode=_TORCH_PAD[c.pad_mode])
            return flat.reshape(y.shape[:-1] + (flat.shape[-1],))
        if route.pad == "numpy":
            return pad_both(y, c.pad, c.pad_mode, self.ramp, route.tail)
        return y

    def _kernel_frames(self, y: torch.Tensor) -> torch.Tensor:
        """Windowed frames of ``y`` from the Triton kernel (where the route takes it)."""
        assert self._frames is not None
        c, n = self.config, y.shape[-1]
        rows = y.reshape(-1, n).contiguous()
        frames = self._frames(rows, c.n_frames(n), c.hop_length, c.pad, c.pad_mode)
        return frames.reshape(y.shape[:-1] + frames.shape[-2:])


def _as(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return x if x.dtype == dtype else x.to(dtype)


# typed: 512.0 equals 512 and hashes as it, but only 512 is a valid n_fft (and True is not 1)
_cached_config = functools.lru_cache(maxsize=256, typed=True)(MelConfig.make)


@functools.lru_cache(maxsize=32, typed=True)  # (validates its arguments: see _cached_config)
def _basis_tensor(
    sr: float,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    htk: bool,
    norm: Any,
    basis_dtype: torch.dtype,
    dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    # The mel basis for melspectrogram(S=...): librosa's, rounded to its `dtype` keyword.
    rounding = np.float32 if basis_dtype == torch.float32 else np.float64
    basis = mel_filters(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=rounding
    )
    return torch.tensor(basis, dtype=dtype, device=device)


@functools.lru_cache(maxsize=32)
def _cached_module(
    config: MelConfig, dtype: torch.dtype, basis_dtype: torch.dtype, device: torch.device
) -> MelSpectrogram:
    module = MelSpectrogram.from_config(config, dtype=dtype)
    if basis_dtype != dtype:
        module._basis_rounding = np.float32
    return module.to(device)  # .to() rebuilds the constants


def _check_audio(y: Any, name: str = "y") -> torch.Tensor:
    """``y`` as a tensor (:func:`as_tensor`), once it passes librosa.util.valid_audio's checks
    and the empty check librosa leaves to numpy."""
    if isinstance(y, np.ndarray):
        kind = y.dtype.kind
    elif isinstance(y, torch.Tensor):
        kind = "c" if y.is_complex() else "f" if y.is_floating_point() else "i"
    else:
        raise TypeError(f"{name} must be a np.ndarray or torch.Tensor, got {type(y).__name__}")
    if kind != "f":
        raise ParameterError(f"{name} must be real floating-point, got dtype {y.dtype}")
    if y.ndim == 0:
        raise ParameterError(f"{name} must be at least one-dimensional, got shape {tuple(y.shape)}")
    if y.shape[-1] == 0:
        raise ParameterError(f"{name} is empty")
    yt = as_tensor(y)
    if math.prod(y.shape) and not _all_finite(yt):  # (an empty batch has nothing to check)
        raise ParameterError(f"{name} is not finite everywhere (contains NaN or inf)")
    return yt


def _all_finite(x: torch.Tensor) -> bool:
    """Whether ``x`` has no NaN or inf: its sum is finite iff so, unless the sum overflows,
    which only then costs the exact check (min and max are finite iff every value is)."""
    # One torch reduction rather than NumPy's min and max, which cost more than a small call.
    if math.isfinite(x.sum().item()):
        return True
    return math.isfinite(x.amin().item()) and math.isfinite(x.amax().item())


def _compute_dtype(x_dtype: torch.dtype, basis_dtype: torch.dtype) -> torch.dtype:
    # librosa: float64 audio gives complex128/float64 spectra, anything else complex64/float32;
    # the result type is promoted with the basis dtype. (A torch dtype is never compared
    # with a NumPy dtype here: NumPy would try to convert it, at a cost per call.)
    x64 = x_dtype == torch.float64 or basis_dtype == torch.float64
    return torch.float64 if x64 else torch.float32


def melspectrogram(
    *,
    y: Array | None = None,
    sr: float = MelConfig.sr,
    S: Array | None = None,
    n_fft: int = MelConfig.n_fft,
    hop_length: int | None = MelConfig.hop_length,
    win_length: int | None = None,
    window: Any = MelConfig.window,
    center: bool = MelConfig.center,
    pad_mode: str = MelConfig.pad_mode,
    power: float = MelConfig.power,
    n_mels: int = MelConfig.n_mels,
    fmin: float = MelConfig.fmin,
    fmax: float | None = None,
    htk: bool = MelConfig.htk,
    norm: Any = MelConfig.norm,
    dtype: npt.DTypeLike = np.float32,
) -> Array:
    """Mel-scaled spectrogram, equal to ``librosa.feature.melspectrogram``.

    Parameters
    ----------
    y : np.ndarray or torch.Tensor [shape=(..., n)] or None
        Audio time series, real floating point and finite. Multichannel input is
        supported; each channel is analysed independently.
    sr : float > 0
        Sampling rate of ``y``.
    S : np.ndarray or torch.Tensor [shape=(..., 1 + n_fft // 2, t)] or None
        A precomputed spectrogram (``|stft| ** power``). When given it is used and ``y`` is
        ignored, as in librosa; ``n_fft`` is kept if ``n_fft // 2 + 1 == S.shape[-2]`` (an
        odd n_fft), else taken as ``2 * (S.shape[-2] - 1)``.
    n_fft : int > 0
        FFT length.
    hop_length : int > 0 or None
        Samples between frames (None: ``win_length // 4``, as librosa's stft).
    win_length : int in (0, n_fft] or None
        Window length (None: ``n_fft``); the window is zero-padded to ``n_fft``.
    window : str, tuple, float, callable, np.ndarray, torch.Tensor or list
        ``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"``
        (``"rectangular"``, ``"ones"``); any other ``scipy.signal.get_window`` spec
        (``"flattop"``, ``("kaiser", 8.0)``, a number as a Kaiser beta; needs scipy); a
        function called as ``window(win_length)``; or explicit values of length
        ``win_length``. Specs give periodic windows
        (``scipy.signal.get_window(..., fftbins=True)``). See :func:`fastmel.get_window`.
    center : bool
        Pad ``n_fft // 2`` samples on both sides so that frame t is centred at
        ``t * hop_length``.
    pad_mode : {"constant", "reflect", "edge", "symmetric", "linear_ramp"}
        Padding for ``center=True``, as ``np.pad`` (librosa >= 0.10 defaults to zeros);
        ignored without centring, as in librosa.
    power : float > 0
        Exponent of the magnitude (1: energy, 2: power).
    n_mels, fmin, fmax, htk, norm, dtype
        Mel filterbank parameters, as :func:`fastmel.mel_filters`.

    Returns
    -------
    M : np.ndarray or torch.Tensor [shape=(..., n_mels, t)]
        NumPy in gives NumPy out; a tensor in gives a tensor on the same device. The
        dtype is float64 if ``y`` (or ``S``) or ``dtype`` is float64, else float32, as in librosa.

    Raises
    ------
    ParameterError
        Invalid parameters or audio (non-finite, empty, not real floating point, too short).
    TypeError
        ``y``/``S`` of the wrong type or parameters of the wrong type.

    Examples
    --------
    >>> import numpy as np, fastmel
    >>> y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    >>> M = fastmel.melspectrogram(y=y, sr=16000, n_fft=800, hop_length=200, n_mels=80)
    >>> M.shape, M.dtype
    ((80, 81), dtype('float32'))
    """
    basis_dtype = torch_dtype(dtype)
    if S is not None:  # as librosa: a given S is used (and y ignored)
        St = _check_audio(S, "S")  # the same checks apply to a spectrogram
        if S.ndim < 2:
            raise ParameterError(
                f"S must have shape (..., 1 + n_fft // 2, t), got {tuple(S.shape)}"
            )
        if not isinstance(n_fft, (int, np.integer)) or n_fft // 2 + 1 != S.shape[-2]:
            n_fft = 2 * (S.shape[-2] - 1)  # librosa keeps an n_fft (an odd one) that fits S
        ct = _compute_dtype(St.dtype, basis_dtype)
        St = St.to(ct)
        pt = torch.float64 if precision.float64_products(St) else ct  # (TF32/bf16: precision.py)
        basis = _basis_tensor(sr, n_fft, n_mels, fmin, fmax, htk, norm, basis_dtype, pt, St.device)
        out = torch.matmul(basis, St.to(pt)).to(ct)
        return like(out, S)
    if y is None:
        raise ParameterError("one of y or S must be given")

    kw = dict(
        sr=sr,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        power=power,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        norm=norm,
    )
    try:
        config = _cached_config(**kw)  # validating costs more than a small input's mel
    except TypeError as e:
        if "unhashable" not in str(e):
            raise
        config = MelConfig.make(**kw)  # an explicit window array
    yt = _check_audio(y)
    config.check_length(y.shape[-1])
    ct = _compute_dtype(yt.dtype, basis_dtype)
    out = _cached_module(config, ct, basis_dtype, yt.device)(yt if yt.dtype == ct else yt.to(ct))
    return like(out, y)


def clear_cache() -> None:
    """Forget the cached configurations and modules used by :func:`melspectrogram`."""
    _cached_config.cache_clear()
    _cached_module.cache_clear()
    _basis_tensor.cache_clear()
