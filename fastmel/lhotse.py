"""Lhotse feature extractors computed by fastmel (needs ``lhotse``: the ``lhotse`` extra).

Importing this module registers two extractors, each taking the configuration of the
Lhotse extractor it replaces, so that only the class changes::

    from lhotse import CutSet, FbankConfig
    from fastmel.lhotse import FastmelFbank

    cuts = cuts.compute_and_store_features(
        extractor=FastmelFbank(FbankConfig(num_filters=80)), storage_path="feats"
    )

- :class:`FastmelFbank` (``"fastmel-fbank"``): Lhotse's ``Fbank`` (``"kaldi-fbank"``,
  :class:`lhotse.FbankConfig`), computed by the ``kaldi`` preset on the configuration's
  ``device``, batches in one call as Lhotse's own batch extraction does.
- :class:`FastmelLibrosaFbank` (``"fastmel-librosa-fbank"``): Lhotse's ``LibrosaFbank``
  (:class:`lhotse.features.librosa_fbank.LibrosaFbankConfig`, the log10 mel of TTS
  recipes), computed by :class:`fastmel.MelSpectrogram`.

Feature manifests name the fastmel extractor; the stored arrays are read by Lhotse alone.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from lhotse.features.base import FeatureExtractor, register_extractor
from lhotse.features.kaldi.extractors import Fbank, FbankConfig
from lhotse.features.librosa_fbank import (
    LibrosaFbank,
    LibrosaFbankConfig,
    pad_or_truncate_features,
)
from lhotse.utils import compute_num_frames, compute_num_frames_from_samples

from fastmel.core.errors import ParameterError
from fastmel.feature.frontend import FrontEnd
from fastmel.feature.spectrogram import MelSpectrogram
from fastmel.presets import preset

__all__ = ["FastmelFbank", "FastmelLibrosaFbank"]


def _refuse(config: Any, **supported: Any) -> None:
    """ParameterError naming each field of ``config`` whose value fastmel does not compute."""
    bad = [f"{k}={getattr(config, k)!r}" for k, v in supported.items() if getattr(config, k) != v]
    if bad:
        raise ParameterError(f"{type(config).__name__}: not supported: {', '.join(bad)}")


def _samples(samples: Any) -> tuple[torch.Tensor, bool]:
    """One item's samples as a 1-D float tensor (Lhotse passes ``(1, n)`` or ``(n,)``), and
    whether they came as NumPy."""
    is_numpy = not isinstance(samples, torch.Tensor)
    x = torch.from_numpy(np.asarray(samples)) if is_numpy else samples
    if x.dim() == 2 and x.shape[0] == 1:
        x = x[0]
    if x.dim() != 1:
        raise ParameterError(f"samples of shape {tuple(x.shape)}: one channel is supported")
    return x.float(), is_numpy


@register_extractor
class FastmelFbank(FeatureExtractor):
    """Lhotse's ``Fbank`` (Kaldi's log mel filterbank, ``snip_edges=False`` by default)
    computed by the ``kaldi`` preset: ``extract`` gives ``(frames, num_filters)``.

    Not supported (a ParameterError names them): ``dither`` other than 0,
    ``use_energy=True``, ``norm_filters=True``, ``torchaudio_compatible_mel_scale=False``.
    """

    name = "fastmel-fbank"
    config_type = FbankConfig
    mix = staticmethod(Fbank.mix)
    compute_energy = staticmethod(Fbank.compute_energy)
    scale = staticmethod(Fbank.scale)

    def __init__(self, config: FbankConfig | None = None) -> None:
        super().__init__(config=config)
        c = self.config
        _refuse(c, dither=0.0, use_energy=False, norm_filters=False)
        _refuse(c, torchaudio_compatible_mel_scale=True)
        sr = c.sampling_rate
        self.module: FrontEnd = preset(
            "kaldi",
            sr=sr,
            n_mels=c.num_filters,
            win_length=int(math.floor(c.frame_length * sr)),  # (as Lhotse's Wav2Win)
            hop_length=int(math.floor(c.frame_shift * sr)),
            window=c.window_type,
            preemphasis=c.preemph_coeff,
            remove_dc_offset=c.remove_dc_offset,
            round_to_power_of_two=c.round_to_power_of_two,
            snip_edges=c.snip_edges,
            power=1.0 if c.use_fft_mag else 2.0,
            fmin=c.low_freq,
            fmax=c.high_freq,
        ).to(c.device)

    @property
    def device(self) -> str | torch.device:
        return self.config.device

    @property
    def frame_shift(self) -> float:
        return float(self.config.frame_shift)

    def to(self, device: str) -> None:
        """Move the computation to ``device``, as Lhotse's ``Fbank.to``."""
        self.config.device = device
        self.module.to(device)

    def feature_dim(self, sampling_rate: int) -> int:
        return int(self.config.num_filters)

    def _check_rate(self, sampling_rate: int) -> None:
        if sampling_rate != self.config.sampling_rate:
            raise ParameterError(
                f"sampling_rate={sampling_rate}: this extractor was configured for "
                f"{self.config.sampling_rate} (CutSet.resample() changes a cut's rate)"
            )

    def extract(self, samples: Any, sampling_rate: int) -> Any:
        self._check_rate(sampling_rate)
        x, is_numpy = _samples(samples)
        with torch.inference_mode():
            feats = self.module(x.to(self.device)).mT
        return feats.cpu().numpy() if is_numpy else feats

    def extract_batch(
        self, samples: Any, sampling_rate: int, lengths: Any = None
    ) -> np.ndarray | torch.Tensor | list[Any]:
        """Items zero-padded to the longest and computed in one call on the device, each
        then cut to its frames; the types and stacking of Lhotse's ``Fbank.extract_batch``
        (a padded tensor with ``lengths``; a list, an array of rows or one item otherwise)."""
        self._check_rate(sampling_rate)
        as_list = as_torch = False
        if lengths is not None:
            if not isinstance(samples, torch.Tensor):
                raise ParameterError("with lengths, samples must be a padded torch.Tensor")
            counts = [int(n) for n in lengths]
            batch = samples
        else:
            as_list = isinstance(samples, list)
            if not as_list:
                samples = list(samples) if samples.ndim > 1 else [samples]
            as_torch = any(isinstance(x, torch.Tensor) for x in samples)
            items = [_samples(x)[0] for x in samples]
            counts = [x.shape[0] for x in items]
            batch = torch.nn.utils.rnn.pad_sequence(items, batch_first=True)
        shift = self.frame_shift
        frames = [compute_num_frames_from_samples(n, shift, sampling_rate) for n in counts]
        with torch.inference_mode():
            feats = self.module(batch.float().to(self.device)).mT.cpu()
        result: list[Any] = [feats[i, : frames[i]] for i in range(len(counts))]
        if not as_torch:
            result = [x.numpy() for x in result]
        if len(result) == 1:
            return result if as_list else result[0]
        if all(x.shape == result[0].shape for x in result[1:]):
            return torch.stack(result) if as_torch else np.stack(result)
        return result


