"""The types a user's checker infers for the public API: checked by mypy in ``make test``.

Never run (pytest only imports it, for doctests): each ``assert_type`` fails mypy if an
overload or an annotation regresses, and each ``type: ignore[code]`` fails it (mypy's
``warn_unused_ignores``) if a misuse it marks stops being reported.
"""

from __future__ import annotations

import numpy as np
import torch
from typing_extensions import assert_type

import fastmel


def offline(y: np.ndarray, t: torch.Tensor) -> None:
    """NumPy in gives NumPy out, a tensor gives a tensor, in every function."""
    assert_type(fastmel.melspectrogram(y=y, sr=16000), np.ndarray)
    assert_type(fastmel.melspectrogram(y=t, sr=16000), torch.Tensor)
    assert_type(fastmel.melspectrogram(S=y), np.ndarray)
    assert_type(fastmel.mfcc(y=t, sr=16000), torch.Tensor)
    assert_type(fastmel.mfcc(S=y), np.ndarray)
    assert_type(fastmel.power_to_db(t), torch.Tensor)
    assert_type(fastmel.amplitude_to_db(y), np.ndarray)
    assert_type(fastmel.db_to_power(t), torch.Tensor)
    assert_type(fastmel.db_to_amplitude(y), np.ndarray)
    assert_type(fastmel.mel_windows(y, fps=25), np.ndarray)
    assert_type(fastmel.mel_filters(sr=16000, n_fft=800), np.ndarray)
    assert_type(fastmel.load("speech.flac", sr=16000), tuple[np.ndarray, float])
    fastmel.load("speech.flac", 16000)  # type: ignore[call-arg]  # keyword-only, as librosa
    mel = fastmel.MelSpectrogram(sr=16000)
    assert_type(mel(t), torch.Tensor)  # (nn.Module's own __call__ is typed Any)
    assert_type(mel(y), np.ndarray)  # (modules and presets: NumPy in, NumPy out)
    assert_type(fastmel.preset("whisper")(t), torch.Tensor)
    assert_type(fastmel.preset("whisper")(y), np.ndarray)
    assert_type(fastmel.preset("nemo")(y, lengths=np.array([16000])), np.ndarray)
    assert_type(fastmel.MFCC(sr=16000)(y), np.ndarray)
    nemo = fastmel.preset("nemo")  # (typed NeMo: its call also takes lengths)
    assert_type(nemo(t, lengths=[16000]), torch.Tensor)
    assert_type(nemo.feature_lengths(torch.tensor([16000])), torch.Tensor)
    seamless = fastmel.preset("seamless")  # (typed SeamlessM4T, AST: their calls take lengths)
    assert_type(seamless(t, lengths=[16000]), torch.Tensor)
    assert_type(seamless.feature_lengths(torch.tensor([16000])), torch.Tensor)
    assert_type(fastmel.preset("ast")(t, lengths=[16000]), torch.Tensor)
    fastmel.preset("whisper")(t, lengths=[16000])  # type: ignore[call-arg]
    assert_type(fastmel.MFCC(sr=16000)(t), torch.Tensor)
    fastmel.melspectrogram(y=[0.0, 1.0])  # type: ignore[type-var]
    fastmel.melspectrogram(y, sr=16000)  # type: ignore[call-arg]  # keyword-only, as librosa


def streams(y: np.ndarray, t: torch.Tensor) -> None:
    """A push answers in the kind it is given; the flush in the kind the pushes fixed."""
    stream = fastmel.MelStream(fastmel.preset("wav2lip"))
    assert_type(stream.push(t), torch.Tensor)
    assert_type(stream.push(y), np.ndarray)
    torch.cat([stream.push(t), stream.flush()], dim=-1)  # (flush: Any)
    windows = fastmel.MelWindows(fps=25)
    assert_type(windows.push(t), torch.Tensor)
    assert_type(windows.push(y), np.ndarray)
    stream.push([0.0])  # type: ignore[call-overload]


def graphs(t: torch.Tensor) -> None:
    """``cuda_graph`` returns the runner that matches what it captures."""
    mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    run = fastmel.cuda_graph(mel, t, warmup=2)
    assert_type(run, fastmel.CUDAGraphRunner)
    assert_type(run(t), torch.Tensor)
    stream = fastmel.cuda_graph(fastmel.MelStream(mel), t)
    assert_type(stream, fastmel.CUDAGraphStream)
    assert_type(stream.push(t), torch.Tensor)
    stream(t)  # type: ignore[operator]  # a stream runner is pushed, not called
