"""What every module and every registered preset supports, by the shared checks of
tests/checks.py: torch.compile without graph breaks, autograd, pickling, dtype changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel.feature.kaldi import KaldiSpectrogram
from fastmel.presets import PRESET_SPECS
from tests.checks import (
    check_compiles,
    check_differentiable,
    check_follows_dtype,
    check_picklable,
)
from tests.conftest import PRESET_ATOL, RTOL
from tests.signals import make_signal

KW = dict(sr=16000, n_fft=400, hop_length=160, n_mels=40)
MODULES = {
    "MelSpectrogram": lambda: fastmel.MelSpectrogram(**KW),
    "MelSpectrogram power 1 reflect": lambda: fastmel.MelSpectrogram(
        **KW, power=1.0, pad_mode="reflect"
    ),
    "KaldiSpectrogram": lambda: KaldiSpectrogram(sr=16000),
    "MFCC": lambda: fastmel.MFCC(sr=16000, n_mfcc=13, n_fft=400, hop_length=160),
    **{f"preset {name}": (lambda name=name: fastmel.preset(name)) for name in PRESET_SPECS},
}


def _rate(kind: str) -> int:
    name = kind.removeprefix("preset ")
    return int(PRESET_SPECS[name].audio_rate) if name in PRESET_SPECS else 16000


def _batch(kind: str, seconds: float, signals: tuple = ("speech", "voiced")) -> torch.Tensor:
    sr = _rate(kind)
    items = [make_signal(s, sr, seconds, seed=i) for i, s in enumerate(signals)]
    return torch.from_numpy(np.stack(items).astype(np.float32))


def _atol(kind: str, out: torch.Tensor) -> float:
    """The kind's tolerance: a preset's own, else the parity tolerance of the peak."""
    name = kind.removeprefix("preset ")
    if name in PRESET_ATOL:
        return PRESET_ATOL[name]
    return RTOL[torch.float32] * float(out.abs().max().cpu())


@pytest.mark.parametrize("kind", MODULES)
def test_compiles_without_graph_breaks(kind, device):
    module, y = MODULES[kind]().to(device), _batch(kind, 0.5).to(device)
    check_compiles(module, y, _atol(kind, module(y)))


@pytest.mark.parametrize("kind", MODULES)
def test_gradients_equal_finite_differences(kind):
    # (a few frames of float64 audio, gradcheck perturbing each sample; broadband noise,
    # whose bins keep clear of 0, where a magnitude's square root has no derivative)
    check_differentiable(MODULES[kind](), _batch(kind, 0.04, ("noise",)))


@pytest.mark.parametrize("kind", MODULES)
def test_pickled_copies_compute_the_same(kind, device, dtype):
    y = _batch(kind, 0.5).to(device, dtype)
    check_picklable(MODULES[kind]().to(device, dtype), y)


@pytest.mark.parametrize("kind", MODULES)
def test_dtype_changes_rebuild_the_constants(kind):
    check_follows_dtype(MODULES[kind](), _batch(kind, 0.5))


@pytest.mark.parametrize("kind", MODULES)
def test_numpy_in_numpy_out(kind):
    """Called on a NumPy array a module returns a NumPy array, its tensor call's values."""
    module, y = MODULES[kind](), _batch(kind, 0.5)
    expected = module(y).numpy()
    for array in (y.numpy(), y.numpy().astype(">f4"), y.numpy()[:, ::-1].copy()[:, ::-1]):
        out = module(array)
        assert isinstance(out, np.ndarray) and out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", ["nemo", "seamless", "ast", "gemma4"])
def test_numpy_lengths_of_a_padded_batch(name):
    module, y = fastmel.preset(name), _batch(f"preset {name}", 0.5)
    lengths = np.array([y.shape[-1], y.shape[-1] // 2])
    out = module(y.numpy(), lengths=lengths)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, module(y, lengths=torch.from_numpy(lengths)).numpy())
