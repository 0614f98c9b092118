"""Reference front ends written from each model's published code semantics (not from fastmel).

Each function follows the cited source step by step, in the library the model used
(NumPy/scipy/librosa for Wav2Lip, torch for Whisper, HiFi-GAN, BigVGAN and Vocos).
"""

from __future__ import annotations

import math

import librosa
import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F


def whisper_log_mel(audio: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """openai-whisper ``whisper/audio.py::log_mel_spectrogram`` (its filters are librosa's)."""
    window = torch.hann_window(400)
    stft = torch.stft(audio, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    filters = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels))
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


def wav2lip_mel(wav: np.ndarray, pad_mode: str = "constant") -> np.ndarray:
    """Wav2Lip ``audio.py::melspectrogram`` with ``hparams.py`` (float64, as NumPy computes)."""
    y = scipy.signal.lfilter([1, -0.97], [1], wav)  # preemphasis
    D = librosa.stft(y=y, n_fft=800, hop_length=200, win_length=800, pad_mode=pad_mode)
    mel_basis = librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    min_level = np.exp(-100 / 20 * np.log(10))
    S = 20 * np.log10(np.maximum(min_level, np.dot(mel_basis, np.abs(D)))) - 20
    min_level_db, max_abs_value = -100, 4  # symmetric_mels, allow_clipping_in_normalization
    return np.clip((2 * max_abs_value) * ((S - min_level_db) / (-min_level_db)) - max_abs_value,
                   -max_abs_value, max_abs_value)  # fmt: skip


def hifigan_mel(y: torch.Tensor, n_fft: int, num_mels: int, sampling_rate: int, hop_size: int,
                win_size: int, fmin: float, fmax: float | None) -> torch.Tensor:  # fmt: skip
    """HiFi-GAN / BigVGAN ``meldataset.py::mel_spectrogram`` (center=False)."""
    mel = torch.from_numpy(librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=num_mels,
                                               fmin=fmin, fmax=fmax))  # fmt: skip
    pad = int((n_fft - hop_size) / 2)
    y = F.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(y, n_fft, hop_length=hop_size, win_length=win_size,
                      window=torch.hann_window(win_size), center=False, pad_mode="reflect",
                      normalized=False, onesided=True, return_complex=True)  # fmt: skip
    spec = torch.view_as_real(spec)
    spec = torch.sqrt(spec.pow(2).sum(-1) + 1e-9)
    spec = torch.matmul(mel.to(spec.dtype), spec)
    return torch.log(torch.clamp(spec, min=1e-5) * 1)


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


def vocos_mel(audio: torch.Tensor) -> torch.Tensor:
    """Vocos ``feature_extractors.py::MelSpectrogramFeatures`` (padding="center").

    torchaudio's MelSpectrogram(24000, n_fft=1024, hop_length=256, n_mels=100, center=True,
    power=1): reflect-padded STFT with a periodic Hann window, |X|, torchaudio's bank; then
    ``log(clip(x, 1e-7))``.
    """
    spec = torch.stft(audio, 1024, 256, window=torch.hann_window(1024), center=True,
                      pad_mode="reflect", return_complex=True).abs()  # fmt: skip
    fb = torch.from_numpy(torchaudio_fbank(513, 0.0, 12000.0, 100, 24000))
    mel = torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)
    return torch.log(torch.clip(mel, min=1e-7))


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
