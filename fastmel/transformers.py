"""transformers' audio feature extractors, computed by fastmel's presets.

Each class here is a subclass of the transformers extractor of the same name that keeps
every public behaviour of its parent (``from_pretrained``, ``save_pretrained``, ragged
batches, ``padding``, ``truncation``, ``max_length``, attention masks, ``return_tensors``,
``sampling_rate`` checks, ``device``) and replaces only the step that computes the
spectrogram with the model's preset, on the ``device`` asked for. Swap the import::

    from fastmel.transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor.from_pretrained("openai/whisper-small")
    features = extractor(batch, sampling_rate=16000, return_tensors="pt")

:class:`AutoFeatureExtractor` loads any checkpoint as transformers' does and hands out
fastmel's subclass where there is one. Saved configurations name the parent class, so
they load with or without fastmel. Needs the ``transformers`` package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import transformers

from fastmel.core.errors import ParameterError
from fastmel.feature.frontend import FrontEnd
from fastmel.presets import PCM_SCALE, preset

__all__ = [
    "ASTFeatureExtractor",
    "AutoFeatureExtractor",
    "Gemma3nAudioFeatureExtractor",
    "Gemma4AudioFeatureExtractor",
    "ParakeetFeatureExtractor",
    "SeamlessM4TFeatureExtractor",
    "WhisperFeatureExtractor",
]


class _Presets:
    """The extractor's preset, built once per device (and again if the extractor's
    configuration changes): a mixin of the subclasses below."""

    _fastmel_modules: dict[Any, FrontEnd]

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def _preset(self, device: Any = "cpu") -> FrontEnd:
        name, options = self._preset_options()
        key = (str(torch.device(device)), name, repr(sorted(options.items())))
        modules = self.__dict__.setdefault("_fastmel_modules", {})
        if key not in modules:
            try:
                modules[key] = preset(name, **options).to(device)
            except (ParameterError, TypeError) as e:
                raise ParameterError(f"{type(self).__name__}: {e}") from None
        return modules[key]

    @classmethod
    def parent(cls) -> type:
        """The transformers extractor class this one computes."""
        return next(c for c in cls.__mro__ if c.__module__.startswith("transformers."))

    def to_dict(self) -> dict[str, Any]:
        modules = self.__dict__.pop("_fastmel_modules", None)  # (not configuration)
        try:
            out: dict[str, Any] = super().to_dict()  # type: ignore[misc]
        finally:
            if modules is not None:
                self.__dict__["_fastmel_modules"] = modules
        # (the parent's name: the saved configuration loads with or without fastmel)
        out["feature_extractor_type"] = self.parent().__name__
        return out


class WhisperFeatureExtractor(_Presets, transformers.WhisperFeatureExtractor):
    """transformers' ``WhisperFeatureExtractor`` with its log-mel computed by the
    ``whisper`` preset (each item's own max, as the parent's torch path takes it), in one
    batched call on ``device``. ``dither`` adds the parent's noise, drawn the same way.

    ``feature_size`` must be 80 or 128 (Whisper's); the filterbank reaches 8 kHz as the
    parent's does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._preset()  # (refuses what the preset cannot compute, naming it)

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "whisper", dict(
            n_mels=self.feature_size,
            max_over="item",
            sr=self.sampling_rate,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            fmax=8000.0,
        )

    def _torch_extract_fbank_features(self, waveform: np.ndarray, device: str = "cpu") -> Any:
        y = torch.from_numpy(np.asarray(waveform)).to(device, torch.float32)
        if self.dither != 0.0:
            y += self.dither * torch.randn(y.shape, dtype=y.dtype, device=y.device)
        with torch.inference_mode():
            return self._preset(device)(y).cpu().numpy()

    def _np_extract_fbank_features(self, waveform_batch: np.ndarray, device: str) -> np.ndarray:
        result: np.ndarray = self._torch_extract_fbank_features(waveform_batch, device)
        return result  # (the parent's path without torch: fastmel has torch)


class ParakeetFeatureExtractor(_Presets, transformers.ParakeetFeatureExtractor):
    """transformers' ``ParakeetFeatureExtractor`` with its log-mel computed by the
    ``nemo`` preset's spectrogram and log, batched on ``device``; the parent's
    pre-emphasis, masks and normalisation are kept as they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._preset()

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "nemo", dict(
            n_mels=self.feature_size,
            sr=self.sampling_rate,
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            normalize=None,
            preemphasis=0.0,  # (the parent applies it before this step)
        )

    def _torch_extract_fbank_features(self, waveform: Any, device: str = "cpu") -> Any:
        front = self._preset(device)
        with torch.inference_mode():
            y = torch.as_tensor(waveform).to(device, torch.float32)
            return front.postprocess(front.mel(y)).transpose(-2, -1).clone()


class ASTFeatureExtractor(_Presets, transformers.ASTFeatureExtractor):
    """transformers' ``ASTFeatureExtractor`` with each item's log fbank computed by the
    ``ast`` preset (torchaudio's Kaldi fbank, which the parent uses where torchaudio is
    installed), padded or truncated to ``max_length`` frames; the parent's normalisation
    and padding are kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._preset()

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "ast", dict(
            n_mels=self.num_mel_bins,
            sr=self.sampling_rate,
            max_length=self.max_length,
            normalize=False,
        )

    def _extract_fbank_features(self, waveform: np.ndarray, max_length: int) -> np.ndarray:
        if max_length != self.max_length:  # (the parent passes its own)
            raise ParameterError(f"max_length={max_length} differs from {self.max_length}")
        with torch.inference_mode():
            y = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32).reshape(-1))
            return self._preset()(y).T.numpy()


