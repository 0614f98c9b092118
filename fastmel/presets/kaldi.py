"""Kaldi's fbank (``compute-fbank-feats``) and the speaker models fed with it: CAM++
(CosyVoice) and WeSpeaker (pyannote).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import check_bool
from fastmel.feature.frontend import Blocks, CausalPart, FrontEnd, WholeInput, band_sums
from fastmel.feature.kaldi import KaldiSpectrogram
from fastmel.presets.common import (
    FLT_EPSILON,
    PCM_SCALE,
    checked_lengths,
)
from fastmel.presets.spec import PresetSpec, Tolerance

__all__ = ["CAMPPlus", "Kaldi", "MeanWhole", "WeSpeaker"]


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
    #: what builds the module computing the filterbank energies
    SPECTROGRAM: Callable[..., KaldiSpectrogram] = KaldiSpectrogram

    def __init__(
        self, *, sr: float = 16000, n_mels: int = 80, subtract_mean: bool = False, **options: Any
    ) -> None:
        torch.nn.Module.__init__(self)
        check_bool("subtract_mean", subtract_mean)
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

    def whole_input(self) -> WholeInput | None:
        return MeanWhole(CausalPart(self.mel, self.postprocess)) if self.subtract_mean else None

    def _snipped_frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """The frames of items of ``lengths`` samples with ``snip_edges``: ``1 + (lengths -
        win_length) // hop_length``, at least 0."""
        c = self.mel.config
        return (torch.div(lengths - c.n_fft, c.hop_length, rounding_mode="floor") + 1).clamp_min(0)

    def _own_frames(
        self, L: torch.Tensor, y: torch.Tensor, lengths: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """For features ``L`` of a batch ``y`` of items zero-padded from ``lengths`` samples
        (``snip_edges``): which frames each item makes on its own, ``(..., 1, frames)``,
        and how many, ``(..., 1, 1)``. Those frames read only the item's samples."""
        count = self._snipped_frames(checked_lengths(lengths, y))[..., None, None]
        return torch.arange(L.shape[-1], device=L.device) < count, count


class MeanWhole(WholeInput):
    """The frames stored; each band's mean over all of them, subtracted."""

    def statistics(self, blocks: Blocks, columns: int, samples: int) -> None:
        super().statistics(blocks, columns, samples)
        total = band_sums(blocks, columns)
        self.mean = (
            None if total is None else torch.from_numpy((total / columns).astype(np.float32))
        )

    def finish(self, start: int, block: torch.Tensor) -> torch.Tensor:
        return block - self.mean if self.mean is not None else block


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

    def __init__(
        self, *, window: str = "hamming", input_scale: float = PCM_SCALE, **options: Any
    ) -> None:
        super().__init__(window=window, input_scale=input_scale, **options)


# float32 against kaldi-native-fbank or torchaudio's fbank steps on signals whose bands all
# hold a fair share of the energy (both round in float32, with different FFTs); float64
# against Kaldi's steps computed in float64.
KALDI_TOLERANCE = Tolerance(float32=1e-3, float64=1e-7)

SPECS = (
    PresetSpec(
        "kaldi",
        Kaldi,
        model="Kaldi, compute-fbank-feats (kaldi-native-fbank's OnlineFbank)",
        reference="kaldi_features",
        tolerance=KALDI_TOLERANCE,
        reference64="kaldi_features64",
    ),
    PresetSpec(
        "campplus",
        CAMPPlus,
        model="CosyVoice, cosyvoice/cli/frontend.py: _extract_spk_embedding (torchaudio's fbank)",
        reference="campplus_batch",
        tolerance=KALDI_TOLERANCE,
        reference64="campplus_features64",
    ),
    PresetSpec(
        "wespeaker",
        WeSpeaker,
        model="pyannote.audio, WeSpeakerResNet34.compute_fbank (torchaudio's fbank)",
        reference="wespeaker_batch",
        tolerance=KALDI_TOLERANCE,
        reference64="wespeaker_features64",
    ),
)
