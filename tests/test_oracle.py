"""A deliberately naive float64 oracle (frame, window, rfft, |.|^power, matmul)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import torch

import fastmel
from tests.conftest import assert_parity, make_signal


def naive_mel(
    y,
    *,
    sr,
    n_fft,
    hop_length,
    win_length,
    window,
    center,
    pad_mode,
    power,
    n_mels,
    fmin,
    fmax,
    htk,
    norm,
):
    """Loop over frames, in float64, with no shortcut: the definition of the mel spectrogram."""
    w = scipy.signal.get_window(window, win_length, fftbins=True)
    lpad = (n_fft - win_length) // 2
    w = np.concatenate([np.zeros(lpad), w, np.zeros(n_fft - win_length - lpad)])
    if center:
        y = np.pad(y, n_fft // 2, mode=pad_mode)
    n_frames = 1 + (len(y) - n_fft) // hop_length
    spec = np.empty((n_fft // 2 + 1, n_frames))
    for t in range(n_frames):
        frame = y[t * hop_length : t * hop_length + n_fft] * w
        spec[:, t] = np.abs(np.fft.rfft(frame)) ** power
    basis = fastmel.mel_filters(
        sr=sr,
        n_fft=n_fft,
        n_mels=n_mels,
        fmin=fmin,
        fmax=fmax,
        htk=htk,
        norm=norm,
        dtype=np.float64,
    )
    return basis @ spec


CONFIGS = [
    dict(
        sr=16000,
        n_fft=800,
        hop_length=200,
        win_length=800,
        window="hann",
        center=True,
        pad_mode="constant",
        power=1.0,
        n_mels=80,
        fmin=55.0,
        fmax=7600.0,
        htk=False,
        norm="slaney",
    ),
    dict(
        sr=16000,
        n_fft=400,
        hop_length=160,
        win_length=400,
        window="hann",
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=80,
        fmin=0.0,
        fmax=8000.0,
        htk=False,
        norm="slaney",
    ),
    dict(
        sr=22050,
        n_fft=1024,
        hop_length=256,
        win_length=1024,
        window="hamming",
        center=False,
        pad_mode="constant",
        power=2.0,
        n_mels=128,
        fmin=0.0,
        fmax=11025.0,
        htk=True,
        norm=None,
    ),
    dict(
        sr=8000,
        n_fft=255,
        hop_length=100,
        win_length=200,
        window="blackman",
        center=True,
        pad_mode="edge",
        power=1.5,
        n_mels=40,
        fmin=100.0,
        fmax=3500.0,
        htk=False,
        norm=None,
    ),
    dict(
        sr=16000,
        n_fft=640,
        hop_length=160,
        win_length=640,
        window="hamming",
        center=True,
        pad_mode="symmetric",
        power=2.0,
        n_mels=64,
        fmin=0.0,
        fmax=8000.0,
        htk=False,
        norm="slaney",
    ),
    dict(
        sr=22050,
        n_fft=1024,
        hop_length=256,
        win_length=1024,
        window="hann",
        center=True,
        pad_mode="linear_ramp",
        power=1.0,
        n_mels=80,
        fmin=0.0,
        fmax=8000.0,
        htk=True,
        norm=None,
    ),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['sr']}-{c['n_fft']}-{c['pad_mode']}")
@pytest.mark.parametrize("signal", ["speech", "chirp", "fullscale"])
def test_float64_equals_naive_oracle(cfg, signal):
    y = make_signal(signal, cfg["sr"], seconds=0.75)
    ref = naive_mel(y, **cfg)
    assert_parity(fastmel.melspectrogram(y=y, **cfg, dtype=np.float64), ref, np.float64)
    module = fastmel.MelSpectrogram(**cfg, dtype=torch.float64)
    assert_parity(module(torch.from_numpy(y)), ref, np.float64, "module")
    assert_parity(fastmel.melspectrogram(y=y.astype(np.float32), **cfg), ref, np.float32, "f32")