@register_extractor
class FastmelLibrosaFbank(FeatureExtractor):
    """Lhotse's ``LibrosaFbank``: ``log10(max(1e-10, mel))`` of the magnitude STFT
    (reflect-padded, librosa's Slaney filterbank), ``(frames, num_mel_bins)``, padded or cut
    to Lhotse's frame count of the duration. Computed by :class:`fastmel.MelSpectrogram`."""

    name = "fastmel-librosa-fbank"
    config_type = LibrosaFbankConfig
    mix = staticmethod(LibrosaFbank.mix)
    compute_energy = staticmethod(LibrosaFbank.compute_energy)
    scale = staticmethod(LibrosaFbank.scale)

    def __init__(self, config: LibrosaFbankConfig | None = None) -> None:
        super().__init__(config=config)
        c = self.config
        self.module = MelSpectrogram(
            sr=c.sampling_rate,
            n_fft=c.fft_size,
            hop_length=c.hop_size,
            win_length=c.win_length,
            window=c.window,
            pad_mode="reflect",
            power=1.0,
            n_mels=c.num_mel_bins,
            fmin=0.0 if c.fmin is None else c.fmin,
            fmax=c.sampling_rate / 2 if c.fmax is None else c.fmax,
        )

    @property
    def frame_shift(self) -> float:
        return float(self.config.hop_size / self.config.sampling_rate)

    def feature_dim(self, sampling_rate: int) -> int:
        return int(self.config.num_mel_bins)

    def extract(self, samples: Any, sampling_rate: int) -> np.ndarray:
        c = self.config
        if sampling_rate != c.sampling_rate:
            raise ParameterError(
                f"sampling_rate={sampling_rate}: this extractor was configured for "
                f"{c.sampling_rate} (CutSet.resample() changes a cut's rate)"
            )
        x, _ = _samples(samples)
        with torch.inference_mode():
            mel = self.module(x)
        feats = torch.log10(torch.clamp(mel, min=1e-10)).mT.numpy()
        n = compute_num_frames(
            duration=x.shape[0] / sampling_rate,
            frame_shift=c.hop_size / sampling_rate,
            sampling_rate=sampling_rate,
        )
        return pad_or_truncate_features(feats, n)
