"""The front end a preset is: pre-emphasis -> a mel spectrogram -> post-processing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from fastmel.core.arrays import Array, NumpyInOut
from fastmel.feature.spectrogram import MelSpectrogram
from fastmel.ops.stacking import FrameStacker

__all__ = ["CausalPart", "FrontEnd", "WholeInput", "band_sums", "stored_max"]


class FrontEnd(NumpyInOut, torch.nn.Module):
    """Pre-emphasis -> mel spectrogram -> per-frame post-processing.

    Parameters
    ----------
    mel_kwargs : dict
        Keywords of the :class:`MelSpectrogram` (the preset's, updated by overrides).
    preemphasis : float
        Coefficient k of ``y[n] - k * y[n - 1]`` (with ``y[-1] = 0``); 0 disables it.

    Shape
    -----
    ``(..., n) -> (..., n_mels, frames)`` (Whisper drops the last frame; NeMo sets it to 0
    and appends ``pad_to``'s zero frames, and also takes each item's ``lengths``).
    """

    #: whether the output of frame t depends only on samples up to frame t (streamable)
    causal: bool = True
    #: what a preset that is not causal computes over the whole input (for error messages)
    whole_input_statistic = ""
    #: the defaults of the preset's MelSpectrogram
    MEL: dict[str, Any] = {}

    #: True for models whose code builds the window with ``torch.hann_window`` in float32:
    #: the preset then uses those exact values (they differ from a correctly rounded Hann
    #: window by an ulp here and there, which shows in near-silent bands after the log).
    TORCH_WINDOW = False

    def __init__(self, *, preemphasis: float = 0.0, **mel_overrides: Any) -> None:
        super().__init__()
        kw = {**self.MEL, **mel_overrides}
        if self.TORCH_WINDOW and "window" not in mel_overrides:
            kw["window"] = torch.hann_window(kw.get("win_length") or kw["n_fft"])
        self.mel = MelSpectrogram(**kw)
        self.preemphasis = float(preemphasis)

    @classmethod
    def audio_rate(cls) -> float:
        """The sampling rate of the model's audio, which ``fastmel mel --preset`` resamples
        files to (the rate of the preset's filterbank, but for StyleTTS 2)."""
        return float(cls.MEL["sr"])

    def preemphasize(self, y: torch.Tensor, previous: torch.Tensor | None = None) -> torch.Tensor:
        """``y[n] - k * y[n-1]``; ``previous`` is the sample before ``y`` (zeros if None)."""
        if not self.preemphasis:
            return y
        before = y.new_zeros(y.shape[:-1] + (1,)) if previous is None else previous
        return torch.sub(y, torch.cat([before, y[..., :-1]], dim=-1), alpha=self.preemphasis)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        """Frame-wise post-processing of the mel spectrogram ``(..., n_mels, frames)``."""
        return M

    def finish(self, M: torch.Tensor, n_frames: int) -> torch.Tensor:
        """The post-processed frames that end a signal of ``n_frames`` frames, ``M``
        ``(..., n_mels, k)`` (its last k), as the model ends it: the stream's flush passes
        its frames through this (NeMo sets its last frame to 0)."""
        return M

    def whole_input(self) -> WholeInput | None:
        """For a front end that is not causal, how its output is computed from its causal
        part's frames stored whole (a long file, a block at a time); None: it has none (a
        causal front end streams as it is)."""
        return None

    def frame_stacker(self) -> FrameStacker | None:
        """A new stream's stacking of post-processed frames into output rows, for presets
        whose rows stack several frames (FunASR's); None: one frame per output column."""
        return None

    @property
    def device(self) -> torch.device:
        """The device of the module's constants."""
        return self.mel.device

    if TYPE_CHECKING:  # nn.Module.__call__ is typed Any: calls get forward's types

        def __call__(self, y: Array) -> Array: ...

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        self.mel.check_input(y)
        return self.postprocess(self.mel(self.preemphasize(y.to(self.mel.dtype))))


class CausalPart(FrontEnd):
    """The frames a front end computes before its whole-input step: its spectrogram, its
    pre-emphasis and its per-frame post-processing (``postprocess``), which stream.

    Parameters
    ----------
    mel : MelSpectrogram or KaldiSpectrogram
        The front end's own spectrogram module (shared, not copied).
    postprocess : callable
        Per-frame post-processing of ``(..., n_mels, k)``.
    preemphasis : float
        The front end's pre-emphasis coefficient.
    """

    def __init__(
        self,
        mel: Any,
        postprocess: Callable[[torch.Tensor], torch.Tensor],
        preemphasis: float = 0.0,
    ) -> None:
        torch.nn.Module.__init__(self)
        self.mel = mel
        self.preemphasis = float(preemphasis)
        self._postprocess = postprocess

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return self._postprocess(M)


#: Calls ``fn(start, block)`` on each block of the stored frames, in order (``block``
#: ``(rows, k)``, the columns from ``start``).
Blocks = Callable[[Callable[[int, np.ndarray], Any]], None]


class WholeInput:
    """The whole-input step of a front end that is not causal, over its causal part's
    frames stored whole (``fastmel mel`` and ``fastmel extract`` on long files).

    The frames of :attr:`causal` are computed as a stream and stored; :meth:`statistics`
    reads them (in one or more passes); :meth:`finish` then maps each block of stored
    columns, in order, to output columns; :meth:`tail` gives the columns that end the
    output. The output equals the front end's on the whole input, within its tolerance
    (statistics summed in float64, frames within the streaming tolerance).

    Parameters
    ----------
    causal : FrontEnd
        What computes the stored frames (a :class:`CausalPart`).
    trailing_zeros : int
        Zero samples the front end appends to its input (Whisper's ``padding``).
    """

    def __init__(self, causal: FrontEnd, trailing_zeros: int = 0) -> None:
        self.causal = causal
        self.trailing_zeros = trailing_zeros
        self.columns = 0  # (stored columns, set by statistics)
        self.samples = 0  # (input samples, trailing zeros included)

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        """Read what the step needs from the ``columns`` stored columns of an input of
        ``samples`` samples (``blocks`` may be called several times)."""
        self.columns, self.samples = columns, samples

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        """The output columns of stored columns ``[start, start + k)`` (``block``
        ``(rows, k)``, float32; ``start`` and ``k`` even but for the last block)."""
        raise NotImplementedError

    def tail(self, rows: int) -> torch.Tensor | None:
        """The output columns after the last block (None: none)."""
        return None


def band_sums(blocks: Blocks, columns: int, fn: Any = None) -> np.ndarray | None:
    """Each band's float64 sum ``(rows, 1)`` over the first ``columns`` stored columns
    (of ``fn(part)`` of each block's part, if given); None when there are none."""
    total: dict[str, np.ndarray] = {}

    def add(start: int, block: np.ndarray) -> None:
        part = block[:, : max(0, columns - start)]
        part = part if fn is None else fn(part)
        s = part.sum(axis=1, keepdims=True, dtype=np.float64)
        total["sum"] = s if "sum" not in total else total["sum"] + s

    blocks(add)
    return total.get("sum") if columns > 0 else None


def stored_max(blocks: Blocks, columns: int) -> float | None:
    """The largest of the first ``columns`` stored columns' values; None when none."""
    found: list[float] = []

    def see(start: int, block: np.ndarray) -> None:
        part = block[:, : max(0, columns - start)]
        if part.size:
            found.append(float(part.max()))

    blocks(see)
    return max(found) if found else None
