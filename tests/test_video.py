"""Wav2Lip's per-video-frame mel windows, offline and streaming, equal its inference loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from tests import references as ref
from tests.conftest import make_signal


@pytest.mark.parametrize("fps", [24, 25, 29.97, 30, 60])
@pytest.mark.parametrize("n_frames", [16, 17, 80, 333])
def test_offline_windows_equal_wav2lip_loop(fps, n_frames):
    mel = np.random.default_rng(0).standard_normal((80, n_frames)).astype(np.float32)
    expected = np.stack(ref.wav2lip_windows(mel, fps))
    ours = fastmel.mel_windows(torch.from_numpy(mel), fps=fps)
    np.testing.assert_array_equal(ours.numpy(), expected)
    from_array = fastmel.mel_windows(mel, fps=fps)  # NumPy in, NumPy out, like Wav2Lip's loop
    assert isinstance(from_array, np.ndarray) and from_array.dtype == mel.dtype
    np.testing.assert_array_equal(from_array, expected)


@pytest.mark.parametrize("fps", [25, 29.97, 30])
@pytest.mark.parametrize("chunk", [1, 3, 4, 7, 50])
def test_streamed_windows_equal_offline(fps, chunk):
    mel = torch.randn(2, 80, 401)
    offline = fastmel.mel_windows(mel, fps=fps)
    windows = fastmel.MelWindows(fps=fps)
    parts = [windows.push(mel[..., i : i + chunk]) for i in range(0, 401, chunk)]
    parts.append(windows.flush())
    streamed = torch.cat(parts)
    assert torch.equal(streamed, offline)
    assert windows._frames is None  # flush resets


def test_numpy_frames_give_numpy_windows_equal_to_the_wav2lip_loop():
    # NumPy end to end: MelStream fed NumPy chunks gives NumPy frames, and MelWindows NumPy
    # windows, equal to Wav2Lip's loop over the offline NumPy mel.
    front = fastmel.preset("wav2lip")
    y = make_signal("speech", 16000, 2.0).astype(np.float32)
    stream, windows, got = fastmel.MelStream(front), fastmel.MelWindows(fps=25), []
    for start in range(0, len(y), 640):
        got.append(windows.push(stream.push(y[start : start + 640])))
    got.append(windows.push(stream.flush()))
    got.append(windows.flush())
    assert all(isinstance(g, np.ndarray) and g.dtype == np.float32 for g in got)
    expected = np.stack(ref.wav2lip_windows(front(torch.from_numpy(y)).numpy(), 25))
    streamed = np.concatenate(got)
    assert streamed.shape == expected.shape
    np.testing.assert_allclose(streamed, expected, atol=1e-4)


def test_windows_keep_copies_of_the_frames_pushed():
    # A CUDA-graph stream returns its own buffer, overwritten by the next push: MelWindows
    # must not keep a view of what it was given (poisoned with NaN after each push).
    mel = torch.randn(80, 203)
    offline = fastmel.mel_windows(mel, fps=25)
    windows, buffer, parts = fastmel.MelWindows(fps=25), torch.empty(80, 7), []
    for i in range(0, 203, 7):
        chunk = mel[..., i : i + 7]
        buffer[..., : chunk.shape[-1]].copy_(chunk)
        parts.append(windows.push(buffer[..., : chunk.shape[-1]]))
        buffer.fill_(float("nan"))
    parts.append(windows.flush())
    assert torch.equal(torch.cat(parts), offline)


def test_windows_from_a_streamed_wav2lip_front_end():
    front = fastmel.preset("wav2lip")
    y = torch.from_numpy(make_signal("speech", 16000, 3.0).astype(np.float32))
    stream, windows, got = fastmel.MelStream(front), fastmel.MelWindows(fps=25), []
    for chunk in y.split(640):  # 40 ms = one video frame at 25 fps
        got.append(windows.push(stream.push(chunk)))
    got.append(windows.push(stream.flush()))
    got.append(windows.flush())
    expected = np.stack(ref.wav2lip_windows(front(y).numpy(), 25))
    streamed = torch.cat(got).numpy()
    assert streamed.shape == expected.shape
    np.testing.assert_allclose(streamed, expected, atol=1e-4)


def test_window_state_is_bounded():
    windows = fastmel.MelWindows(fps=25)
    for _ in range(2000):
        windows.push(torch.randn(80, 4))
        assert windows._frames.shape[-1] <= 16 + 4


def test_window_errors():
    with pytest.raises(fastmel.ParameterError, match="fps"):
        fastmel.mel_windows(torch.zeros(80, 20), fps=0)
    with pytest.raises(fastmel.ParameterError, match="step"):
        fastmel.MelWindows(fps=25, step=0)
    with pytest.raises(fastmel.ParameterError, match="16"):
        fastmel.mel_windows(torch.zeros(80, 10), fps=25)
    with pytest.raises(TypeError, match="mel must be a numpy.ndarray or torch.Tensor, got list"):
        fastmel.mel_windows([[0.0] * 20] * 80, fps=25)
    with pytest.raises(fastmel.ParameterError, match=r"mel must have shape \(\.\.\., n_mels, t\)"):
        fastmel.mel_windows(np.zeros(20), fps=25)
    w = fastmel.MelWindows(fps=25)
    with pytest.raises(TypeError, match="frames must be a torch.Tensor or np.ndarray, got list"):
        w.push([[0.0] * 5] * 80)
    with pytest.raises(fastmel.ParameterError, match=r"frames must have shape \(\.\.\., n_mels"):
        w.push(np.zeros(5, np.float32))
    w.push(torch.zeros(80, 5))
    with pytest.raises(TypeError, match="frames is a ndarray; this stream is fed torch tensors"):
        w.push(np.zeros((80, 5), np.float32))
    with pytest.raises(fastmel.ParameterError, match=r"shape \(64,\); this stream's is \(80,\)"):
        w.push(torch.zeros(64, 5))
    with pytest.raises(fastmel.ParameterError, match="needs 16"):
        w.flush()
