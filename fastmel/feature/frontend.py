"""The front end a preset is: pre-emphasis -> a mel spectrogram -> post-processing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from fastmel.core.arrays import Array, NumpyInOut
from fastmel.feature.spectrogram import MelSpectrogram
from fastmel.ops.stacking import FrameStacker

__all__ = ["FrontEnd"]


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
