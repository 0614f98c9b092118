"""The mel inputs of vocoders and TTS models: HiFi-GAN, BigVGAN, CosyVoice, Vocos, F5-TTS,
StyleTTS 2.
"""

from __future__ import annotations

from typing import Any

import torch

from fastmel.core.errors import check_sr
from fastmel.feature.frontend import FrontEnd
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["BigVGAN", "CosyVoice", "F5TTS", "HiFiGAN", "StyleTTS2", "Vocos"]


class HiFiGAN(FrontEnd):
    """HiFi-GAN's ``meldataset.mel_spectrogram`` (V1 config: 22.05 kHz, 1024/256, 80 mels).

    Reflect-pads ``(n_fft - hop) // 2`` samples on both sides, frames without centring,
    magnitude ``sqrt(re^2 + im^2 + 1e-9)``, librosa Slaney filters (0-8000 Hz), then
    ``log(max(x, 1e-5))``.
    """

    TORCH_WINDOW = True
    MEL = dict(
        sr=22050,
        n_fft=1024,
        hop_length=256,
        win_length=1024,
        n_mels=80,
        fmin=0.0,
        fmax=8000.0,
        power=1.0,
        pad_mode="reflect",
        mag_eps=1e-9,
    )

    def __init__(self, **mel_overrides: Any) -> None:
        kw = {**self.MEL, **mel_overrides}
        mel_overrides.setdefault("center_pad", (kw["n_fft"] - kw["hop_length"]) // 2)
        super().__init__(**mel_overrides)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clamp(M, min=1e-5))


class BigVGAN(HiFiGAN):
    """BigVGAN's ``meldataset.mel_spectrogram`` (the v2 24 kHz, 100-band configuration).

    As :class:`HiFiGAN` (reflect pad ``(n_fft - hop) // 2``, no centring,
    ``sqrt(|X|^2 + 1e-9)``, ``log(max(x, 1e-5))``) with 24 kHz, n_fft 1024, hop 256,
    100 mels, fmin 0, fmax 12 kHz.
    """

    MEL = dict(
        sr=24000,
        n_fft=1024,
        hop_length=256,
        win_length=1024,
        n_mels=100,
        fmin=0.0,
        fmax=None,
        power=1.0,
        pad_mode="reflect",
        mag_eps=1e-9,
    )


class CosyVoice(HiFiGAN):
    """CosyVoice 2's features of its prompt speech: Matcha-TTS' ``matcha/utils/audio.py``
    (``mel_spectrogram``, HiFi-GAN's steps) with the ``feat_extractor`` of
    ``cosyvoice2.yaml``, on 24 kHz audio.

    As :class:`HiFiGAN` (reflect pad ``(n_fft - hop) // 2``, no centring,
    ``sqrt(|X|^2 + 1e-9)``, librosa Slaney filters, ``log(max(x, 1e-5))``) with n_fft 1920,
    hop 480 (50 frames a second), win 1920, 80 mels, 0-8000 Hz.
    """

    MEL = dict(
        sr=24000,
        n_fft=1920,
        hop_length=480,
        win_length=1920,
        n_mels=80,
        fmin=0.0,
        fmax=8000.0,
        power=1.0,
        pad_mode="reflect",
        mag_eps=1e-9,
    )


class Vocos(FrontEnd):
    """Vocos' ``MelSpectrogramFeatures`` (24 kHz, n_fft 1024, hop 256, 100 mels).

    A torchaudio ``MelSpectrogram``: centred with reflect padding, periodic Hann, power 1,
    HTK mel scale without norm, the filterbank built as torchaudio builds it (float32), then
    ``log(max(x, 1e-7))``.
    """

    TORCH_WINDOW = True
    MEL = dict(
        sr=24000,
        n_fft=1024,
        hop_length=256,
        n_mels=100,
        fmin=0.0,
        fmax=None,
        power=1.0,
        pad_mode="reflect",
        htk=True,
        norm=None,
        filterbank="torchaudio",
    )
    LOG_FLOOR = 1e-7

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clamp(M, min=self.LOG_FLOOR))


class F5TTS(Vocos):
    """F5-TTS' ``get_vocos_mel_spectrogram`` (``f5_tts/model/modules.py``, its default
    ``mel_spec_type="vocos"``): the mel of its reference audio, from 24 kHz audio.

    As :class:`Vocos` (a torchaudio ``MelSpectrogram``: 1024/256, 100 HTK bands without norm,
    centred with reflect padding, power 1) but floored higher: ``log(max(x, 1e-5))``.
    """

    LOG_FLOOR = 1e-5