class SeamlessM4TFeatureExtractor(_Presets, transformers.SeamlessM4TFeatureExtractor):
    """transformers' ``SeamlessM4TFeatureExtractor`` with each item's Kaldi log fbank
    computed by the ``kaldi`` preset (audio scaled to 16-bit integers, as the parent
    does); the parent's normalisation, padding and frame stacking are kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._preset()

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "kaldi", dict(
            n_mels=self.num_mel_bins,
            sr=self.sampling_rate,
            input_scale=PCM_SCALE,
        )

    def _extract_fbank_features(self, waveform: np.ndarray) -> np.ndarray:
        if waveform.ndim == 2:  # (the parent takes the first channel)
            waveform = waveform[0]
        with torch.inference_mode():
            y = torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32).reshape(-1))
            return self._preset()(y).T.numpy()


class _Gemma(_Presets):
    """What the Gemma extractors share: sizes fixed by the preset, refused otherwise; the
    parent's dither and input scale, drawn and applied as it does."""

    #: the parent's attributes the preset fixes, as functions of the sampling rate
    FIXED: dict[str, Any] = {}
    # (the parents' attributes read here)
    sampling_rate: int
    feature_size: int
    min_frequency: float
    max_frequency: float
    mel_floor: Any
    per_bin_mean: Any
    per_bin_stddev: Any
    dither: float
    input_scale_factor: float

    def _check_fixed(self) -> None:
        sr = self.sampling_rate
        for name, value in self.FIXED.items():
            expected = value(sr) if callable(value) else value
            if getattr(self, name) != expected:
                raise ParameterError(
                    f"{type(self).__name__}: {name}={getattr(self, name)!r} is not "
                    f"supported (the preset computes {name}={expected!r})"
                )

    def _gemma_options(self) -> dict[str, Any]:
        def bands(x: Any) -> Any:
            return None if x is None else np.ravel(x).tolist()

        return dict(
            sr=self.sampling_rate,
            n_mels=self.feature_size,
            fmin=self.min_frequency,
            fmax=self.max_frequency,
            mel_floor=float(self.mel_floor),
            per_bin_mean=bands(self.per_bin_mean),
            per_bin_stddev=bands(self.per_bin_stddev),
        )

    def _log_mel(self, waveform: np.ndarray) -> np.ndarray:
        """The preset's ``(frames, n_mels)`` of one item, after the parent's dither and
        input scale."""
        y = np.asarray(waveform, dtype=np.float32)
        y = y[None] if y.ndim == 1 else y
        if y.ndim != 2 or y.shape[0] != 1:  # (the parent fails on these too)
            raise ValueError(f"{type(self).__name__}: an item of shape {y.shape}, not one channel")
        if self.dither > 0.0:
            noise = np.random.randn(*y.shape)  # noqa: NPY002 (the parent's draw, from NumPy's global state)
            y = y + self.dither * noise.astype(y.dtype)
        if self.input_scale_factor != 1.0:
            y = y * self.input_scale_factor
        with torch.inference_mode():
            return self._preset()(torch.from_numpy(np.ascontiguousarray(y[0]))).T.numpy()


