"""Model front ends: the features popular models were trained on, as torch modules.

Each preset is a :class:`FrontEnd`: an optional causal pre-filter (pre-emphasis), a
:class:`MelSpectrogram` configured as the model's code computes it, and post-processing
(log compression, normalisation). ``fastmel.preset(name, **overrides)`` builds one;
``PRESETS`` lists the names. Post-processing is per frame for every preset but Whisper,
whose normalisation takes a max over the whole input, NeMo's per-feature normalisation
(mean and std over the whole input), the speaker-embedding inputs' mean over the frames,
FunASR's frame stacking, SeamlessM4T's normalisation and AST's fixed length; the causal
ones stream
(``fastmel.MelStream(fastmel.preset("wav2lip"))``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ParameterError, check_real, check_size
from .filters import check_sr
from .frontend import (
    PCM_SCALE,
    FrontEnd,
    centred_bands,
    checked_lengths,
    keep_log_bands,
    log_bands_repr,
    normalised_bands,
    refuse_fixed,
)
from .kaldi_presets import AST, CAMPPlus, FunASR, Gemma3n, Kaldi, SeamlessM4T, WeSpeaker
from .spectrogram import check_signal

__all__ = ["AST", "PCM_SCALE", "PRESETS", "BigVGAN", "CAMPPlus", "CosyVoice", "F5TTS", "FrontEnd",
           "FunASR", "Gemma3n", "Gemma4", "HiFiGAN", "Kaldi", "NeMo", "SeamlessM4T", "SpeechBrain",
           "StyleTTS2", "Vocos", "Wav2Lip", "WeSpeaker", "Whisper", "preset"]  # fmt: skip


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

    def __init__(self, *, n_mels: int = 80, max_over: str = "all", padding: int = 0,
                 **mel_overrides: Any) -> None:  # fmt: skip
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


class Wav2Lip(FrontEnd):
    """Wav2Lip's ``audio.py`` (``melspectrogram``) with its ``hparams.py``.

    Pre-emphasis 0.97, ``librosa.stft(n_fft=800, hop_length=200, win_length=800)``,
    magnitude mel (80 Slaney bands, 55-7600 Hz), ``20 log10(max(1e-5, x)) - 20``, then
    ``clip(8 (S + 100) / 100 - 4, -4, 4)``.

    Parameters
    ----------
    pad_mode : {"constant", "reflect"}
        ``"constant"`` is what current librosa (>= 0.10) computes; ``"reflect"`` is what
        the librosa of Wav2Lip's time (< 0.10) computed, which its checkpoints saw.
    """

    MEL = dict(sr=16000, n_fft=800, hop_length=200, win_length=800, n_mels=80, fmin=55.0,
               fmax=7600.0, power=1.0)  # fmt: skip

    def __init__(self, *, pad_mode: str = "constant", **mel_overrides: Any) -> None:
        super().__init__(preemphasis=0.97, pad_mode=pad_mode, **mel_overrides)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        # S = 20 log10(x) - 20 (ref_level_db 20), then 8 (S + 100) / 100 - 4 (min_level_db
        # -100): one affine map of log10(x), 1.6 log10(x) + 2.4, in two in-place ops
        # rather than seven (each with a Python scalar costs several us on a CPU stream).
        L = torch.log10(torch.clamp(M, min=1e-5))
        return torch.clamp(L.mul_(1.6).add_(2.4), -4.0, 4.0)


class HiFiGAN(FrontEnd):
    """HiFi-GAN's ``meldataset.mel_spectrogram`` (V1 config: 22.05 kHz, 1024/256, 80 mels).

    Reflect-pads ``(n_fft - hop) // 2`` samples on both sides, frames without centring,
    magnitude ``sqrt(re^2 + im^2 + 1e-9)``, librosa Slaney filters (0-8000 Hz), then
    ``log(max(x, 1e-5))``.
    """

    TORCH_WINDOW = True
    MEL = dict(sr=22050, n_fft=1024, hop_length=256, win_length=1024, n_mels=80, fmin=0.0,
               fmax=8000.0, power=1.0, pad_mode="reflect", mag_eps=1e-9)  # fmt: skip

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

    MEL = dict(sr=24000, n_fft=1024, hop_length=256, win_length=1024, n_mels=100, fmin=0.0,
               fmax=None, power=1.0, pad_mode="reflect", mag_eps=1e-9)  # fmt: skip


class CosyVoice(HiFiGAN):
    """CosyVoice 2's features of its prompt speech: Matcha-TTS' ``matcha/utils/audio.py``
    (``mel_spectrogram``, HiFi-GAN's steps) with the ``feat_extractor`` of
    ``cosyvoice2.yaml``, on 24 kHz audio.

    As :class:`HiFiGAN` (reflect pad ``(n_fft - hop) // 2``, no centring,
    ``sqrt(|X|^2 + 1e-9)``, librosa Slaney filters, ``log(max(x, 1e-5))``) with n_fft 1920,
    hop 480 (50 frames a second), win 1920, 80 mels, 0-8000 Hz.
    """

    MEL = dict(sr=24000, n_fft=1920, hop_length=480, win_length=1920, n_mels=80, fmin=0.0,
               fmax=8000.0, power=1.0, pad_mode="reflect", mag_eps=1e-9)  # fmt: skip


class Vocos(FrontEnd):
    """Vocos' ``MelSpectrogramFeatures`` (24 kHz, n_fft 1024, hop 256, 100 mels).

    A torchaudio ``MelSpectrogram``: centred with reflect padding, periodic Hann, power 1,
    HTK mel scale without norm, the filterbank built as torchaudio builds it (float32), then
    ``log(max(x, 1e-7))``.
    """

    TORCH_WINDOW = True
    MEL = dict(sr=24000, n_fft=1024, hop_length=256, n_mels=100, fmin=0.0, fmax=None, power=1.0,
               pad_mode="reflect", htk=True, norm=None, filterbank="torchaudio")  # fmt: skip
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
    MEL = dict(sr=16000.0, n_fft=2048, win_length=1200, hop_length=300, n_mels=80, fmin=0.0,
               fmax=None, power=2.0, pad_mode="reflect", htk=True, norm=None,
               filterbank="torchaudio")  # fmt: skip
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


class SpeechBrain(FrontEnd):
    """SpeechBrain's ``Fbank`` features (``speechbrain/lobes/features.py``), normalised per
    sentence: the input of its speaker models (ECAPA-TDNN
    ``speechbrain/spkrec-ecapa-voxceleb``) as ``EncoderClassifier`` computes it from 16 kHz
    audio: ``torch.stft`` (n_fft and window 400, hop 160,
    ``torch.hamming_window(400)``, centred with zeros), power spectrum, SpeechBrain's
    triangular bank (:func:`fastmel.speechbrain_mel_filters`, 0-8000 Hz),
    ``10 log10(max(x, 1e-10))`` floored at ``top_db`` below the item's max over all its
    frames and bands, then each band's mean over the frames subtracted (its
    ``InputNormalization`` with ``norm_type="sentence"``, ``std_norm=False``).

    Parameters
    ----------
    n_mels : int
        The ``Fbank``'s ``n_mels`` (80 for ECAPA-TDNN; 24 for the x-vector models).
    top_db : float >= 0 or None
        The ``Filterbank``'s ``top_db``; None: no floor.
    subtract_mean : bool
        The sentence mean normalisation (each item by its own mean).
    **mel_overrides
        :class:`MelSpectrogram` keywords (``fmin``/``fmax``: the ``Fbank``'s ``f_min`` and
        ``f_max``).

    Notes
    -----
    Not causal (the floor and the mean need the whole input) unless ``top_db=None`` and
    ``subtract_mean=False``. The output is ``(..., n_mels, frames)``: the model takes
    ``.mT``. ``encode_batch``'s relative ``wav_lens`` of a padded batch are not taken: pass
    each item at its own length.
    """

    whole_input_statistic = "its top_db floor (below the max) and each band's mean"
    MEL = dict(sr=16000, n_fft=400, hop_length=160, n_mels=80, fmin=0.0, power=2.0,
               pad_mode="constant", htk=True, norm=None, filterbank="speechbrain")  # fmt: skip

    def __init__(self, *, top_db: float | None = 80.0, subtract_mean: bool = True,
                 **mel_overrides: Any) -> None:  # fmt: skip
        if "window" not in mel_overrides:  # (torch's periodic float32 Hamming, as its STFT)
            win = mel_overrides.get("win_length") or mel_overrides.get("n_fft", self.MEL["n_fft"])
            mel_overrides["window"] = torch.hamming_window(check_size("win_length", win))
        super().__init__(**mel_overrides)
        if top_db is not None and not (math.isfinite(check_real("top_db", top_db)) and top_db >= 0):
            raise ParameterError(f"top_db={top_db!r} must be a finite number >= 0 or None")
        if not isinstance(subtract_mean, (bool, np.bool_)):
            raise TypeError(f"subtract_mean must be a bool, got {type(subtract_mean).__name__}")
        self.top_db = None if top_db is None else float(top_db)
        self.subtract_mean = bool(subtract_mean)
        self.causal = self.top_db is None and not self.subtract_mean

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.clamp(M, min=1e-10).log10().mul_(10.0)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        if self.top_db is not None:  # (the max over each item's bands and frames)
            L = torch.maximum(L, L.flatten(-2).amax(-1)[..., None, None] - self.top_db)
        return L - L.mean(dim=-1, keepdim=True) if self.subtract_mean else L

    def extra_repr(self) -> str:
        return f"top_db={self.top_db}, subtract_mean={self.subtract_mean}"


# NeMo's log guard, log(x + 2**-24), and the constant added to each band's std.
NEMO_LOG_GUARD, NEMO_STD_FLOOR = 2.0**-24, 1e-5
# NeMo's window names: torch's symmetric (periodic=False) windows, built in float32.
NEMO_WINDOWS = {"hann": torch.hann_window, "hamming": torch.hamming_window,
                "blackman": torch.blackman_window, "bartlett": torch.bartlett_window,
                "none": None}  # fmt: skip


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

    def __init__(self, *, n_mels: int = 128, normalize: str | None = "per_feature",
                 pad_to: int = 0, window: Any = "hann", preemphasis: float = 0.97,
                 **mel_overrides: Any) -> None:  # fmt: skip
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

        def __call__(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor: ...

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


class Gemma4(FrontEnd):
    """Gemma 4's audio input, as transformers' ``Gemma4AudioFeatureExtractor``
    (``transformers/models/gemma4/feature_extraction_gemma4.py``) computes it from 16 kHz
    audio: 20 ms frames (320 samples) every 10 ms, the first centred on sample 0 (the audio
    led by 160 zeros), a periodic Hann window, FFT 512, magnitude, 128 HTK-scale triangles
    from 0 to 8000 Hz without norm, ``log(x + 1e-3)``, then optionally ``(x - mean) / std``
    per band. Its frames are those of a centred STFT with zero padding whose window ends at
    least one sample before the end of the audio (it frames 321 samples and uses 320):
    ``(n - 161) // 160 + 1`` of them.

    Parameters
    ----------
    n_mels : int
        The extractor's ``feature_size``.
    mel_floor : float > 0
        Added before the log.
    per_bin_mean, per_bin_stddev : sequence of n_mels floats, or None
        Its per-band normalisation (None: none, its default).
    **mel_overrides
        :class:`MelSpectrogram` keywords (``fmin``/``fmax``: its ``min_frequency`` and
        ``max_frequency``; ``sr`` its ``sampling_rate``, from which the frame sizes follow
        as in the extractor: ``round(sr * 0.02)``, ``round(sr * 0.01)``, FFT the next power
        of two).

    Notes
    -----
    The extractor pads audio to a multiple of 128 samples and zeroes the frames that reach
    into the padding; ``forward(y, lengths=lengths)`` does the same for items zero-padded
    to one length (pad ``y`` to a multiple of 128 for the extractor's frame count). The
    output is ``(..., n_mels, frames)``: the model takes ``.mT``. It does not stream: the
    frame count depends on the last sample.
    """

    MEL = dict(sr=16000, n_mels=128, fmin=0.0, fmax=8000.0, power=1.0, htk=True, norm=None,
               pad_mode="constant")  # fmt: skip
    whole_input_statistic = "its frame count (the extractor reads one sample past each frame)"
    causal = False

    def __init__(self, *, mel_floor: float = 1e-3, per_bin_mean: Any = None,
                 per_bin_stddev: Any = None, **mel_overrides: Any) -> None:  # fmt: skip
        refuse_fixed(mel_overrides, ("n_fft", "win_length", "hop_length", "window", "center",
                                     "pad_mode"), "Gemma 4's features (set by sr)")  # fmt: skip
        sr = check_real("sr", mel_overrides.get("sr", self.MEL["sr"]))
        win, hop = round(sr * 0.02), round(sr * 0.01)  # (the extractor's frame_length_ms)
        check_size("win_length", win, minimum=2)
        # its window_function's periodic Hann, rounded to float32 as it keeps it (the float64
        # route too: those values, not the exact window)
        window = np.hanning(win + 1)[:-1].astype(np.float32)
        super().__init__(n_fft=1 << (win - 1).bit_length(), win_length=win, hop_length=hop,
                         window=window, **mel_overrides)  # fmt: skip
        self.mel_floor = keep_log_bands(self, mel_floor, per_bin_mean, per_bin_stddev)

    mel_floor: float
    per_bin_mean: torch.Tensor | None
    per_bin_stddev: torch.Tensor | None

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = torch.log(M.add_(self.mel_floor))  # (M is ours)
        return normalised_bands(L, self.per_bin_mean, self.per_bin_stddev)

    def _frames(self, n: Any) -> Any:
        """The extractor's frame count for ``n`` samples (an int or a tensor), at least 0."""
        c = self.mel.config
        if isinstance(n, int):
            return max(0, (n + c.win_length // 2 - c.win_length - 1) // c.hop_length + 1)
        return (torch.div(n + c.win_length // 2 - c.win_length - 1, c.hop_length,
                          rounding_mode="floor") + 1).clamp_min(0)  # fmt: skip

    if TYPE_CHECKING:

        def __call__(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor: ...

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """Gemma 4's features of ``y`` ``(..., n)``, whose items are ``lengths`` samples
        long (``(...)``, each in ``[0, n]``, the rest zero padding; None: ``n``): ``(...,
        n_mels, (n - 161) // 160 + 1)``, each item's frames that reach past its length 0."""
        L = super().forward(y)[..., : self._frames(y.shape[-1])]
        if lengths is None:
            return L
        count = self._frames(checked_lengths(lengths, y))[..., None, None]
        return torch.where(torch.arange(L.shape[-1], device=L.device) < count, L, 0.0)

    def extra_repr(self) -> str:
        return log_bands_repr(self)


PRESETS: dict[str, type[FrontEnd]] = {
    "whisper": Whisper,
    "wav2lip": Wav2Lip,
    "hifigan": HiFiGAN,
    "bigvgan": BigVGAN,
    "cosyvoice": CosyVoice,
    "vocos": Vocos,
    "f5tts": F5TTS,
    "styletts2": StyleTTS2,
    "kaldi": Kaldi,
    "campplus": CAMPPlus,
    "wespeaker": WeSpeaker,
    "funasr": FunASR,
    "speechbrain": SpeechBrain,
    "nemo": NeMo,
    "seamless": SeamlessM4T,
    "ast": AST,
    "gemma4": Gemma4,
    "gemma3n": Gemma3n,
}


@overload
def preset(name: Literal["nemo"], **overrides: Any) -> NeMo: ...  # (its call takes lengths)
@overload
def preset(name: Literal["seamless"], **overrides: Any) -> SeamlessM4T: ...  # (so does its)
@overload
def preset(name: Literal["ast"], **overrides: Any) -> AST: ...  # (and AST's)
@overload
def preset(name: Literal["gemma4"], **overrides: Any) -> Gemma4: ...  # (and Gemma 4's)
@overload
def preset(name: str, **overrides: Any) -> FrontEnd: ...
def preset(name: str, **overrides: Any) -> FrontEnd:
    """The named model front end as a torch module.

    Parameters
    ----------
    name : str
        One of ``PRESETS``: "whisper", "wav2lip", "hifigan", "bigvgan", "cosyvoice", "vocos",
        "f5tts", "styletts2", "kaldi", "campplus", "wespeaker", "funasr", "speechbrain",
        "nemo", "seamless", "ast", "gemma4", "gemma3n".
    **overrides
        The preset's own options (e.g. ``n_mels=128`` and ``max_over="item"`` for Whisper,
        ``pad_mode="reflect"`` for Wav2Lip) or any :class:`MelSpectrogram` keyword
        (e.g. ``dtype=torch.float64``).

    Returns
    -------
    FrontEnd
        ``forward(y)``: ``(..., n) -> (..., n_mels, frames)``.

    Examples
    --------
    >>> import torch, fastmel
    >>> fastmel.preset("whisper")(torch.zeros(16000)).shape
    torch.Size([80, 100])
    """
    if not isinstance(name, str):
        raise TypeError(f"preset name must be a str, got {type(name).__name__}")
    try:
        cls = PRESETS[name]
    except KeyError:
        raise ParameterError(f"preset {name!r} is not one of {sorted(PRESETS)}") from None
    return cls(**overrides)