class StyleTTS2(FrontEnd):
    """StyleTTS 2's ``meldataset.preprocess``: the features its acoustic model, text aligner
    and pitch extractor were trained on, from 24 kHz audio.

    A torchaudio ``MelSpectrogram(n_mels=80, n_fft=2048, win_length=1200, hop_length=300)``
    whose other arguments keep torchaudio's defaults, ``sample_rate=16000`` among them: the
    bank is built for 16 kHz and applied to 24 kHz audio, so its 80 bands (HTK scale, no
    norm, torchaudio's float32 bank) up to what it takes for 8 kHz reach 12 kHz of the
    audio. Centred with reflect padding, a periodic Hann window of 1200 samples centred in
    2048, power 2, then ``(log(x + 1e-5) + 4) / 4`` (its mean -4 and std 4).

    Parameters
    ----------
    sr : float
        The audio's sampling rate: 24 kHz for the published models. The features do not
        depend on it (StyleTTS 2 never passes it to torchaudio); ``fastmel mel --preset
        styletts2`` resamples files to it.
    sample_rate : float
        torchaudio's ``sample_rate``, which places the bands: 16 kHz as StyleTTS 2 leaves it.
    """

    TORCH_WINDOW = True
    MEL = dict(
        sr=16000.0,
        n_fft=2048,
        win_length=1200,
        hop_length=300,
        n_mels=80,
        fmin=0.0,
        fmax=None,
        power=2.0,
        pad_mode="reflect",
        htk=True,
        norm=None,
        filterbank="torchaudio",
    )
    AUDIO_SR = 24000.0  # (MEL's sr is torchaudio's sample_rate: the bank's rate)

    def __init__(
        self, *, sr: float = AUDIO_SR, sample_rate: float = MEL["sr"], **mel_overrides: Any
    ) -> None:
        check_sr(sr)  # (the features do not depend on it)
        super().__init__(sr=sample_rate, **mel_overrides)

    @classmethod
    def audio_rate(cls) -> float:
        return cls.AUDIO_SR

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        # (log(x + 1e-5) - mean) / std with mean -4, std 4: one log and one in-place affine op
        return torch.log(M + 1e-5).add_(4.0).mul_(0.25)


# ONNX graphs compute the DFT by matrix products (fastmel/ops/dft.py), not rounded as the
# references' float32 torch.stft is: near these log floors that difference shows.
SPECS = (
    PresetSpec(
        "hifigan",
        HiFiGAN,
        model="HiFi-GAN, meldataset.py: mel_spectrogram (config_v1.json)",
        reference="hifigan_features",
        tolerance=Tolerance(float32=2e-5, float64=2e-5, onnx=1e-3),
        reference64="hifigan_features",
    ),
    PresetSpec(
        "bigvgan",
        BigVGAN,
        model="BigVGAN, meldataset.py: mel_spectrogram (v2 24 kHz 100-band config)",
        reference="bigvgan_features",
        tolerance=Tolerance(float32=2e-5, onnx=2e-4),
    ),
    PresetSpec(
        "cosyvoice",
        CosyVoice,
        model="CosyVoice 2, Matcha-TTS matcha/utils/audio.py: mel_spectrogram (cosyvoice2.yaml)",
        reference="cosyvoice_features",
        tolerance=Tolerance(float32=2e-5, onnx=2e-4),
    ),
    PresetSpec(
        "vocos",
        Vocos,
        model="Vocos, vocos/feature_extractors.py: MelSpectrogramFeatures",
        reference="vocos_mel",
        tolerance=Tolerance(float32=2e-5, onnx=2e-4),
    ),
    PresetSpec(
        "f5tts",
        F5TTS,
        model="F5-TTS, f5_tts/model/modules.py: get_vocos_mel_spectrogram",
        reference="f5tts_mel",
        tolerance=Tolerance(float32=2e-5, onnx=2e-4),
    ),
    PresetSpec(
        "styletts2",
        StyleTTS2,
        model="StyleTTS 2, meldataset.py: preprocess",
        reference="styletts2_mel",
        # (float64: its steps in float64 with its float32 bank and window)
        tolerance=Tolerance(float32=2e-5, float64=1e-9),
        reference64="styletts2_mel",
    ),
)
