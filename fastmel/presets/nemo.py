"""NVIDIA NeMo's mel front end (``AudioToMelSpectrogramPreprocessor``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from fastmel.core.arrays import Array
from fastmel.core.errors import ParameterError, check_real, check_size
from fastmel.feature.frontend import Blocks, CausalPart, FrontEnd, WholeInput, band_sums
from fastmel.presets.common import (
    centred_bands,
    checked_lengths,
    refuse_fixed,
)
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["NEMO_LOG_GUARD", "NEMO_STD_FLOOR", "NEMO_WINDOWS", "NeMo"]

# NeMo's log guard, log(x + 2**-24), and the constant added to each band's std.
NEMO_LOG_GUARD, NEMO_STD_FLOOR = 2.0**-24, 1e-5


# NeMo's window names: torch's symmetric (periodic=False) windows, built in float32.
NEMO_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "none": None,
}


def _per_feature(L: torch.Tensor, n: Any, valid: torch.Tensor | None = None) -> torch.Tensor:
    """NeMo's per-feature normalisation (see :func:`fastmel.frontend.centred_bands`):
    ``(x - mean) / (std + 1e-5)``, std with ``n - 1`` (one valid frame: NeMo's 0/0 std
    becomes 0)."""
    centred, var = centred_bands(L, n, valid)
    return centred / (var.sqrt() + NEMO_STD_FLOOR)


class NeMo(FrontEnd):
    """NVIDIA NeMo's ``AudioToMelSpectrogramPreprocessor`` (``FilterbankFeatures`` in
    ``nemo/collections/asr/parts/preprocessing/features.py``), in eval mode (no dither).

    The front end of NeMo's speech models (Parakeet, Canary, FastConformer, Sortformer...):
    pre-emphasis 0.97 over the whole signal, 25 ms frames every 10 ms (400/160 samples at
    16 kHz) windowed by ``torch.hann_window(win_length, periodic=False)`` and zero-padded to
    the next power of two (512), centred with zeros, power spectrum, librosa's Slaney mel
    filters from 0 Hz to Nyquist, ``log(x + 2**-24)``, then each band normalised over the
    valid frames: ``(x - mean) / (std + 1e-5)``, std with the ``n - 1`` denominator.

    NeMo counts ``n // hop_length`` valid frames (its ``processed_length``), one fewer than
    the centred STFT has: the last frame, and any added by ``pad_to``, are set to 0.

    Parameters
    ----------
    n_mels : int > 0
        NeMo's ``features``: 128 for Parakeet (v2, v3), Canary and Nemotron streaming; 80 for
        older (Fast)Conformers.
    normalize : {"per_feature", None}
        ``"per_feature"`` as above (not causal: it needs the whole input); None is the
        streaming models' ``"NA"``: each frame on its own, and the preset streams.
    pad_to : int >= 0
        Zero frames appended up to a multiple of ``pad_to`` (NeMo's default 16; the released
        Parakeet and Canary configs set 0).
    window : {"hann", "hamming", "blackman", "bartlett", "none"}
        NeMo's ``window``.
    preemphasis : float
        NeMo's ``preemph`` (0 disables it).
    sr : float
        Sampling rate; ``win_length`` and ``hop_length`` default to ``int(0.025 * sr)`` and
        ``int(0.01 * sr)``, ``n_fft`` to the next power of two of ``win_length``, as NeMo's
        ``window_size`` and ``window_stride`` in seconds.

    Notes
    -----
    Items of different lengths go in one batch as NeMo batches them: zero-padded to one
    length ``n``, with ``lengths`` giving each item's own (``forward(y, lengths=lengths)``).
    Each item's pre-emphasised samples past its length are set to 0 (so whatever pads it
    is ignored), its statistics are taken over its own :meth:`feature_lengths` frames, and
    its frames past those are 0: each row equals the item computed on its own, up to its
    length in frames, then zeros. Streams take equal-length items.
    """

    MEL = dict(sr=16000, n_mels=128, fmin=0.0, fmax=None, power=2.0, pad_mode="constant")
    whole_input_statistic = (
        "normalize='per_feature' (each band's mean and std; normalize=None streams)"
    )

    def __init__(
        self,
        *,
        n_mels: int = 128,
        normalize: str | None = "per_feature",
        pad_to: int = 0,
        window: Any = "hann",
        preemphasis: float = 0.97,
        **mel_overrides: Any,
    ) -> None:
        if normalize not in ("per_feature", None):
            raise ParameterError(f"normalize={normalize!r} must be 'per_feature' or None")
        refuse_fixed(mel_overrides, ("center", "pad_mode"), "NeMo (centred, zero padding)")
        # NeMo's sizes: window_size 0.025 s and window_stride 0.01 s, truncated to samples,
        # and n_fft = 2 ** ceil(log2(win_length))
        sr = check_real("sr", mel_overrides.get("sr", self.MEL["sr"]))
        for name, seconds in (("win_length", 0.025), ("hop_length", 0.01)):
            if mel_overrides.get(name) is None:
                mel_overrides[name] = int(seconds * sr)
        win = check_size("win_length", mel_overrides["win_length"])
        if mel_overrides.get("n_fft") is None:
            mel_overrides["n_fft"] = 1 << (win - 1).bit_length()
        if isinstance(window, str):
            if window not in NEMO_WINDOWS:
                raise ParameterError(f"window={window!r} must be one of {sorted(NEMO_WINDOWS)}")
            make = NEMO_WINDOWS[window]
            window = make(win, periodic=False) if make else torch.ones(win)
        super().__init__(preemphasis=preemphasis, n_mels=n_mels, window=window, **mel_overrides)
        self.causal = normalize is None
        self.normalize = normalize
        self.pad_to = check_size("pad_to", pad_to, minimum=0)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.log(M.add_(NEMO_LOG_GUARD))  # (M is ours)

    def finish(self, M: torch.Tensor, n_frames: int) -> torch.Tensor:
        return self._masked(M[..., :-1], n_frames)

    def _masked(self, valid: torch.Tensor, n_frames: int) -> torch.Tensor:
        """``valid`` followed by the frames NeMo sets to 0: the last of ``n_frames`` and
        those up to a multiple of ``pad_to``."""
        zeros = 1 + (-n_frames % self.pad_to if self.pad_to else 0)
        return torch.cat([valid, valid.new_zeros(valid.shape[:-1] + (zeros,))], dim=-1)

    if TYPE_CHECKING:

        def __call__(self, y: Array, lengths: Any = None) -> Array: ...

    def feature_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """NeMo's valid frame counts (its ``processed_signal_length``) for items of
        ``lengths`` samples: ``(lengths + n_fft // 2 * 2 - n_fft) // hop_length``, at least
        0 (``lengths // hop_length`` for an even ``n_fft``)."""
        c = self.mel.config
        return ((lengths + c.n_fft // 2 * 2 - c.n_fft) // c.hop_length).clamp_min(0)

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """NeMo's features of ``y``.

        Parameters
        ----------
        y : torch.Tensor [shape=(..., n)]
            Audio, real floating point.
        lengths : torch.Tensor or sequence of int [shape=(...)], optional
            Each item's length in samples, ``0 <= lengths <= n`` (NeMo's ``length``), for
            items zero-padded to ``n``; None: every item is ``n`` samples long.

        Returns
        -------
        M : torch.Tensor [shape=(..., n_mels, frames)]
            ``frames = 1 + n // hop_length`` (for an even ``n_fft``), up to a multiple of
            ``pad_to``; each item's frames from ``feature_lengths(lengths)`` on are 0.
        """
        valid = None  # (..., 1, frames - 1): the frames of each item's own length
        if lengths is None:
            L = super().forward(y)
            n: Any = L.shape[-1] - 1  # NeMo's valid frames: all but the last
        else:
            self.mel.check_input(y)
            lengths = checked_lengths(lengths, y)
            x = self.preemphasize(y.to(self.mel.dtype))
            # NeMo zeroes the samples past each length after pre-emphasis (the first of them
            # would otherwise hold -k times the item's last sample)
            past = torch.arange(x.shape[-1], device=x.device) >= lengths.unsqueeze(-1)
            L = self.postprocess(self.mel(x.masked_fill(past, 0.0)))
            count = self.feature_lengths(lengths).unsqueeze(-1).unsqueeze(-1)  # (..., 1, 1)
            valid = torch.arange(L.shape[-1] - 1, device=L.device) < count
            n = count.to(L.dtype)
        frames = L[..., :-1]
        if self.normalize == "per_feature" and frames.shape[-1]:
            frames = _per_feature(frames, n, valid)
        if valid is not None:
            frames = torch.where(valid, frames, 0.0)
        return self._masked(frames, L.shape[-1])

    def whole_input(self) -> WholeInput | None:
        return _PerFeatureWhole(self) if self.normalize == "per_feature" else None


class _PerFeatureWhole(WholeInput):
    """The log-mel frames stored; each band's mean and std over all but the last (NeMo's
    valid frames), in two passes; the last frame and ``pad_to``'s are 0."""

    def __init__(self, nemo: NeMo) -> None:
        super().__init__(CausalPart(nemo.mel, nemo.postprocess, nemo.preemphasis))
        self.pad_to = nemo.pad_to

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        super().statistics(blocks, columns, samples)
        n = self.valid = max(0, columns - 1)
        total = band_sums(blocks, n)
        if total is None:
            return
        mean = (total / n).astype(np.float32)
        squares = band_sums(blocks, n, lambda part: np.square(part - mean, dtype=np.float64))
        assert squares is not None
        std = np.sqrt(squares / (n - 1)) if n > 1 else np.zeros_like(squares)
        self.mean = torch.from_numpy(mean)
        self.std = torch.from_numpy(std.astype(np.float32)) + NEMO_STD_FLOOR

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        k = min(max(0, self.valid - start), block.shape[1])
        out = torch.zeros_like(block)
        if k:
            out[:, :k] = (block[:, :k] - self.mean) / self.std
        return out

    def tail(self, rows: int) -> torch.Tensor | None:
        extra = -self.columns % self.pad_to if self.pad_to else 0
        return torch.zeros(rows, extra) if extra else None


SPECS = (
    PresetSpec(
        "nemo",
        NeMo,
        model="NVIDIA NeMo, nemo/collections/asr/parts/preprocessing/features.py: "
        "FilterbankFeatures",
        # log(x + 2**-24) has no floor to hide float32 FFT noise in near-silent bands; the
        # normalisation divides float64 rounding by its 1e-5 std floor on silence
        reference="nemo_features",
        tolerance=Tolerance(float32=2e-3, float64=1e-8),
        reference64="nemo_features",
    ),
)
