"""NeMo's ``AudioToMelSpectrogramPreprocessor`` under its names, computed by the ``nemo``
preset: ``forward(input_signal, length) -> (processed_signal, processed_length)``.

Features are NeMo's in eval mode, as at inference: ``dither`` (which NeMo adds only while
training) and the training-time augmentation are not applied.
"""

from __future__ import annotations

from typing import Any

import torch

from fastmel.core.errors import ParameterError
from fastmel.presets import preset

__all__ = ["AudioToMelSpectrogramPreprocessor"]


class AudioToMelSpectrogramPreprocessor(torch.nn.Module):
    """NeMo's ``AudioToMelSpectrogramPreprocessor`` with its arguments and defaults.

    ``forward(input_signal, length)``: ``input_signal`` ``(batch, time)`` zero-padded items,
    ``length`` ``(batch,)`` their lengths in samples; returns ``processed_signal``
    ``(batch, features, frames)`` (each item's frames past its ``processed_length`` are 0,
    then ``pad_to``'s) and ``processed_length`` ``(batch,)`` int64.

    Not supported (a ParameterError names them): ``normalize="all_features"`` or a fixed
    mean and std, ``log=False``, ``log_zero_guard_type``/``value`` other than ``"add"`` and
    ``2**-24``, ``frame_splicing`` other than 1, ``exact_pad``, ``stft_exact_pad``,
    ``stft_conv``, ``use_torchaudio``, ``pad_value`` other than 0,
    ``nb_augmentation_prob`` other than 0.
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        window_size: float = 0.02,
        window_stride: float = 0.01,
        n_window_size: int | None = None,
        n_window_stride: int | None = None,
        window: str = "hann",
        normalize: str | None = "per_feature",
        n_fft: int | None = None,
        preemph: float | None = 0.97,
        features: int = 64,
        lowfreq: float = 0,
        highfreq: float | None = None,
        log: bool = True,
        log_zero_guard_type: str = "add",
        log_zero_guard_value: float = 2**-24,
        dither: float = 1e-5,
        pad_to: int = 16,
        frame_splicing: int = 1,
        exact_pad: bool = False,
        pad_value: float = 0,
        mag_power: float = 2.0,
        rng: Any = None,
        nb_augmentation_prob: float = 0.0,
        nb_max_freq: int = 4000,
        use_torchaudio: bool = False,
        mel_norm: str | None = "slaney",
        stft_exact_pad: bool = False,
        stft_conv: bool = False,
    ) -> None:
        super().__init__()
        fixed = dict(
            log=(log, True),
            log_zero_guard_type=(log_zero_guard_type, "add"),
            log_zero_guard_value=(log_zero_guard_value, 2**-24),
            frame_splicing=(frame_splicing, 1),
            exact_pad=(exact_pad, False),
            pad_value=(pad_value, 0),
            nb_augmentation_prob=(nb_augmentation_prob, 0.0),
            use_torchaudio=(use_torchaudio, False),
            stft_exact_pad=(stft_exact_pad, False),
            stft_conv=(stft_conv, False),
        )
        bad = [f"{k}={v!r}" for k, (v, supported) in fixed.items() if v != supported]
        if normalize not in ("per_feature", "NA", None):
            bad.insert(0, f"normalize={normalize!r}")
        if bad:
            raise ParameterError(f"not supported: {', '.join(bad)}")
        sr = sample_rate
        self.featurizer = preset(
            "nemo",
            sr=sr,
            n_mels=features,
            normalize=None if normalize in ("NA", None) else normalize,
            pad_to=pad_to,
            window=window,
            preemphasis=preemph or 0.0,
            win_length=n_window_size or int(window_size * sr),
            hop_length=n_window_stride or int(window_stride * sr),
            n_fft=n_fft,
            fmin=float(lowfreq),
            fmax=None if highfreq is None else float(highfreq),
            power=float(mag_power),
            norm=mel_norm,
        )
        self.sample_rate, self.dither = sample_rate, dither

    def get_seq_len(self, length: torch.Tensor) -> torch.Tensor:
        """NeMo's frame count of items of ``length`` samples (int64)."""
        return self.featurizer.feature_lengths(torch.as_tensor(length)).long()

    def forward(
        self, input_signal: torch.Tensor, length: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        length = torch.as_tensor(length, device=input_signal.device)
        return self.featurizer(input_signal, lengths=length), self.get_seq_len(length)
