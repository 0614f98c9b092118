"""Reference front ends written from each model's published code semantics (not from fastmel).

Each function follows the cited source step by step, in the library the model used
(NumPy/scipy/librosa for Wav2Lip, torch for Whisper, HiFi-GAN, BigVGAN, Vocos and NeMo). The
constants (mel banks, windows) are built once per setting, as each model's code caches them,
so that ``bench/frontends.py`` times these functions as the models run them.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Literal

import librosa
import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F


@functools.cache
def mel_basis(
    sr: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    dtype: type = np.float32,
) -> torch.Tensor:
    """librosa's mel bank as the models build it (float32), once per setting."""
    return torch.from_numpy(
        librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=dtype)
    )


hann_window = functools.cache(torch.hann_window)


def whisper_log_mel(audio: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """openai-whisper ``whisper/audio.py::log_mel_spectrogram`` (its filters are librosa's)."""
    window = torch.hann_window(400)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    filters = mel_basis(16000, 400, n_mels)
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def wav2lip_mel(
    wav: np.ndarray, pad_mode: Literal["constant", "reflect"] = "constant"
) -> np.ndarray:
    """Wav2Lip ``audio.py::melspectrogram`` with ``hparams.py`` (float64, as NumPy computes)."""
    y = scipy.signal.lfilter([1, -0.97], [1], wav)  # preemphasis
    D = librosa.stft(y=y, n_fft=800, hop_length=200, win_length=800, pad_mode=pad_mode)
    basis = mel_basis(16000, 800, 80, 55, 7600).numpy()
    min_level = np.exp(-100 / 20 * np.log(10))
    S = 20 * np.log10(np.maximum(min_level, np.dot(basis, np.abs(D)))) - 20
    min_level_db, max_abs_value = -100, 4  # symmetric_mels, allow_clipping_in_normalization
    return np.clip(
        (2 * max_abs_value) * ((S - min_level_db) / (-min_level_db)) - max_abs_value,
        -max_abs_value,
        max_abs_value,
    )


def hifigan_mel(
    y: torch.Tensor,
    n_fft: int,
    num_mels: int,
    sampling_rate: int,
    hop_size: int,
    win_size: int,
    fmin: float,
    fmax: float | None,
) -> torch.Tensor:
    """HiFi-GAN / BigVGAN ``meldataset.py::mel_spectrogram`` (center=False)."""
    mel = mel_basis(sampling_rate, n_fft, num_mels, fmin, fmax)
    pad = int((n_fft - hop_size) / 2)
    y = F.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(
        y,
        n_fft,
        hop_length=hop_size,
        win_length=win_size,
        window=hann_window(win_size),
        center=False,
        pad_mode="reflect",
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    spec = torch.view_as_real(spec)
    spec = torch.sqrt(spec.pow(2).sum(-1) + 1e-9)
    spec = torch.matmul(mel.to(spec.dtype), spec)
    return torch.log(torch.clamp(spec, min=1e-5) * 1)


@functools.cache
def torchaudio_fbank(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int):
    """``torchaudio.functional.melscale_fbanks`` (HTK scale, no norm), float32 torch ops.

    Follows torchaudio's steps: bin frequencies ``linspace(0, sr // 2, n_freqs)``, mel points
    ``linspace`` between the HTK mels of f_min and f_max (Python floats), back to Hz, then
    triangles from the slopes. Returns ``(n_freqs, n_mels)`` as NumPy float32.
    """
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_min = 2595.0 * math.log10(1.0 + (f_min / 700.0))
    m_max = 2595.0 * math.log10(1.0 + (f_max / 700.0))
    m_pts = torch.linspace(m_min, m_max, n_mels + 2)
    f_pts = 700.0 * (10.0 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    return torch.max(torch.zeros(1), torch.min(down_slopes, up_slopes)).numpy()


def vocos_mel(audio: torch.Tensor, floor: float = 1e-7) -> torch.Tensor:
    """Vocos ``feature_extractors.py::MelSpectrogramFeatures`` (padding="center").

    torchaudio's MelSpectrogram(24000, n_fft=1024, hop_length=256, n_mels=100, center=True,
    power=1): reflect-padded STFT with a periodic Hann window, |X|, torchaudio's bank; then
    ``log(clip(x, 1e-7))``. F5-TTS' ``get_vocos_mel_spectrogram`` is the same torchaudio
    transform, then ``log(clamp(x, 1e-5))``: ``floor=1e-5``.
    """
    spec = torch.stft(
        audio,
        1024,
        256,
        window=hann_window(1024),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()
    fb = torch.from_numpy(torchaudio_fbank(513, 0.0, 12000.0, 100, 24000))
    mel = torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)
    return torch.log(torch.clip(mel, min=floor))


def styletts2_mel(audio: torch.Tensor) -> torch.Tensor:
    """StyleTTS 2 ``meldataset.py::preprocess`` on 24 kHz audio.

    torchaudio's MelSpectrogram(n_mels=80, n_fft=2048, win_length=1200, hop_length=300), its
    other arguments at their defaults (sample_rate 16000, f_max = 16000 // 2, power 2,
    centred reflect padding, ``hann_window(1200)``, HTK bank without norm): ``|stft|^2``, its
    bank for 1025 bins; then ``(log(1e-5 + x) - mean) / std`` with mean -4, std 4.
    """
    spec = (
        torch.stft(
            audio,
            2048,
            300,
            win_length=1200,
            window=hann_window(1200),
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        .abs()
        .pow(2.0)
    )
    fb = torch.from_numpy(torchaudio_fbank(1025, 0.0, float(16000 // 2), 80, 16000))
    mel = torch.matmul(spec.transpose(-1, -2), fb.to(spec.dtype)).transpose(-1, -2)
    return (torch.log(1e-5 + mel) - (-4)) / 4


@functools.cache
def _nemo_window(window: str, length: int) -> torch.Tensor | None:
    """NeMo's window buffer: torch's symmetric window of that name (None: "none", which
    torch.stft takes as ones), built once as NeMo registers it."""
    make = {
        "hann": torch.hann_window,
        "hamming": torch.hamming_window,
        "blackman": torch.blackman_window,
        "bartlett": torch.bartlett_window,
    }.get(window)
    return make(length, periodic=False) if make else None


def nemo_features(
    audio: torch.Tensor,
    lengths: torch.Tensor | None = None,
    n_mels: int = 128,
    normalize: str | None = "per_feature",
    pad_to: int = 0,
    window: str = "hann",
    sr: int = 16000,
) -> torch.Tensor:
    """NeMo ``FilterbankFeatures.forward`` (``preprocessing/features.py``) in eval mode, as
    ``AudioToMelSpectrogramPreprocessor`` configures it (25 ms windows, 10 ms hops), on items
    ``(..., n)`` zero-padded from their ``lengths`` ``(...)`` (None: all ``n`` long).

    Follows its steps: the lengths ``seq_len`` (0 for empty items), pre-emphasis keeping the
    first sample and zeroing the samples past each length, a
    centred zero-padded ``torch.stft`` with its float32 symmetric window, the magnitude
    ``sqrt(re^2 + im^2)`` raised to ``mag_power`` 2, librosa's Slaney bank (float32, or
    float64 for float64 audio), ``log(x + 2**-24)``, the masked per-feature mean and
    n-1 std over the valid frames, frames past ``seq_len`` set to 0, then ``pad_to``.
    """
    win, hop = int(0.025 * sr), int(0.01 * sr)
    n_fft = 2 ** math.ceil(math.log2(win))
    lead, x = audio.shape[:-1], audio.reshape(-1, audio.shape[-1])
    if lengths is None:
        seq_len_time = torch.full((x.shape[0],), x.shape[1])
    else:
        seq_len_time = lengths.reshape(-1)
    seq_len = torch.floor_divide(seq_len_time + n_fft // 2 * 2 - n_fft, hop)
    seq_len = torch.where(seq_len_time == 0, torch.zeros_like(seq_len), seq_len)
    timemask = torch.arange(x.shape[1]).unsqueeze(0) < seq_len_time.unsqueeze(1)
    x = torch.cat((x[:, :1], x[:, 1:] - 0.97 * x[:, :-1]), dim=1)
    x = x.masked_fill(~timemask, 0.0)
    weights = _nemo_window(window, win)
    spec = torch.stft(
        x,
        n_fft,
        hop_length=hop,
        win_length=win,
        window=None if weights is None else weights.to(x.dtype),
        center=True,
        pad_mode="constant",
        return_complex=True,
    )
    spec = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1)).pow(2.0)
    dtype = np.float64 if x.dtype == torch.float64 else np.float32
    fb = mel_basis(sr, n_fft, n_mels, 0.0, sr / 2, dtype)
    feats = torch.log(torch.matmul(fb, spec) + 2**-24)
    frames = feats.shape[-1]
    valid = torch.arange(frames).expand(x.shape[0], frames) < seq_len.unsqueeze(1)
    if normalize == "per_feature":
        count = valid.sum(dim=1).unsqueeze(1)
        mean = torch.where(valid.unsqueeze(1), feats, 0.0).sum(dim=2) / count
        centred = torch.where(valid.unsqueeze(1), feats - mean.unsqueeze(2), 0.0)
        std = torch.sqrt(centred.pow(2).sum(dim=2) / (count - 1.0))
        std = std.masked_fill(std.isnan(), 0.0) + 1e-5
        feats = (feats - mean.unsqueeze(2)) / std.unsqueeze(2)
    feats = feats.masked_fill(~valid.unsqueeze(1), 0.0)
    if pad_to and frames % pad_to:
        feats = F.pad(feats, (0, pad_to - frames % pad_to), value=0.0)
    return feats.reshape(lead + feats.shape[1:])


def wav2lip_windows(mel: np.ndarray, fps: float) -> list[np.ndarray]:
    """Wav2Lip ``inference.py``: one 16-frame mel window per video frame."""
    mel_chunks, mel_idx_multiplier, i = [], 80.0 / fps, 0
    while 1:
        start_idx = int(i * mel_idx_multiplier)
        if start_idx + 16 > len(mel[0]):
            mel_chunks.append(mel[:, len(mel[0]) - 16 :])
            break
        mel_chunks.append(mel[:, start_idx : start_idx + 16])
        i += 1
    return mel_chunks


def kaldi_fbank(
    wave: np.ndarray,
    sr: float = 16000,
    n_mels: int = 80,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    frame_length: int = 400,
    frame_shift: int = 160,
    window_type: str = "povey",
    preemph_coeff: float = 0.97,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    snip_edges: bool = True,
    use_power: bool = True,
) -> np.ndarray:
    """Kaldi ``feat/feature-fbank.cc`` (``compute-fbank-feats``, dither 0), in float64.

    Follows ``feature-window.cc`` (``FirstSampleOfFrame``, ``NumFrames``, ``ExtractWindow``
    with its reflection loop, ``ProcessWindow``), ``mel-computations.cc`` (``MelBanks``) and
    ``FbankComputer::Compute`` frame by frame. Returns ``(n_mels, frames)``.
    """
    n = len(wave)
    if snip_edges:
        num_frames = 0 if n < frame_length else 1 + (n - frame_length) // frame_shift
    else:
        num_frames = (n + frame_shift // 2) // frame_shift
    padded = frame_length
    if round_to_power_of_two:
        padded = 1
        while padded < frame_length:
            padded *= 2
    a = 2 * math.pi / (frame_length - 1)
    window = []
    for i in range(frame_length):
        if window_type == "hanning":
            window.append(0.5 - 0.5 * math.cos(a * i))
        elif window_type == "hann":  # kaldi-native-fbank's periodic Hann
            window.append(0.5 - 0.5 * math.cos(2 * math.pi / frame_length * i))
        elif window_type == "sine":
            window.append(math.sin(0.5 * a * i))
        elif window_type == "hamming":
            window.append(0.54 - 0.46 * math.cos(a * i))
        elif window_type == "povey":
            window.append((0.5 - 0.5 * math.cos(a * i)) ** 0.85)
        elif window_type == "rectangular":
            window.append(1.0)
        elif window_type == "blackman":
            c = float(np.float32(0.42))  # (blackman_coeff is a float option)
            window.append(c - 0.5 * math.cos(a * i) + (0.5 - c) * math.cos(2 * a * i))

    # MelBanks: triangles in the mel domain over the bins below Nyquist.
    def mel_scale(f: float) -> float:
        return 1127.0 * math.log(1.0 + f / 700.0)

    nyquist = 0.5 * sr
    high = high_freq if high_freq > 0 else nyquist + high_freq
    mel_low, mel_high = mel_scale(low_freq), mel_scale(high)
    delta = (mel_high - mel_low) / (n_mels + 1)
    banks = np.zeros((n_mels, padded // 2 + 1))
    for b in range(n_mels):
        left, center, right = (
            mel_low + b * delta,
            mel_low + (b + 1) * delta,
            mel_low + (b + 2) * delta,
        )
        for i in range(padded // 2):
            m = mel_scale(sr / padded * i)
            if left < m < right:
                banks[b, i] = (
                    (m - left) / (center - left) if m <= center else (right - m) / (right - center)
                )

    out = np.zeros((n_mels, num_frames))
    for f in range(num_frames):
        if snip_edges:
            start = f * frame_shift
        else:
            start = frame_shift * f + frame_shift // 2 - frame_length // 2
        if 0 <= start and start + frame_length <= n:
            frame = np.array(wave[start : start + frame_length], dtype=np.float64)
        else:
            frame = np.zeros(frame_length)
            for s in range(frame_length):
                j = start + s
                while j < 0 or j >= n:  # reflect around the edges, as often as needed
                    j = -j - 1 if j < 0 else 2 * n - 1 - j
                frame[s] = wave[j]
        if remove_dc_offset:
            frame -= frame.sum() / frame_length
        if preemph_coeff:
            frame[1:] -= preemph_coeff * frame[:-1].copy()
            frame[0] -= preemph_coeff * frame[0]
        frame *= np.asarray(window)
        spectrum = np.fft.rfft(frame, n=padded)
        power = spectrum.real**2 + spectrum.imag**2
        if not use_power:
            power = np.sqrt(power)
        energies = banks @ power
        out[:, f] = np.log(np.maximum(energies, np.finfo(np.float32).eps))
    return out


def knf_fbank(
    wave: np.ndarray,
    sr: float = 16000,
    n_mels: int = 80,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    frame_length: int = 400,
    frame_shift: int = 160,
    window_type: str = "povey",
    preemph_coeff: float = 0.97,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    snip_edges: bool = True,
    use_power: bool = True,
    chunks: list[int] | None = None,
) -> tuple[np.ndarray, list[int]]:
    """kaldi-native-fbank's ``OnlineFbank`` (dither 0), fed ``chunks`` (sizes; None: all at
    once). Returns its frames ``(n_mels, frames)`` and the frames ready after each chunk."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    fo = opts.frame_opts
    fo.dither, fo.samp_freq, fo.window_type = 0.0, sr, window_type
    # (milliseconds that its int(sr * 0.001 * ms) truncates to the sizes asked for)
    fo.frame_length_ms = (frame_length + 0.5) * 1000 / sr
    fo.frame_shift_ms = (frame_shift + 0.5) * 1000 / sr
    fo.preemph_coeff, fo.remove_dc_offset = preemph_coeff, remove_dc_offset
    fo.round_to_power_of_two, fo.snip_edges = round_to_power_of_two, snip_edges
    opts.mel_opts.num_bins, opts.mel_opts.low_freq = n_mels, low_freq
    opts.mel_opts.high_freq, opts.use_power = high_freq, use_power
    assert len(knf.FeatureWindowFunction(fo).window) == frame_length
    fbank = knf.OnlineFbank(opts)
    ready, pos = [], 0
    for size in chunks or [len(wave)]:
        fbank.accept_waveform(sr, wave[pos : pos + size])
        pos += size
        ready.append(fbank.num_frames_ready)
    fbank.input_finished()
    frames = [fbank.get_frame(i) for i in range(fbank.num_frames_ready)]
    out = np.stack(frames, axis=1) if frames else np.zeros((n_mels, 0), np.float32)
    return out, ready


@functools.cache
def _compliance_banks(
    num_bins: int, padded: int, sr: float, low_freq: float, high_freq: float
) -> torch.Tensor:
    """``torchaudio.compliance.kaldi.get_mel_banks`` without VTLN: torch's default dtype
    (float32) arithmetic on Python-float mel edges; ``(num_bins, padded // 2 + 1)``, the
    Nyquist column zero."""
    nyquist = 0.5 * sr
    if high_freq <= 0.0:
        high_freq += nyquist
    mel_low = 1127.0 * math.log(1.0 + low_freq / 700.0)
    mel_high = 1127.0 * math.log(1.0 + high_freq / 700.0)
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = torch.arange(num_bins)[:, None]  # (int64: the products below are float32 tensors)
    left, center = mel_low + b * delta, mel_low + (b + 1.0) * delta
    right = mel_low + (b + 2.0) * delta
    mel = 1127.0 * (1.0 + sr / padded * torch.arange(padded / 2) / 700.0).log()[None]
    rising, falling = (mel - left) / (center - left), (right - mel) / (right - center)
    banks = torch.max(torch.zeros(1), torch.min(rising, falling))
    return F.pad(banks, (0, 1))


def torchaudio_kaldi_fbank(
    wave: torch.Tensor,
    num_mel_bins: int = 23,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    sample_frequency: float = 16000.0,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    window_type: str = "povey",
    preemphasis_coefficient: float = 0.97,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    snip_edges: bool = True,
    use_power: bool = True,
    subtract_mean: bool = False,
) -> torch.Tensor:
    """``torchaudio.compliance.kaldi.fbank`` (its default ``dither=0``, no energy, no VTLN) on
    a 1-D ``wave``, in torch ops in the wave's dtype, its mel banks in float32 (as torchaudio
    builds them whatever the wave's dtype). Frame sizes in milliseconds, truncated as it
    truncates them. Returns ``(frames, num_mel_bins)``, torchaudio's layout.

    torchaudio 2.9+ does not install beside torch 2.13, so this follows its code's steps
    (``_get_strided``, ``_get_window``, ``get_mel_banks``, ``fbank``) rather than calling it.
    """
    dtype, n = wave.dtype, wave.shape[0]
    shift = int(sample_frequency * frame_shift * 0.001)
    size = int(sample_frequency * frame_length * 0.001)
    padded = 1 << (size - 1).bit_length() if round_to_power_of_two else size
    if snip_edges:  # frames that fit
        frames = wave.unfold(0, size, shift)
    else:  # frame t centred on t * shift + shift // 2, symmetric reflection past the edges
        m, pad, backwards = (n + shift // 2) // shift, size // 2 - shift // 2, wave.flip(0)
        w = (
            torch.cat([backwards[-pad:], wave, backwards])
            if pad > 0
            else torch.cat([wave[-pad:], backwards])
        )
        frames = w.as_strided((m, size), (shift, 1))
    if remove_dc_offset:
        frames = frames - frames.mean(dim=1, keepdim=True)
    if preemphasis_coefficient:  # x[j] - k x[max(0, j - 1)]
        previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
        frames = frames - preemphasis_coefficient * previous
    if window_type in ("hanning", "povey"):
        window = torch.hann_window(size, periodic=False, dtype=dtype)
        window = window.pow(0.85) if window_type == "povey" else window
    elif window_type == "hamming":
        window = torch.hamming_window(size, periodic=False, alpha=0.54, beta=0.46, dtype=dtype)
    elif window_type == "rectangular":
        window = torch.ones(size, dtype=dtype)
    elif window_type == "blackman":
        i = torch.arange(size, dtype=dtype) * (2 * math.pi / (size - 1))
        window = 0.42 - 0.5 * torch.cos(i) + (0.5 - 0.42) * torch.cos(2 * i)
    else:
        raise ValueError(f"torchaudio has no window {window_type!r}")
    frames = F.pad(frames * window, (0, padded - size))
    spectrum = torch.fft.rfft(frames).abs()
    if use_power:
        spectrum = spectrum.pow(2.0)
    banks = _compliance_banks(num_mel_bins, padded, sample_frequency, low_freq, high_freq)
    out = torch.mm(spectrum, banks.to(dtype).T)
    out = torch.max(out, torch.tensor(torch.finfo(torch.float32).eps, dtype=dtype)).log()
    return out - out.mean(dim=0, keepdim=True) if subtract_mean else out


def campplus_features(wave: torch.Tensor) -> torch.Tensor:
    """CosyVoice's ``_extract_spk_embedding`` features of 16 kHz ``wave`` (n,): torchaudio's
    fbank (80 bins, dither 0), less each band's mean. Returns ``(80, frames)``."""
    feat = torchaudio_kaldi_fbank(wave, num_mel_bins=80, sample_frequency=16000)
    return (feat - feat.mean(dim=0, keepdim=True)).T


def wespeaker_features(wave: torch.Tensor) -> torch.Tensor:
    """pyannote.audio's ``WeSpeakerResNet34.compute_fbank`` of 16 kHz ``wave`` (n,): the audio
    times ``1 << 15``, torchaudio's fbank (80 bins, 25/10 ms, dither 0, Hamming), less each
    band's mean. Returns ``(80, frames)``."""
    feat = torchaudio_kaldi_fbank(
        wave * (1 << 15),
        num_mel_bins=80,
        frame_length=25,
        frame_shift=10,
        sample_frequency=16000,
        window_type="hamming",
    )
    return (feat - feat.mean(dim=0, keepdim=True)).T


def funasr_lfr(feat: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """FunASR's ``apply_lfr`` on ``feat`` ``(T, F)``, written as its loop: ceil(T / n) rows,
    row i the concatenation of frames ``i * n .. i * n + m - 1`` of the features with
    ``(m - 1) // 2`` copies of frame 0 before them, the last frame repeated where a row runs
    past the end."""
    T = feat.shape[0]
    padded = torch.cat([feat[:1]] * ((m - 1) // 2) + [feat])
    rows = []
    for i in range(-(-T // n)):
        frames = list(padded[i * n : i * n + m])
        frames += [padded[-1]] * (m - len(frames))
        rows.append(torch.cat(frames))
    return torch.stack(rows)


def funasr_features(
    wave: torch.Tensor, cmvn: tuple | None = None, lfr_m: int = 7, lfr_n: int = 6
) -> torch.Tensor:
    """FunASR's ``WavFrontend.forward`` of 16 kHz ``wave`` (n,) with ``dither=0``: the audio
    times ``1 << 15``, torchaudio's fbank (80 bins, 25/10 ms, Hamming), LFR, then ``inputs +=
    means; inputs *= vars`` with ``cmvn = (means, vars)`` as float32 tensors (its
    ``load_cmvn``). Returns ``(80 * lfr_m, frames)``."""
    feat = torchaudio_kaldi_fbank(
        wave * (1 << 15),
        num_mel_bins=80,
        frame_length=25,
        frame_shift=10,
        sample_frequency=16000,
        window_type="hamming",
    )
    feat = funasr_lfr(feat, lfr_m, lfr_n)
    if cmvn is not None:
        dim = feat.shape[1]
        means, scales = (torch.from_numpy(np.asarray(v, np.float32)[None, :dim]) for v in cmvn)
        feat += means
        feat *= scales
    return feat.T


@functools.lru_cache(maxsize=8)
def speechbrain_bank(
    n_mels: int = 80, sr: int = 16000, n_fft: int = 400, fmin: float = 0.0, fmax: float = 8000.0
) -> torch.Tensor:
    """SpeechBrain's frozen triangular ``Filterbank`` matrix ``(n_fft // 2 + 1, n_mels)``, in
    float32 torch ops as its ``__init__`` and ``_triangular_filters`` build it: mel points by
    ``linspace`` between Python-float ends, their Hz, each filter's centre and band (the
    distance down to the previous point), then ``max(0, min(1 + s, 1 - s))`` of the slope
    ``s = (f - centre) / band`` at ``linspace(0, sr // 2, n_stft)``. Cached (SpeechBrain
    rebuilds it per call): read it, never write it."""
    n_stft = n_fft // 2 + 1
    mel = torch.linspace(
        2595 * math.log10(1 + fmin / 700), 2595 * math.log10(1 + fmax / 700), n_mels + 2
    )
    hz = 700 * (10 ** (mel / 2595) - 1)
    band, centre = (hz[1:] - hz[:-1])[:-1], hz[1:-1]
    freqs = torch.linspace(0, sr // 2, n_stft).repeat(n_mels, 1)
    slope = (freqs - centre.repeat(n_stft, 1).T) / band.repeat(n_stft, 1).T
    return torch.max(torch.zeros(1), torch.min(slope + 1.0, -slope + 1.0)).T


@functools.lru_cache(maxsize=1)
def _speechbrain_window() -> torch.Tensor:
    return torch.hamming_window(400)  # (its STFT module builds it once)


def speechbrain_features(
    wave: torch.Tensor, n_mels: int = 80, top_db: float | None = 80.0, subtract_mean: bool = True
) -> torch.Tensor:
    """SpeechBrain's ``Fbank`` (16 kHz, n_fft 400, 25/10 ms, ``torch.hamming_window``,
    ``torch.stft`` centred with zeros, ``spectral_magnitude`` power 1 (re^2 + im^2),
    ``Filterbank`` with ``log_mel``: ``10 log10(clamp(x, 1e-10))``, less ``10 log10(max(amin,
    ref_value))`` = 0, ``top_db`` below the max over the whole item), then
    ``InputNormalization(norm_type="sentence", std_norm=False)``: each band's mean over the
    frames subtracted. ``wave`` (n,); returns ``(n_mels, frames)``. A float64 wave is
    computed in float64 with SpeechBrain's float32 window and bank."""
    window = _speechbrain_window().to(wave.dtype)
    stft = torch.stft(
        wave,
        400,
        160,
        400,
        window,
        center=True,
        pad_mode="constant",
        normalized=False,
        onesided=True,
        return_complex=True,
    )
    mag = torch.view_as_real(stft).pow(2).sum(-1).pow(1).T  # (frames, 201)
    bank = speechbrain_bank(n_mels).to(wave.dtype)
    x_db = 10 * torch.log10(torch.clamp(mag @ bank, min=1e-10))
    x_db -= 10 * math.log10(max(1e-10, 1.0))
    if top_db is not None:
        x_db = torch.max(x_db, x_db.amax(dim=(-2, -1)) - top_db)
    if subtract_mean:
        x_db = x_db - torch.mean(x_db, dim=0)
    return x_db.T


@functools.lru_cache(maxsize=8)
def seamless_extractor(n_mels: int = 80):
    """transformers' ``SeamlessM4TFeatureExtractor`` (the library itself, not a
    transcription: its NumPy steps need no torchaudio), built once per setting."""
    import transformers

    return transformers.SeamlessM4TFeatureExtractor(num_mel_bins=n_mels)


def seamless_features(wave, n_mels: int = 80, normalize: bool = True, lengths=None) -> np.ndarray:
    """SeamlessM4T's (and w2v-BERT 2.0's) input features of 16 kHz ``wave`` ``(..., n)``, as
    ``SeamlessM4TFeatureExtractor`` computes them, each item on its own, or, with
    ``lengths``, the items ``wave[i, :lengths[i]]`` as one padded batch. Returns
    ``(..., 2 * n_mels, rows)`` (its ``input_features`` transposed)."""
    return _extracted(
        seamless_extractor(n_mels),
        "input_features",
        wave,
        lengths,
        do_normalize_per_mel_bins=normalize,
    )


def _ast_numpy_steps():
    """A context in which ``ASTFeatureExtractor`` takes its NumPy steps (float64) even where
    torchaudio imports: there it would take torchaudio's float32 ``kaldi.fbank`` instead, at
    construction and at each call, and the float64 comparisons would measure that float32
    rounding, above the float64 tolerance."""
    from unittest import mock

    from transformers.models.audio_spectrogram_transformer import (
        feature_extraction_audio_spectrogram_transformer as module,
    )

    return mock.patch.object(module, "is_speech_available", lambda: False)


@functools.lru_cache(maxsize=8)
def ast_extractor(n_mels: int = 128, max_length: int = 1024, normalize: bool = True):
    """transformers' ``ASTFeatureExtractor`` (the library itself, its NumPy steps; see
    ``_ast_numpy_steps``), built once per setting."""
    import transformers

    with warnings.catch_warnings(), _ast_numpy_steps():  # (its bank 4 of 128 holds no FFT
        warnings.simplefilter("ignore")  # bin, and it says so)
        return transformers.ASTFeatureExtractor(
            num_mel_bins=n_mels, max_length=max_length, do_normalize=normalize
        )


def ast_features(
    wave, n_mels: int = 128, max_length: int = 1024, normalize: bool = True, lengths=None
) -> np.ndarray:
    """The Audio Spectrogram Transformer's input of 16 kHz ``wave`` ``(..., n)``, as
    ``ASTFeatureExtractor`` computes it, each item on its own (with ``lengths``, item i is
    ``wave[i, :lengths[i]]``). Returns ``(..., n_mels, max_length)`` (its ``input_values``
    transposed)."""
    extractor = ast_extractor(n_mels, max_length, normalize)
    with _ast_numpy_steps():
        return _extracted(extractor, "input_values", wave, lengths)


@functools.lru_cache(maxsize=8)
def gemma_extractor(name: str = "gemma4", per_bin: bool = False):
    """transformers' ``Gemma4AudioFeatureExtractor`` or ``Gemma3nAudioFeatureExtractor``
    (``name`` "gemma4" or "gemma3n"; the library itself, NumPy), once per setting;
    ``per_bin``: with the per-band mean and std of :data:`GEMMA_PER_BIN`."""
    import transformers

    cls = {
        "gemma4": transformers.Gemma4AudioFeatureExtractor,
        "gemma3n": transformers.Gemma3nAudioFeatureExtractor,
    }[name]
    if not per_bin:
        return cls()
    mean, std = GEMMA_PER_BIN
    return cls(per_bin_mean=mean, per_bin_stddev=std)


# A per-band mean and std for the Gemma extractors' optional normalisation (made up: no
# released config was checked for them)
GEMMA_PER_BIN = (list(np.linspace(-6.0, -2.0, 128)), list(np.linspace(1.5, 3.0, 128)))


def gemma_features(
    name: str, wave, lengths=None, pad_to_multiple_of: int | None = None, per_bin: bool = False
) -> np.ndarray:
    """Gemma 4's or Gemma 3n's audio features of 16 kHz ``wave`` ``(..., n)`` as their
    extractor computes them, each item on its own (with ``lengths``, the items ``wave[i,
    :lengths[i]]`` as one batch, padded to the longest and to a multiple of
    ``pad_to_multiple_of`` samples, their default being 128). Returns ``(..., 128,
    frames)`` (its ``input_features`` transposed)."""
    return _extracted(
        gemma_extractor(name, per_bin),
        "input_features",
        wave,
        lengths,
        pad_to_multiple_of=pad_to_multiple_of,
    )


def _extracted(extractor, key: str, wave, lengths=None, **kw) -> np.ndarray:
    """``extractor``'s output ``key`` for the items of 16 kHz ``wave`` ``(..., n)``, called
    as one batch (a list of items, which it pads to the longest), transposed to fastmel's
    ``(..., features, frames)``: each item at ``n`` samples in ``wave``'s leading shape, or,
    with ``lengths``, item i is ``wave[i, :lengths[i]]`` (a 2-D ``wave``)."""
    y = np.asarray(wave.numpy() if isinstance(wave, torch.Tensor) else wave)
    items = list(y.reshape(-1, y.shape[-1]))
    if lengths is not None:
        items = [item[:length] for item, length in zip(items, np.asarray(lengths), strict=True)]
    out = extractor(items, sampling_rate=16000, return_tensors="np", **kw)[key]
    out = out.transpose(0, 2, 1)
    return out.reshape(y.shape[:-1] + out.shape[1:]) if lengths is None else out


# ---- each preset's reference, as its PresetSpec names it: reference(y, **options) on a
# float tensor (..., n), returning (..., features, frames) ---------------------------------


def _items(fn, y: torch.Tensor, **kw) -> torch.Tensor:
    """``fn`` (one item ``(n,)`` -> ``(features, frames)``) over the items of ``y``."""
    out = torch.stack([torch.as_tensor(fn(item, **kw)) for item in y.reshape(-1, y.shape[-1])])
    return out.reshape(y.shape[:-1] + out.shape[1:])


def wav2lip_features(y: torch.Tensor, pad_mode: str = "constant") -> np.ndarray:
    """Wav2Lip's ``melspectrogram`` (float64 NumPy) of ``y``."""
    return wav2lip_mel(y.double().numpy(), pad_mode)  # type: ignore[arg-type]


def _hifigan_like(y: torch.Tensor, *args) -> torch.Tensor:
    out = hifigan_mel(y.reshape(-1, y.shape[-1]), *args)
    return out.reshape(y.shape[:-1] + out.shape[1:])


def hifigan_features(y: torch.Tensor) -> torch.Tensor:
    """HiFi-GAN's ``mel_spectrogram`` with its V1 config."""
    return _hifigan_like(y, 1024, 80, 22050, 256, 1024, 0, 8000)


def bigvgan_features(y: torch.Tensor) -> torch.Tensor:
    """BigVGAN's ``mel_spectrogram`` with its v2 24 kHz, 100-band config."""
    return _hifigan_like(y, 1024, 100, 24000, 256, 1024, 0, None)


def cosyvoice_features(y: torch.Tensor) -> torch.Tensor:
    """CosyVoice 2's Matcha ``mel_spectrogram`` with its ``feat_extractor`` config."""
    return _hifigan_like(y, 1920, 80, 24000, 480, 1920, 0, 8000)


def f5tts_mel(y: torch.Tensor) -> torch.Tensor:
    """F5-TTS' ``get_vocos_mel_spectrogram``: Vocos' steps floored at 1e-5."""
    return vocos_mel(y, floor=1e-5)


def kaldi_features(y: torch.Tensor, snip_edges: bool = True) -> np.ndarray:
    """kaldi-native-fbank's fbank (its defaults, no dither) of each item of ``y``."""
    items = y.reshape(-1, y.shape[-1]).numpy()
    out = np.stack([knf_fbank(item, snip_edges=snip_edges)[0] for item in items])
    return out.reshape(y.shape[:-1] + out.shape[1:])


def campplus_batch(y: torch.Tensor) -> torch.Tensor:
    """:func:`campplus_features` of each item of ``y``."""
    return _items(campplus_features, y)


def wespeaker_batch(y: torch.Tensor) -> torch.Tensor:
    """:func:`wespeaker_features` of each item of ``y``."""
    return _items(wespeaker_features, y)


def funasr_batch(y: torch.Tensor, **kw) -> torch.Tensor:
    """:func:`funasr_features` of each item of ``y``."""
    return _items(funasr_features, y, **kw)


def speechbrain_batch(y: torch.Tensor, **kw) -> torch.Tensor:
    """:func:`speechbrain_features` of each item of ``y``."""
    return _items(speechbrain_features, y, **kw)


def gemma4_features(y, **kw) -> np.ndarray:
    """Gemma 4's extractor on each item of ``y``."""
    return gemma_features("gemma4", y, **kw)


def gemma3n_features(y, **kw) -> np.ndarray:
    """Gemma 3n's extractor on each item of ``y``."""
    return gemma_features("gemma3n", y, **kw)


# ---- the float64 references a PresetSpec names as reference64: the model's steps run in
# float64 on float64 audio (..., n) ------------------------------------------------------


def _kaldi64(y, scale: float = 1.0, **kw) -> np.ndarray:
    items = np.asarray(y, np.float64).reshape(-1, np.shape(y)[-1])
    out = np.stack([kaldi_fbank(item * scale, **kw) for item in items])
    return out.reshape(np.shape(y)[:-1] + out.shape[1:])


def kaldi_features64(y) -> np.ndarray:
    """Kaldi's fbank steps in float64 (:func:`kaldi_fbank`)."""
    return _kaldi64(y)


def campplus_features64(y) -> np.ndarray:
    """CAM++'s input in float64: Kaldi's steps less each band's mean."""
    L = _kaldi64(y)
    return L - L.mean(axis=-1, keepdims=True)


def wespeaker_features64(y) -> np.ndarray:
    """WeSpeaker's input in float64: Kaldi's steps (Hamming) on 16-bit-scaled audio, less
    each band's mean."""
    L = _kaldi64(y, 32768.0, window_type="hamming")
    return L - L.mean(axis=-1, keepdims=True)


def funasr_features64(y) -> np.ndarray:
    """FunASR's input in float64 (no CMVN): Kaldi's steps (Hamming) on 16-bit-scaled audio,
    stacked as its LFR loop stacks them."""
    L = _kaldi64(y, 32768.0, window_type="hamming")
    items = L.reshape((-1,) + L.shape[-2:])
    out = np.stack([funasr_lfr(torch.from_numpy(item.T), 7, 6).numpy().T for item in items])
    return out.reshape(L.shape[:-2] + out.shape[1:])


def _gemma_steps64(name: str, y) -> np.ndarray:
    items = np.asarray(y, np.float64).reshape(-1, np.shape(y)[-1])
    extractor = gemma_extractor(name)
    out = np.stack(
        [
            extractor._extract_spectrogram(item[None], np.ones(len(item), np.int32))[0].T
            for item in items
        ]
    )
    return out.reshape(np.shape(y)[:-1] + out.shape[1:])


def gemma4_steps64(y) -> np.ndarray:
    """Gemma 4's extractor's own steps on float64 audio (its FFT then in float64)."""
    return _gemma_steps64("gemma4", y)


def gemma3n_steps64(y) -> np.ndarray:
    """Gemma 3n's extractor's own steps on float64 audio."""
    return _gemma_steps64("gemma3n", y)


# torchaudio's mel transforms, transcribed from its code (torchaudio/functional/functional.py,
# transforms/_transforms.py, compliance/kaldi.py): torchaudio does not install beside the
# torch tested on here. Each follows torchaudio's operations and dtypes step by step.


def _ta_hz_to_mel(freq: float, mel_scale: str) -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + (freq / 700.0))
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    if freq >= min_log_hz:
        return min_log_mel + math.log(freq / min_log_hz) / logstep
    return freq / f_sp


def _ta_mel_to_hz(mels: torch.Tensor, mel_scale: str) -> torch.Tensor:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    freqs = f_sp * mels
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * torch.exp(logstep * (mels[log_t] - min_log_mel))
    return freqs


def torchaudio_melscale_fbanks(
    n_freqs: int,
    f_min: float,
    f_max: float,
    n_mels: int,
    sample_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> torch.Tensor:
    """``torchaudio.functional.melscale_fbanks``: ``(n_freqs, n_mels)`` float32."""
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_pts = torch.linspace(
        _ta_hz_to_mel(f_min, mel_scale), _ta_hz_to_mel(f_max, mel_scale), n_mels + 2
    )
    f_pts = _ta_mel_to_hz(m_pts, mel_scale)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    fb = torch.max(torch.zeros(1), torch.min(down_slopes, up_slopes))
    if norm == "slaney":
        enorm = 2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])
        fb *= enorm.unsqueeze(0)
    return fb


def torchaudio_spectrogram(
    waveform: torch.Tensor,
    pad: int,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int,
    power: float | None,
    normalized: bool | str,
    center: bool = True,
    pad_mode: str = "reflect",
    onesided: bool = True,
) -> torch.Tensor:
    """``torchaudio.functional.spectrogram``."""
    if pad > 0:
        waveform = torch.nn.functional.pad(waveform, (pad, pad), "constant")
    frame_length_norm = normalized == "frame_length"
    window_norm = normalized == "window" or normalized is True
    shape = waveform.size()
    waveform = waveform.reshape(-1, shape[-1])
    spec_f = torch.stft(
        input=waveform,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode=pad_mode,
        normalized=frame_length_norm,
        onesided=onesided,
        return_complex=True,
    )
    spec_f = spec_f.reshape(shape[:-1] + spec_f.shape[-2:])
    if window_norm:
        spec_f /= window.pow(2.0).sum().sqrt()
    if power is not None:
        if power == 1.0:
            return spec_f.abs()
        return spec_f.abs().pow(power)
    return spec_f


def torchaudio_amplitude_to_db(x, multiplier, amin, db_multiplier, top_db=None):
    """``torchaudio.functional.amplitude_to_DB``."""
    x_db = multiplier * torch.log10(torch.clamp(x, min=amin))
    x_db -= multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.size()
        packed_channels = shape[-3] if x_db.dim() > 2 else 1
        x_db = x_db.reshape(-1, packed_channels, shape[-2], shape[-1])
        x_db = torch.max(x_db, (x_db.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1))
        x_db = x_db.reshape(shape)
    return x_db


def torchaudio_create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> torch.Tensor:
    """``torchaudio.functional.create_dct``: ``(n_mels, n_mfcc)``."""
    n = torch.arange(float(n_mels))
    k = torch.arange(float(n_mfcc)).unsqueeze(1)
    dct = torch.cos(math.pi / float(n_mels) * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / float(n_mels))
    return dct.t()


def torchaudio_mel_spectrogram(waveform, sample_rate=16000, n_fft=400, win_length=None,
                               hop_length=None, f_min=0.0, f_max=None, pad=0, n_mels=128,
                               power=2.0, normalized=False, center=True, pad_mode="reflect",
                               norm=None, mel_scale="htk"):  # fmt: skip
    """``torchaudio.transforms.MelSpectrogram`` (a periodic Hann window)."""
    win_length = win_length if win_length is not None else n_fft
    hop_length = hop_length if hop_length is not None else win_length // 2
    window = torch.hann_window(win_length)
    spec = torchaudio_spectrogram(
        waveform, pad, window, n_fft, hop_length, win_length, power, normalized, center, pad_mode
    )
    f_max = f_max if f_max is not None else float(sample_rate // 2)
    fb = torchaudio_melscale_fbanks(
        n_fft // 2 + 1, f_min, f_max, n_mels, sample_rate, norm, mel_scale
    )
    return torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)


def torchaudio_mfcc(waveform, sample_rate=16000, n_mfcc=40, norm="ortho", log_mels=False,
                    melkwargs=None):  # fmt: skip
    """``torchaudio.transforms.MFCC`` (``dct_type=2``)."""
    mel = torchaudio_mel_spectrogram(waveform, sample_rate=sample_rate, **(melkwargs or {}))
    n_mels = (melkwargs or {}).get("n_mels", 128)
    if log_mels:
        mel = torch.log(mel + 1e-6)
    else:
        mel = torchaudio_amplitude_to_db(mel, 10.0, 1e-10, math.log10(max(1e-10, 1.0)), 80.0)
    dct = torchaudio_create_dct(n_mfcc, n_mels, norm)
    return torch.matmul(mel.transpose(-1, -2), dct).transpose(-1, -2)


def torchaudio_kaldi_mfcc(wave: torch.Tensor, num_ceps: int = 13, cepstral_lifter: float = 22.0,
                          num_mel_bins: int = 23, htk_compat: bool = False,
                          subtract_mean: bool = False, **fbank_kw) -> torch.Tensor:  # fmt: skip
    """``torchaudio.compliance.kaldi.mfcc`` (no energy) on a 1-D ``wave``: the fbank, its
    ``_get_dct_matrix`` and ``_get_lifter_coeffs``, ``htk_compat``, ``subtract_mean``."""
    feature = torchaudio_kaldi_fbank(wave, num_mel_bins=num_mel_bins, **fbank_kw)
    dct_matrix = torchaudio_create_dct(num_mel_bins, num_mel_bins, "ortho")
    dct_matrix[:, 0] = math.sqrt(1 / float(num_mel_bins))
    dct_matrix = dct_matrix[:, :num_ceps]
    feature = feature.matmul(dct_matrix.to(feature.dtype))
    if cepstral_lifter != 0.0:
        i = torch.arange(num_ceps)
        lifter = 1.0 + 0.5 * cepstral_lifter * torch.sin(math.pi * i / cepstral_lifter)
        feature *= lifter.unsqueeze(0)
    if htk_compat:
        energy = feature[:, 0].unsqueeze(1)
        feature = feature[:, 1:]
        energy *= math.sqrt(2)
        feature = torch.cat((feature, energy), dim=1)
    if subtract_mean:
        feature = feature - feature.mean(dim=0).unsqueeze(0)
    return feature
