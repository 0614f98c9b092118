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
from .funasr import FrameStacker, cmvn_vectors, low_frame_rate, stack_frames
from .kaldi import KaldiSpectrogram
from .spectrogram import MelSpectrogram, check_signal
from .tracing import is_compiling

__all__ = ["AST", "PCM_SCALE", "PRESETS", "BigVGAN", "CAMPPlus", "CosyVoice", "F5TTS", "FrontEnd",
           "FunASR", "HiFiGAN", "Kaldi", "NeMo", "SeamlessM4T", "SpeechBrain", "StyleTTS2",
           "Vocos", "Wav2Lip", "WeSpeaker", "Whisper", "preset"]  # fmt: skip

FLT_EPSILON = float(np.finfo(np.float32).eps)  # (Kaldi's log floor, whatever the dtype)
#: ``1 << 15``: the scale of 16-bit samples, by which models trained on Kaldi's integer-valued
#: audio (WeSpeaker, pyannote, FunASR) multiply audio in [-1, 1] (``input_scale``)
PCM_SCALE = float(1 << 15)


class FrontEnd(torch.nn.Module):
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

    if TYPE_CHECKING:  # nn.Module.__call__ is typed Any: calls get forward's types

        def __call__(self, y: torch.Tensor) -> torch.Tensor: ...

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        self.mel.check_input(y)
        return self.postprocess(self.mel(self.preemphasize(y.to(self.mel.dtype))))


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


