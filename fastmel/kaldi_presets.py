"""Model front ends built on Kaldi's filterbank (:class:`fastmel.kaldi.KaldiSpectrogram`):
Kaldi's ``compute-fbank-feats`` itself and the speech and speaker models that feed it their
audio (CAM++, WeSpeaker, FunASR's SenseVoice and Paraformer, SeamlessM4T and w2v-BERT 2.0,
the Audio Spectrogram Transformer), each with its own scaling, normalisation or stacking.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from .errors import ParameterError, check_real, check_size
from .frontend import (
    FLT_EPSILON,
    PCM_SCALE,
    FrontEnd,
    centred_bands,
    checked_lengths,
    keep_log_bands,
    log_bands_repr,
    normalised_bands,
    refuse_fixed,
)
from .funasr import FrameStacker, cmvn_vectors, low_frame_rate, stack_frames
from .kaldi import KaldiSpectrogram, _kaldi_fmax

__all__ = ["AST", "CAMPPlus", "FunASR", "Gemma3n", "Kaldi", "SeamlessM4T", "WeSpeaker",
           "gemma3n_mel_filters"]  # fmt: skip


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
    #: what computes the filterbank energies
    SPECTROGRAM: type[KaldiSpectrogram] = KaldiSpectrogram

    def __init__(self, *, sr: float = 16000, n_mels: int = 80, subtract_mean: bool = False,
                 **options: Any) -> None:  # fmt: skip
        torch.nn.Module.__init__(self)
        if not isinstance(subtract_mean, (bool, np.bool_)):
            raise TypeError(f"subtract_mean must be a bool, got {type(subtract_mean).__name__}")
        self.mel = self.SPECTROGRAM(sr=sr, n_mels=n_mels, **options)
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
        count = self._snipped_frames(checked_lengths(lengths, y))[..., None, None]
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
        refuse_fixed(options, ("subtract_mean", "snip_edges"), "AST's features")
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
        """The extractor's ``(x - mean) / (std * 2)``, in place: every caller passes a
        tensor of its own (up to 1024 x 128 values, whose copies cost more than the
        arithmetic)."""
        return L.sub_(self.mean).div_(self.std * 2) if self.normalize else L

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
        refuse_fixed(options, ("subtract_mean", "snip_edges"), "SeamlessM4T's features")
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
            centred, var = centred_bands(L, n, valid)
            L = centred / torch.sqrt(var + SEAMLESS_VAR_FLOOR)
        if valid is not None:
            L = torch.where(valid, L, 0.0)
        if L.shape[-1] % self.STRIDE:  # (the extractor pads with 0.0)
            L = F.pad(L, (0, self.STRIDE - L.shape[-1] % self.STRIDE))
        return stack_frames(L, self.STRIDE, self.STRIDE)

    def extra_repr(self) -> str:
        return f"normalize={self.normalize}"


def gemma3n_mel_filters(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 125.0,
                        fmax: float = 7600.0) -> np.ndarray:  # fmt: skip
    """Gemma 3n's mel filterbank, as its feature extractor builds it: ``n_mels + 2`` points
    evenly spaced on the HTK mel scale (``2595 log10(1 + f / 700)``), filter i the triangle
    in Hz from point i to point i + 2 peaking (at 1) at point i + 1, unnormalised, evaluated
    at the FFT bins' frequencies computed in float32 (``float32(k) * (sr / n_fft)``); the
    rest in float64.

    Returns
    -------
    M : np.ndarray [shape=(n_mels, 1 + n_fft // 2)], float64
    """
    n_fft, n_mels = check_size("n_fft", n_fft), check_size("n_mels", n_mels)
    fmax = _kaldi_fmax(sr, fmin, fmax)  # (checks sr, fmin and fmax)
    bins = np.arange(n_fft // 2 + 1, dtype=np.float32) * np.float32(sr / n_fft)
    points = 2595.0 * np.log10(1.0 + np.array([fmin, fmax]) / 700.0)
    hz = 700.0 * (10.0 ** (np.linspace(points[0], points[1], n_mels + 2) / 2595.0) - 1.0)
    rising = (bins[None, :] - hz[:-2, None]) / (hz[1:-1] - hz[:-2])[:, None]
    falling = (hz[2:, None] - bins[None, :]) / (hz[2:] - hz[1:-1])[:, None]
    return np.maximum(0.0, np.minimum(rising, falling))


class Gemma3nSpectrogram(KaldiSpectrogram):
    """Gemma 3n's frames as a :class:`KaldiSpectrogram`: 512-sample frames every 160 (snip
    edges), each pre-emphasised on its own as Kaldi does, a periodic Hann window computed in
    float32 as its extractor computes it, an FFT of 1024, magnitude, its own bank
    (:func:`gemma3n_mel_filters`)."""

    def __init__(self, *, sr: float, n_mels: int = 128, fmin: float = 125.0,
                 fmax: float = 7600.0, preemphasis: float = 0.97,
                 dtype: Any = np.float32) -> None:  # fmt: skip
        # (its frame_length_ms 32 and hop_length_ms 10, rounded; its "FFT overdrive" doubles
        # the power of two)
        win, hop = round(sr * 0.032), round(sr * 0.01)
        super().__init__(sr=sr, win_length=win, hop_length=hop, window="hann",
                         preemphasis=preemphasis, remove_dc_offset=False,
                         fft_size=2 * (1 << (win - 1).bit_length()), power=1.0, n_mels=n_mels,
                         fmin=fmin, fmax=fmax, dtype=dtype)  # fmt: skip

    def _window64(self) -> np.ndarray:
        n = self.config.win_length  # (float32 throughout, as its extractor: then widened)
        i = np.arange(n, dtype=np.float32)
        window = np.float32(0.5) * (np.float32(1.0) - np.cos(np.float32(2 * np.pi) * i / n))
        return window.astype(np.float32).astype(np.float64)

    def _basis(self, dtype: Any) -> np.ndarray:
        c = self.config
        return gemma3n_mel_filters(sr=c.sr, n_fft=self.fft_size, n_mels=c.n_mels, fmin=c.fmin,
                                   fmax=c.fmax).astype(dtype)  # fmt: skip


class Gemma3n(Kaldi):
    """Gemma 3n's audio input (its USM-based audio encoder), as transformers'
    ``Gemma3nAudioFeatureExtractor``
    (``transformers/models/gemma3n/feature_extraction_gemma3n.py``) computes it from 16 kHz
    audio: 32 ms frames (512 samples) every 10 ms from sample 0, each pre-emphasised on its
    own (``x[0] (1 - 0.97)``, then ``x[i] - 0.97 x[i - 1]``: its "HTK flavour"), a periodic
    Hann window, FFT 1024, magnitude, 128 HTK-scale triangles from 125 to 7600 Hz
    (:func:`gemma3n_mel_filters`), ``log(max(x, 1e-5))``, then optionally ``(x - mean) /
    std`` per band. It frames 513 samples and uses 512: ``(n - 513) // 160 + 1`` frames.

    Parameters
    ----------
    n_mels : int
        The extractor's ``feature_size``.
    fmin, fmax : float
        Its ``min_frequency`` and ``max_frequency``.
    mel_floor : float > 0
        The log's floor.
    per_bin_mean, per_bin_stddev : sequence of n_mels floats, or None
        Its per-band normalisation (None: none, its default).
    sr : float
        Its ``sampling_rate``; the frame sizes follow as in the extractor.

    Notes
    -----
    The extractor pads audio to a multiple of 128 samples (zeros) and computes the frames
    over the padding too; its ``input_features_mask`` is ``arange(frames) * 160 < length``.
    Pad ``y`` the same way for its frame count. The output is ``(..., n_mels, frames)``: the
    model takes ``.mT``. It does not stream: the frame count depends on the last sample.
    Its non-HTK pre-emphasis (``preemphasis_htk_flavor=False``) is not offered.
    """

    SPECTROGRAM = Gemma3nSpectrogram
    whole_input_statistic = "its frame count (the extractor reads one sample past each frame)"

    mel_floor: float
    per_bin_mean: torch.Tensor | None
    per_bin_stddev: torch.Tensor | None

    def __init__(self, *, sr: float = 16000, n_mels: int = 128, fmin: float = 125.0,
                 fmax: float = 7600.0, mel_floor: float = 1e-5, per_bin_mean: Any = None,
                 per_bin_stddev: Any = None, dtype: Any = np.float32) -> None:  # fmt: skip
        super().__init__(sr=sr, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=dtype)
        self.causal = False
        self.mel_floor = keep_log_bands(self, mel_floor, per_bin_mean, per_bin_stddev)

    def postprocess(self, M: torch.Tensor) -> torch.Tensor:
        L = torch.log(torch.clamp(M, min=self.mel_floor))
        return normalised_bands(L, self.per_bin_mean, self.per_bin_stddev)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        L = super().forward(y)
        c = self.mel.config  # (Kaldi's snip-edges frames, less one where the extractor's
        # 513th sample is missing)
        return L[..., : (y.shape[-1] - c.win_length - 1) // c.hop_length + 1]

    def extra_repr(self) -> str:
        return log_bands_repr(self)