class Gemma3nAudioFeatureExtractor(_Gemma, transformers.Gemma3nAudioFeatureExtractor):
    """transformers' ``Gemma3nAudioFeatureExtractor`` with each item's log-mel computed
    by the ``gemma3n`` preset; the parent's padding and masks are kept. Its frame sizes,
    pre-emphasis and FFT size are the preset's: other values are refused."""

    FIXED = dict(
        frame_length=lambda sr: int(round(sr * 0.032)),
        hop_length=lambda sr: int(round(sr * 0.01)),
        preemphasis=0.97,
        preemphasis_htk_flavor=True,
        fft_overdrive=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_fixed()
        self._preset()

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "gemma3n", self._gemma_options()

    def _extract_spectrogram(
        self, waveform: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        mel = self._log_mel(waveform)
        return mel, attention_mask[:: self.hop_length].astype(bool)[: mel.shape[0]]


class Gemma4AudioFeatureExtractor(_Gemma, transformers.Gemma4AudioFeatureExtractor):
    """transformers' ``Gemma4AudioFeatureExtractor`` with each item's log-mel computed by
    the ``gemma4`` preset; the parent's padding and masks (a frame counts where its whole
    window is audio) are kept. Its frame sizes, pre-emphasis and FFT size are the
    preset's: other values are refused."""

    FIXED = dict(
        frame_length=lambda sr: int(round(sr * 0.02)),
        hop_length=lambda sr: int(round(sr * 0.01)),
        preemphasis=0.0,
        fft_overdrive=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_fixed()
        self._preset()

    def _preset_options(self) -> tuple[str, dict[str, Any]]:
        return "gemma4", self._gemma_options()

    def _extract_spectrogram(
        self, waveform: np.ndarray, attention_mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        mel = self._log_mel(waveform)
        # (frame i's window ends at sample i * hop + frame_length - frame_length // 2)
        ends = np.arange(mel.shape[0]) * self.hop_length + self.frame_length
        ends -= self.frame_length // 2
        return mel, attention_mask[ends].astype(bool)


#: transformers' extractor classes that fastmel computes, and fastmel's subclass of each.
DROP_INS: dict[type, Any] = {
    cls.parent(): cls
    for cls in (
        WhisperFeatureExtractor,
        ParakeetFeatureExtractor,
        ASTFeatureExtractor,
        SeamlessM4TFeatureExtractor,
        Gemma3nAudioFeatureExtractor,
        Gemma4AudioFeatureExtractor,
    )
}


class AutoFeatureExtractor:
    """``transformers.AutoFeatureExtractor`` that hands out fastmel's subclass of the
    extractor a checkpoint names, where fastmel has one (else transformers' class)."""

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> Any:
        """Load as ``transformers.AutoFeatureExtractor.from_pretrained`` does, with the
        same arguments; the extractor is then rebuilt as fastmel's subclass of its class."""
        extractor = transformers.AutoFeatureExtractor.from_pretrained(
            pretrained_model_name_or_path, **kwargs
        )
        drop_in = DROP_INS.get(type(extractor))
        return extractor if drop_in is None else drop_in.from_dict(extractor.to_dict())