class Kaldi(FrontEnd):
    """Kaldi's log mel filterbank (``compute-fbank-feats``), as kaldi-native-fbank's
    ``OnlineFbank`` computes it, without dither (tested against both: tests/test_kaldi.py).

    The front end of many speech recognisers and speaker models, e.g. those trained with
    Kaldi, lhotse or ``torchaudio.compliance.kaldi.fbank`` (the same Kaldi steps in float32
    torch ops, also tested against: see below) and served by sherpa-onnx: 25 ms frames every
    10 ms, each with its mean removed, pre-emphasised 0.97 on its own and multiplied by
    Povey's window, FFT size 512 at 16 kHz, power spectrum, HTK-scale triangles from 20 Hz
    to Nyquist over the bins below Nyquist (built in float32, unnormalised),
    ``log(max(x, FLT_EPSILON))``.
    The defaults are Kaldi's, except ``n_mels`` (80, what these models use; Kaldi's is 23)
    and dither (none: it adds random noise).

    Parameters
    ----------
    sr : float
        Sampling rate (Kaldi's ``samp_freq``).
    n_mels : int >= 3
        Kaldi's ``num_bins``.
    fmin, fmax : float
        ``low_freq`` and ``high_freq``; ``fmax`` None or <= 0 counts back from Nyquist.
    win_length, hop_length : int or None
        Frame length and shift in samples (None: 25 ms and 10 ms, rounded down as
        kaldi-native-fbank does).
    window : str
        ``window_type``: "povey", "hamming", "hanning", "sine", "rectangular", "blackman"
        (symmetric, as Kaldi), or kaldi-native-fbank's periodic "hann".
    preemphasis : float in [0, 1]
        ``preemph_coeff``, applied to each frame on its own.
    remove_dc_offset, round_to_power_of_two, snip_edges : bool
        Kaldi's options of those names (all True by default); ``snip_edges=False`` (lhotse's
        and sherpa-onnx's choice) centres frame t on ``t * hop + hop // 2`` and reflects past
        the edges.
    power : {2.0, 1.0}
        Power spectrum, or magnitude (``use_power=False``).
    subtract_mean : bool
        Subtract each band's mean over the frames (Kaldi's and torchaudio's
        ``subtract_mean``, cepstral mean normalisation per utterance): each item of a batch
        by its own mean. The output then depends on the whole input, so it does not stream.
    allow_empty_banks : bool
        Keep a bank that holds no FFT bin (too many banks for the FFT size) at the log
        floor, as ``torchaudio.compliance.kaldi.fbank`` does, rather than raise, as Kaldi
        does.
    input_scale : float > 0
        The features of ``y * input_scale``: Kaldi's tools read 16-bit PCM as integers, so
        models trained that way and fed audio in [-1, 1] need :data:`PCM_SCALE` (32768).
        Folded into the banks: free per call, streams, and for a power of two bit for bit
        the features of the scaled audio.
    dtype : np.dtype or torch.dtype
        float32 (Kaldi's numbers) or float64.

    Notes
    -----
    The output is ``(..., n_mels, frames)`` like every preset: transpose it for models that
    take ``(frames, n_mels)``. Kaldi's
    energy coefficient (``use_energy``), VTLN and dither are not offered. Streams: each
    frame comes out as soon as the samples it reads have arrived, as in ``OnlineFbank``.

    ``torchaudio.compliance.kaldi.fbank(waveform, **kw)`` with its default ``dither=0.0`` is
    ``preset("kaldi", ...)(waveform[0]).T`` with ``n_mels=num_mel_bins`` (its default is
    Kaldi's 23), ``win_length`` and ``hop_length`` = ``int(sample_frequency * ms * 0.001)``
    of ``frame_length`` and ``frame_shift`` (as torchaudio truncates them),
    ``fmin=low_freq``, ``fmax=high_freq``, ``window=window_type``,
    ``preemphasis=preemphasis_coefficient``, ``power`` 2 or 1 for ``use_power``,
    ``sr=sample_frequency``; ``remove_dc_offset``, ``round_to_power_of_two``, ``snip_edges``
    and ``subtract_mean`` by their names.
    """

    MEL = dict(sr=16000)
    whole_input_statistic = "each band's mean over all frames (subtract_mean)"

    def __init__(self, *, sr: float = 16000, n_mels: int = 80, subtract_mean: bool = False,
                 **options: Any) -> None:  # fmt: skip
        torch.nn.Module.__init__(self)
        if not isinstance(subtract_mean, (bool, np.bool_)):
            raise TypeError(f"subtract_mean must be a bool, got {type(subtract_mean).__name__}")
        self.mel = KaldiSpectrogram(sr=sr, n_mels=n_mels, **options)
        self.preemphasis = 0.0  # (Kaldi's is per frame, inside self.mel)
        self.subtract_mean = bool(subtract_mean)
        self.causal = not subtract_mean

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clamp(M, min=FLT_EPSILON))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        return L - L.mean(dim=-1, keepdim=True) if self.subtract_mean else L

    def extra_repr(self) -> str:
        return "subtract_mean=True" if self.subtract_mean else ""

    def _snipped_frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """The frames of items of ``lengths`` samples with ``snip_edges``: ``1 + (lengths -
        win_length) // hop_length``, at least 0."""
        c = self.mel.config
        return (torch.div(lengths - c.n_fft, c.hop_length, rounding_mode="floor") + 1).clamp_min(0)

    def _own_frames(self, L: torch.Tensor, y: torch.Tensor, lengths: Any
                    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """For features ``L`` of a batch ``y`` of items zero-padded from ``lengths`` samples
        (``snip_edges``): which frames each item makes on its own, ``(..., 1, frames)``,
        and how many, ``(..., 1, 1)``. Those frames read only the item's samples."""
        count = self._snipped_frames(_checked_lengths(lengths, y))[..., None, None]
        return torch.arange(L.shape[-1], device=L.device) < count, count


class CAMPPlus(Kaldi):
    """The input of the CAM++ speaker-embedding model (3D-Speaker's ``campplus``) as CosyVoice
    (``cosyvoice/cli/frontend.py``), Seed-VC and IndexTTS 2 compute it from 16 kHz audio in
    [-1, 1]: ``torchaudio.compliance.kaldi.fbank(speech, num_mel_bins=80, dither=0,
    sample_frequency=16000)`` (Kaldi's ``compute-fbank-feats`` defaults: Povey window,
    25/10 ms, 20 Hz-Nyquist), then ``feat - feat.mean(dim=0, keepdim=True)``.

    The :class:`Kaldi` preset with ``subtract_mean=True``, and its options. The mean is over
    each item's frames: a batch ``(B, n)`` gives each row the features of that row alone
    (items zero-padded to a common length would count the padding's frames). It does not
    stream (the mean needs the whole input). The output is ``(..., 80, frames)``: the model
    takes ``feats.mT`` (``(frames, 80)``, batched).
    """

    def __init__(self, *, subtract_mean: bool = True, **options: Any) -> None:
        super().__init__(subtract_mean=subtract_mean, **options)


class WeSpeaker(CAMPPlus):
    """The input of WeSpeaker's speaker-embedding models, as WeSpeaker's ``compute_fbank``
    and pyannote.audio's ``WeSpeakerResNet34`` (the embedding of its speaker-diarization
    pipelines) compute it from 16 kHz audio in [-1, 1]: the audio times ``1 << 15`` (the
    16-bit scale), ``torchaudio.compliance.kaldi.fbank(..., num_mel_bins=80, frame_length=25,
    frame_shift=10, dither=0, window_type="hamming")`` (Kaldi's ``compute-fbank-feats``
    otherwise), less each band's mean over the frames.

    :class:`CAMPPlus` with ``window="hamming"`` and ``input_scale=PCM_SCALE`` (a power of
    two, folded into the banks: exact). A batch ``(B, n)`` gives each row the features of
    that row alone. It does not stream (the mean needs the whole input; with
    ``subtract_mean=False`` it does). The output is ``(..., 80, frames)``: the model takes
    ``feats.mT``.
    """

    def __init__(self, *, window: str = "hamming", input_scale: float = PCM_SCALE,
                 **options: Any) -> None:  # fmt: skip
        super().__init__(window=window, input_scale=input_scale, **options)


class FunASR(Kaldi):
    """FunASR's ``WavFrontend``: the input of SenseVoice, Paraformer and Fun-ASR-Nano (and,
    with ``lfr_m=5, lfr_n=1`` and its own ``am.mvn``, of FSMN-VAD), from 16 kHz audio in
    [-1, 1]: the audio times ``1 << 15``, ``torchaudio.compliance.kaldi.fbank(...,
    num_mel_bins=80, frame_length=25, frame_shift=10, window_type="hamming")`` (Kaldi's
    ``compute-fbank-feats`` otherwise), ``lfr_m`` frames stacked every ``lfr_n``
    (:func:`fastmel.funasr.low_frame_rate`), then ``(x + shift) * scale`` with the model's
    ``am.mvn``.

    Parameters
    ----------
    lfr_m, lfr_n : int >= 1
        Frames stacked, and the stride (the models' ``frontend_conf``; 7 and 6 for SenseVoice
        and Paraformer).
    cmvn : None, path or (shift, scale)
        The model's ``am.mvn`` file (FunASR's ``cmvn_file``), or its two vectors; None: no
        normalisation (the stacked log fbank).
    **options
        The :class:`Kaldi` preset's (``window="hamming"`` and ``input_scale=PCM_SCALE`` by
        default).

    Notes
    -----
    The output is ``(..., n_mels * lfr_m, ceil(frames / lfr_n))``; the model takes ``.mT``.
    A batch gives each row the features of that row alone. It streams: each stacked row
    comes out once the frames it holds have arrived, and the rows that repeat the last
    frame at the flush (a CUDA-graph stream does not stack frames: push to the
    :class:`fastmel.MelStream`). FunASR's ``WavFrontend`` dithers unless
    its config sets ``dither: 0`` (its default is 1.0 on the 16-bit scale: random noise
    added to every frame); these are the features without dither. FunASR shortens the
    frame to an input shorter than 25 ms; here such an input raises ParameterError.
    """

    cmvn_shift: torch.Tensor | None
    cmvn_scale: torch.Tensor | None

    def __init__(self, *, window: str = "hamming", input_scale: float = PCM_SCALE, lfr_m: int = 7,
                 lfr_n: int = 6, cmvn: Any = None, **options: Any) -> None:  # fmt: skip
        if options.get("subtract_mean"):
            raise ParameterError("subtract_mean does not apply to funasr: its cmvn normalises")
        super().__init__(window=window, input_scale=input_scale, **options)
        self.lfr_m, self.lfr_n = check_size("lfr_m", lfr_m), check_size("lfr_n", lfr_n)
        vectors = cmvn_vectors(cmvn, self.mel.config.n_mels * self.lfr_m) or (None, None)
        for name, v in zip(("cmvn_shift", "cmvn_scale"), vectors, strict=True):
            column = None if v is None else torch.from_numpy(v).to(self.mel.dtype)[:, None]
            self.register_buffer(name, column, persistent=False)
        self.stacks = (self.lfr_m, self.lfr_n) != (1, 1)  # (else the CMVN is per frame)

    def frame_stacker(self) -> FrameStacker | None:
        return FrameStacker(self.lfr_m, self.lfr_n, self._normalised) if self.stacks else None

    def _normalised(self, L: torch.Tensor) -> torch.Tensor:
        """FunASR's ``apply_cmvn``: ``(L + shift) * scale``."""
        if self.cmvn_shift is None or self.cmvn_scale is None:
            return L
        return (L + self.cmvn_shift) * self.cmvn_scale

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = super().postprocess(M)
        return L if self.stacks else self._normalised(L)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        return self._normalised(low_frame_rate(L, self.lfr_m, self.lfr_n)) if self.stacks else L

    def extra_repr(self) -> str:
        cmvn = "cmvn=None" if self.cmvn_shift is None else "cmvn=(shift, scale)"
        return f"lfr_m={self.lfr_m}, lfr_n={self.lfr_n}, {cmvn}"


class AST(Kaldi):
    """The input of the Audio Spectrogram Transformer (``MIT/ast-finetuned-audioset-*``,
    the default model of transformers' audio-classification pipeline), as Hugging Face's
    ``ASTFeatureExtractor``
    (``transformers/models/audio_spectrogram_transformer/feature_extraction_audio_spectrogram_transformer.py``,
    after the AST authors' code) computes it from 16 kHz audio in [-1, 1], not rescaled:
    ``torchaudio.compliance.kaldi.fbank(waveform, sample_frequency=16000,
    window_type="hanning", num_mel_bins=128)`` (Kaldi's defaults otherwise: 400/160, DC
    removal and pre-emphasis 0.97 per frame, FFT 512, 20 Hz-Nyquist,
    ``log(max(x, FLT_EPSILON))``; its 4th bank holds no FFT bin and stays at the floor),
    zero frames appended or frames dropped to ``max_length``, then ``(x - mean) / (2 *
    std)`` with AudioSet's mean and std.

    Parameters
    ----------
    n_mels : int >= 3
        The extractor's ``num_mel_bins``.
    max_length : int >= 1 or None
        Frames of the output: the log fbank is zero-padded (before the normalisation) or
        truncated to it; None keeps every frame.
    normalize : bool
        Its ``do_normalize``.
    mean, std : float
        Its ``mean`` and ``std`` (AudioSet's: the fine-tuned checkpoints' configs; other
        data sets' checkpoints, e.g. Speech Commands', state their own).
    **options
        The :class:`Kaldi` preset's (``window="hanning"`` and ``allow_empty_banks=True`` by
        default).

    Notes
    -----
    The output is ``(..., n_mels, max_length)``: the model takes ``.mT`` (its
    ``input_values``, ``(batch, max_length, n_mels)``). A batch gives each row the
    features of that row alone; items of different lengths zero-padded to one length go
    with ``lengths`` (``forward(y, lengths=lengths)``): each item's frames past its own
    are then zeros before the normalisation, as the extractor pads each item.
    ``snip_edges`` is fixed. With ``max_length=None`` each frame is computed on its own and
    the preset streams.
    """

    #: AudioSet's mean and standard deviation of the log fbank (the extractor's defaults)
    AUDIOSET_MEAN, AUDIOSET_STD = -4.2677393, 4.5689974
    whole_input_statistic = "the padding or truncation to max_length frames (None streams)"

    def __init__(self, *, n_mels: int = 128, max_length: int | None = 1024,
                 normalize: bool = True, mean: float = AUDIOSET_MEAN, std: float = AUDIOSET_STD,
                 window: str = "hanning", allow_empty_banks: bool = True,
                 **options: Any) -> None:  # fmt: skip
        for name in ("subtract_mean", "snip_edges"):
            if name in options:
                raise ParameterError(f"{name} is fixed for AST's features")
        if not isinstance(normalize, (bool, np.bool_)):
            raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
        mean, std = check_real("mean", mean), check_real("std", std)
        if not (math.isfinite(mean) and 0 < std < math.inf):
            raise ParameterError(f"mean={mean!r} must be finite and std={std!r} positive")
        super().__init__(n_mels=n_mels, window=window, allow_empty_banks=allow_empty_banks,
                         **options)  # fmt: skip
        self.max_length = None if max_length is None else check_size("max_length", max_length)
        self.normalize, self.mean, self.std = bool(normalize), float(mean), float(std)
        self.causal = self.max_length is None

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = super().postprocess(M)
        return self._normalised(L) if self.max_length is None else L

    def _normalised(self, L: torch.Tensor) -> torch.Tensor:
        """The extractor's ``(x - mean) / (std * 2)``."""
        return (L - self.mean) / (self.std * 2) if self.normalize else L

    if TYPE_CHECKING:

        def __call__(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor: ...

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """AST's features of ``y`` ``(..., n)``, whose items are ``lengths`` samples long
        (``(...)``, each in ``[0, n]``, the rest zero padding; None: ``n``)."""
        L = super().forward(y)  # (normalised already without max_length: see postprocess)
        if lengths is not None:  # each item's log fbank, then zero frames, as the extractor's
            zero = torch.zeros((), dtype=L.dtype, device=L.device)
            zero = self._normalised(zero) if self.max_length is None else zero
            L = torch.where(self._own_frames(L, y, lengths)[0], L, zero)
        if self.max_length is None:
            return L
        extra = self.max_length - L.shape[-1]
        L = F.pad(L, (0, extra)) if extra > 0 else L[..., : self.max_length]
        return self._normalised(L)

    def extra_repr(self) -> str:
        return (f"max_length={self.max_length}, normalize={self.normalize}, "
                f"mean={self.mean:g}, std={self.std:g}")  # fmt: skip


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


def _centred(L: torch.Tensor, n: Any, valid: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """``L`` ``(..., n_mels, frames)`` less each band's mean over the ``n`` frames ``valid``
    marks (``(..., 1, frames)``; None: all), 0 elsewhere, and each band's variance over them
    with the ``n - 1`` denominator (0 for one frame, whose 0/0 would be NaN). The mean is
    summed in float64, so that a band of equal values (digital silence) has exactly that
    mean and centres to 0 as in exact arithmetic: a float32 sum's rounding, divided by a
    normalisation's small variance floor, would leave up to ~0.3 (NeMo's own float32 steps
    do)."""
    kept = L if valid is None else torch.where(valid, L, 0.0)
    mean = (kept.sum(dim=-1, keepdim=True, dtype=torch.float64) / n).to(L.dtype)
    centred = L - mean if valid is None else torch.where(valid, L - mean, 0.0)
    var = centred.square().sum(dim=-1, keepdim=True) / (n - 1)
    if isinstance(n, int):  # one count, known here: no NaN check on the hot path
        return centred, var if n > 1 else torch.zeros_like(var)
    return centred, torch.where(var.isnan(), 0.0, var)


def _per_feature(L: torch.Tensor, n: Any, valid: torch.Tensor | None = None) -> torch.Tensor:
    """NeMo's per-feature normalisation (see :func:`_centred`): ``(x - mean) / (std +
    1e-5)``, std with ``n - 1`` (one valid frame: NeMo's 0/0 std becomes 0)."""
    centred, var = _centred(L, n, valid)
    return centred / (var.sqrt() + NEMO_STD_FLOOR)


def _checked_lengths(lengths: Any, y: torch.Tensor) -> torch.Tensor:
    """``lengths`` (each item's length in samples) as an integer tensor of ``y``'s leading
    shape on its device; its values are checked where that needs no device synchronisation
    (a CPU tensor)."""
    if not isinstance(lengths, torch.Tensor):
        try:
            lengths = torch.as_tensor(lengths)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"lengths must be a tensor or a sequence of ints, got {type(lengths).__name__}"
            ) from None
    dtype = lengths.dtype  # (its attributes, which torch 2.1's dynamo traces)
    if dtype.is_floating_point or dtype.is_complex or dtype == torch.bool:
        raise TypeError(f"lengths must hold integers, got dtype {dtype}")
    if lengths.shape != y.shape[:-1]:
        raise ParameterError(
            f"lengths has shape {tuple(lengths.shape)}; it must be y's leading shape "
            f"{tuple(y.shape[:-1])} (one length per item)"
        )
    if lengths.device.type == "cpu" and lengths.numel() and not is_compiling():
        low, high = int(lengths.min()), int(lengths.max())
        if low < 0 or high > y.shape[-1]:
            raise ParameterError(
                f"lengths must lie in [0, {y.shape[-1]}] (the padded length), got "
                f"values from {low} to {high}"
            )
    return lengths.to(y.device)


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
        for name in ("center", "pad_mode"):
            if name in mel_overrides:
                raise ParameterError(f"{name} is fixed for NeMo (centred, zero padding)")
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
            lengths = _checked_lengths(lengths, y)
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


#: The constant SeamlessM4T adds to each band's variance before its square root.
SEAMLESS_VAR_FLOOR = 1e-7


class SeamlessM4T(Kaldi):
    """The speech input of SeamlessM4T (v1, v2) and of w2v-BERT 2.0
    (``facebook/w2v-bert-2.0`` and the speech recognisers fine-tuned from it), as Hugging
    Face's ``SeamlessM4TFeatureExtractor``
    (``transformers/models/seamless_m4t/feature_extraction_seamless_m4t.py``) computes it
    from 16 kHz audio in [-1, 1]: the audio times ``1 << 15``, Kaldi's fbank (80 banks,
    400/160-sample frames, Povey window, DC removal and pre-emphasis 0.97 per frame, FFT
    512, 20 Hz-Nyquist, ``log(max(x, FLT_EPSILON))``), each band normalised over the frames
    as ``(x - mean) / sqrt(var + 1e-7)`` (variance with ``n - 1``), a zero frame after an
    odd count, then each two consecutive frames stacked into one row: ``(..., 160,
    ceil(frames / 2))``.

    Parameters
    ----------
    n_mels : int >= 3
        The extractor's ``num_mel_bins``.
    normalize : bool
        Its ``do_normalize_per_mel_bins``.
    **options
        The :class:`Kaldi` preset's (``sr`` is its ``sampling_rate``; the frames stay
        400/160 samples at any rate, as in the extractor). ``snip_edges`` is fixed.

    Notes
    -----
    Feature ``j * n_mels + f`` of row r is band f of frame ``2 r + j``, as the extractor's
    ``(frames, n_mels)`` reshaped to ``(frames / 2, 2 * n_mels)``: the model takes ``.mT``.
    (The extractor's ``stride`` other than 2 is not offered: its rows then also depend on
    its ``pad_to_multiple_of``.) Items of different lengths go in one batch as the
    extractor batches them: zero-padded to one length ``n``, with ``lengths`` giving each
    item's own (``forward(y, lengths=lengths)``): each item is normalised over its own
    frames, and its frames past them are 0. :meth:`feature_lengths` counts each item's rows that the
    extractor's ``attention_mask`` marks valid (a row completed by padding is not): the
    mask is ``arange(rows) < feature_lengths(lengths)``. An item of one frame normalises to
    0 (the extractor divides 0 by a NaN variance there). It does not stream: the
    normalisation needs the whole input.
    """

    whole_input_statistic = "each band's mean and variance over all frames (normalize)"

    #: frames stacked per row (the extractor's ``stride``)
    STRIDE = 2

    def __init__(self, *, normalize: bool = True, win_length: int = 400,
                 hop_length: int = 160, input_scale: float = PCM_SCALE,
                 **options: Any) -> None:  # fmt: skip
        for name in ("subtract_mean", "snip_edges"):
            if name in options:
                raise ParameterError(f"{name} is fixed for SeamlessM4T's features")
        if not isinstance(normalize, (bool, np.bool_)):
            raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
        super().__init__(win_length=win_length, hop_length=hop_length, input_scale=input_scale,
                         **options)  # fmt: skip
        self.normalize = bool(normalize)
        self.causal = False

    if TYPE_CHECKING:

        def __call__(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor: ...

    def feature_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """The rows of items of ``lengths`` samples that hold only their own frames (the
        extractor's ``attention_mask.sum(-1)``): ``frames // 2``, with ``frames = 1 +
        (lengths - 400) // 160`` (0 below 400 samples)."""
        return self._snipped_frames(lengths) // self.STRIDE

    def forward(self, y: torch.Tensor, lengths: Any = None) -> torch.Tensor:
        """SeamlessM4T's features of ``y``.

        Parameters
        ----------
        y : torch.Tensor [shape=(..., n)]
            Audio in [-1, 1], real floating point, at least one frame (400 samples) long.
        lengths : torch.Tensor or sequence of int [shape=(...)], optional
            Each item's length in samples, ``0 <= lengths <= n``, for items zero-padded to
            ``n``; None: every item is ``n`` samples long.

        Returns
        -------
        M : torch.Tensor [shape=(..., 2 * n_mels, ceil(frames / 2))]
            ``frames = 1 + (n - 400) // 160``; each item's frames past its own are 0.
        """
        L = super().forward(y)
        valid: torch.Tensor | None
        n: Any
        valid, n = None, L.shape[-1]  # (n: an int, or a tensor of counts)
        if lengths is not None:
            valid, count = self._own_frames(L, y, lengths)
            n = count.to(L.dtype)
        if self.normalize:
            centred, var = _centred(L, n, valid)
            L = centred / torch.sqrt(var + SEAMLESS_VAR_FLOOR)
        if valid is not None:
            L = torch.where(valid, L, 0.0)
        if L.shape[-1] % self.STRIDE:  # (the extractor pads with 0.0)
            L = F.pad(L, (0, self.STRIDE - L.shape[-1] % self.STRIDE))
        return stack_frames(L, self.STRIDE, self.STRIDE)

    def extra_repr(self) -> str:
        return f"normalize={self.normalize}"


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
}


@overload
def preset(name: Literal["nemo"], **overrides: Any) -> NeMo: ...  # (its call takes lengths)
@overload
def preset(name: Literal["seamless"], **overrides: Any) -> SeamlessM4T: ...  # (so does its)
@overload
def preset(name: Literal["ast"], **overrides: Any) -> AST: ...  # (and AST's)
@overload
def preset(name: str, **overrides: Any) -> FrontEnd: ...
def preset(name: str, **overrides: Any) -> FrontEnd:
    """The named model front end as a torch module.

    Parameters
    ----------
    name : str
        One of ``PRESETS``: "whisper", "wav2lip", "hifigan", "bigvgan", "cosyvoice", "vocos",
        "f5tts", "styletts2", "kaldi", "campplus", "wespeaker", "funasr", "speechbrain",
        "nemo", "seamless", "ast".
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
