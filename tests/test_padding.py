"""Every pad mode librosa's stft takes, against np.pad and librosa: the padding functions,
the function, the module and the stream (also for signals shorter than the pad)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

import fastmel
from fastmel.core.padding import PAD_MODES, edge_samples, pad_both
from tests.conftest import assert_parity, make_signal


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", PAD_MODES)
def test_pad_both_is_np_pad_for_any_signal_and_pad_length(mode, dtype):
    rng = np.random.default_rng(0)
    for n in range(1, 10):
        s = rng.uniform(0.5, 2.0, size=(2, n)).astype(dtype)  # (no zero edge: see padding.py)
        for p in range(1, 30):
            ramp = torch.arange(p, dtype=torch.float64)
            ours = pad_both(torch.from_numpy(s), p, mode, ramp).numpy()
            ref = np.pad(s, ((0, 0), (p, p)), mode=mode)
            np.testing.assert_array_equal(ours, ref, err_msg=f"{mode} n={n} p={p}")


def test_linear_ramp_follows_numpy_1_promotion_under_numpy_1(monkeypatch):
    # NumPy 1's np.linspace(0, edge, p, endpoint=False) for a float32 signal of 2+ dims runs
    # in float32 (value-based casting), as its source reads: arange(p) * ((edge - 0.0) / p).
    # The test above checks np.pad itself under whichever NumPy is installed; this checks
    # the NumPy 1 branch wherever NumPy 2 is installed.
    from fastmel.core import padding

    monkeypatch.setattr(padding, "_NUMPY1_RAMPS", True)
    s = np.random.default_rng(1).uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
    for p in range(1, 30):
        ramp = torch.arange(p, dtype=torch.float64)
        ours = pad_both(torch.from_numpy(s), p, "linear_ramp", ramp).numpy()
        step = (s[:, -1:] - np.float32(0.0)) / np.float32(p)
        expected = (np.arange(p, dtype=np.float32) * step)[:, ::-1]
        np.testing.assert_array_equal(ours[:, -p:], expected, err_msg=f"p={p}")
        # 1-D signals and float64 ones: float64 in NumPy 1 too
        for one in (s[0], s.astype(np.float64)):
            got = pad_both(torch.from_numpy(one), p, "linear_ramp", ramp).numpy()
            edge = one[..., -1:].astype(np.float64)
            ramp64 = (np.arange(p) * (edge / p)).astype(one.dtype)[..., ::-1]
            np.testing.assert_array_equal(got[..., -p:], ramp64, err_msg=f"p={p} {one.shape}")


def test_edge_samples_are_what_each_mode_reads():
    assert [edge_samples(m, 5) for m in PAD_MODES] == [0, 6, 1, 5, 1]
    assert {edge_samples(m, 0) for m in PAD_MODES} == {0}


# (n_fft, hop, n) x mode: every mode through the function, the module and the stream
CONFIGS = [(512, 128, 16000), (400, 160, 8000), (511, 100, 3001), (1024, 512, 10240)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft,hop,n", CONFIGS)
@pytest.mark.parametrize("mode", ["symmetric", "linear_ramp"])
def test_numpy_only_pad_modes_match_librosa(mode, n_fft, hop, n, dtype):
    y = np.stack([make_signal(k, 16000, n / 16000) for k in ("speech", "chirp")]).astype(dtype)
    y += 0.3  # edges far from zero, so that the ramps matter
    kw = dict(sr=16000, n_fft=n_fft, hop_length=hop, pad_mode=mode, n_mels=40, fmax=8000)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, dtype, "function")
    module = fastmel.MelSpectrogram(**kw, dtype=dtype)
    ref = librosa.feature.melspectrogram(y=y, **kw, dtype=dtype)
    assert_parity(module(torch.from_numpy(y)), ref, dtype, "module")
    for chunk in (1, 37, 640):
        stream = fastmel.MelStream(module)
        parts = [stream.push(c) for c in torch.from_numpy(y).split(chunk, -1)]
        assert_parity(torch.cat(parts + [stream.flush()], -1), ref, dtype, f"stream {chunk}")


@pytest.mark.parametrize("mode", PAD_MODES)
@pytest.mark.parametrize("n", [1, 2, 7, 255, 256, 257])
def test_signals_about_as_long_as_the_pad_in_every_mode(mode, n):
    # np.pad repeats a reflection or symmetric copy of a signal shorter than the pad
    y = np.stack([make_signal(k, 16000, 0.1)[:n] + 0.3 for k in ("speech", "noise")])
    kw = dict(sr=16000, n_fft=512, hop_length=128, pad_mode=mode, n_mels=8, fmax=4000)
    ref = librosa.feature.melspectrogram(y=y, **kw, dtype=np.float64)
    assert_parity(fastmel.melspectrogram(y=y, **kw, dtype=np.float64), ref, np.float64, "function")
    module = fastmel.MelSpectrogram(**kw, dtype=torch.float64)
    assert_parity(module(torch.from_numpy(y)), ref, np.float64, "module")
    for chunk in (1, 3, n):
        stream = fastmel.MelStream(module)
        parts = [stream.push(c) for c in torch.from_numpy(y).split(chunk, -1)]
        assert_parity(torch.cat(parts + [stream.flush()], -1), ref, np.float64, f"stream {chunk}")


@pytest.mark.parametrize("mode", ["wrap", "mean", "empty", "maximum", np.pad])
def test_modes_librosa_refuses_or_leaves_undefined_are_refused(mode):
    with pytest.raises(fastmel.ParameterError, match="pad_mode="):
        fastmel.MelSpectrogram(sr=16000, pad_mode=mode)
