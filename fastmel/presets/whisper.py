"""Whisper's log-mel input (openai-whisper's ``audio.py``)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from fastmel.core.arrays import check_signal
from fastmel.core.errors import ParameterError, check_size
from fastmel.feature.frontend import Blocks, CausalPart, FrontEnd, WholeInput, stored_max
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["Whisper"]


class Whisper(FrontEnd):
    """openai-whisper's ``log_mel_spectrogram`` (``whisper/audio.py``).

    16 kHz, n_fft 400, hop 160, periodic Hann, centred with reflect padding, power 2, the
    last STFT frame dropped, librosa Slaney filters (80 or 128 mels, up to 8 kHz),
    ``log10(max(x, 1e-10))``, then ``max(x, max(x) - 8)`` and ``(x + 4) / 4``.

    Parameters
    ----------
    n_mels : {80, 128}
        80 for Whisper up to large-v2, 128 for large-v3.
    max_over : {"all", "item"}
        ``"all"`` takes the max over the whole input tensor, batch included, exactly as the
        reference does; ``"item"`` takes it per item (over the last two dimensions), so each
        item of a batch equals its own computation.
    padding : int >= 0
        Zeros appended to the audio first, as ``log_mel_spectrogram(..., padding=)``
        (``whisper.transcribe`` passes 480000, 30 s, and then reads 3000-frame windows).

    Notes
    -----
    Not causal (the max needs the whole input): ``MelStream`` refuses it.
    ``whisper.pad_or_trim`` (to 30 s) is left to the caller, as in whisper.
    """

    causal = False
    whole_input_statistic = "its normalisation by the max"
    TORCH_WINDOW = True
    MEL = dict(sr=16000, n_fft=400, hop_length=160, n_mels=80, pad_mode="reflect", power=2.0)

    def __init__(
        self, *, n_mels: int = 80, max_over: str = "all", padding: int = 0, **mel_overrides: Any
    ) -> None:
        if n_mels not in (80, 128):
            raise ParameterError(f"n_mels={n_mels} must be 80 or 128 for Whisper")
        if max_over not in ("all", "item"):
            raise ParameterError(f"max_over={max_over!r} must be 'all' or 'item'")
        super().__init__(n_mels=n_mels, **mel_overrides)
        self.max_over = max_over
        self.padding = check_size("padding", padding, minimum=0)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if self.padding:
            check_signal(y, "y")
            y = F.pad(y, (0, self.padding))
        log_spec = torch.clamp(self.mel(y)[..., :-1], min=1e-10).log10()  # mel checks y
        if not log_spec.numel():  # an empty batch has no max (and needs none)
            peak = log_spec.new_zeros(())
        elif self.max_over == "all":
            peak = log_spec.max()  # (ONNX: onnxscript needs a dim for amax)
        else:
            peak = log_spec.amax(dim=(-2, -1), keepdim=True)
        return (torch.maximum(log_spec, peak - 8.0) + 4.0) / 4.0

    def whole_input(self) -> WholeInput:
        return _WhisperWhole(self)


def _log10_frames(M: torch.Tensor) -> torch.Tensor:
    return torch.clamp(M, min=1e-10).log10()


class _WhisperWhole(WholeInput):
    """The log-mel frames stored; the max over all but the last (which Whisper drops)."""

    def __init__(self, whisper: Whisper) -> None:
        super().__init__(CausalPart(whisper.mel, _log10_frames), whisper.padding)

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        super().statistics(blocks, columns, samples)
        top = stored_max(blocks, columns - 1)
        self.peak = torch.tensor(0.0 if top is None else top, dtype=torch.float32)

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        log_spec = block[:, : max(0, self.columns - 1 - start)]
        return (torch.maximum(log_spec, self.peak - 8.0) + 4.0) / 4.0


SPECS = (
    PresetSpec(
        "whisper",
        Whisper,
        model="openai-whisper, whisper/audio.py: log_mel_spectrogram",
        reference="whisper_log_mel",
        tolerance=Tolerance(float32=1e-5, onnx=2e-5),
    ),
)
