"""The Triton kernels (fastmel.fused) against librosa and against the PyTorch ops.

Without a GPU the kernels run in Triton's interpreter on CPU tensors (``TRITON_INTERPRET=1``,
Triton is in the test extra), so the same kernels are checked everywhere; with CUDA the
compiled kernels are checked too.
"""

from __future__ import annotations

import os

import librosa
import numpy as np
import pytest
import torch

import fastmel
from fastmel import fused
from tests.conftest import assert_parity, make_signal

pytest.importorskip("triton", reason="the Triton kernels need triton (the test extra has it)")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")

BASE = dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55.0, fmax=7600.0)
CONFIGS = [
    dict(),
    dict(pad_mode="reflect"),
    dict(pad_mode="edge"),
    dict(center=False),
    dict(power=1.0),
    dict(n_fft=511, hop_length=100, win_length=300, n_mels=40, pad_mode="reflect"),
    dict(n_fft=1024, hop_length=256, n_mels=128, fmin=0.0, fmax=None, htk=True, norm=None),
    dict(n_fft=400, hop_length=160, window="hamming", power=1.0, center=False),
]
IDS = ["default", "reflect", "edge", "uncentred", "power1", "odd", "htk128", "hamming"]


@pytest.fixture(
    params=[
        pytest.param("interpreter", marks=pytest.mark.skipif(
            os.environ.get("TRITON_INTERPRET") != "1",
            reason="with CUDA the compiled kernels are tested instead (conftest sets the "
            "interpreter up only where there is no CUDA)",
        )),
        pytest.param("cuda", marks=needs_cuda),
    ]
)  # fmt: skip
def device(request, monkeypatch):
    """Where the kernels run: Triton's interpreter on CPU tensors, or CUDA."""
    if request.param == "interpreter":
        monkeypatch.setattr(fused, "interpret_on_cpu", True)
        return "cpu"
    return "cuda"


def _signal(n: int, channels: int = 2) -> np.ndarray:
    y = make_signal("speech", 16000, n / 16000)[:n]
    return np.stack([np.roll(y, 333 * i) for i in range(channels)]).astype(np.float32)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_kernels_match_librosa_and_the_torch_ops(config, device):
    kw = {**BASE, **config}
    m = fastmel.MelSpectrogram(**kw).to(device)
    assert m._kernels is not None, "the kernels should apply to this module"
    for n in (16000, 1001):  # a second, and a length that leaves a partial last hop
        y = _signal(n)
        ours = m(torch.from_numpy(y).to(device))
        assert_parity(ours, librosa.feature.melspectrogram(y=y, **kw), torch.float32, f"n={n}")
        m.fused = False
        assert_parity(ours, m(torch.from_numpy(y).to(device)), torch.float32, "vs torch ops")
        m.fused = True


def test_kernels_serve_streams_presets_and_batches(device):
    fe = fastmel.preset("hifigan").to(device)  # reflect pad (n_fft - hop) / 2, sqrt(|X|^2 + eps)
    y = torch.from_numpy(_signal(22050, 3)).to(device)
    ref = fe(y).clone()
    fe.mel.fused = False
    assert_parity(ref, fe(y), torch.float32, "hifigan preset")
    fe.mel.fused = True
    stream = fastmel.MelStream(fe)
    chunked = torch.cat([stream.push(c) for c in y.split(882, dim=-1)] + [stream.flush()], -1)
    assert_parity(chunked, ref, torch.float32, "streamed through spectrum()")
    m = fastmel.MelSpectrogram(**BASE).to(device)
    y4 = torch.from_numpy(_signal(4000, 6).reshape(2, 3, 4000)).to(device)
    assert_parity(m(y4)[1, 2], m(y4[1, 2]), torch.float32, "leading dims")


def test_where_the_kernels_do_not_apply(device):
    assert fastmel.MelSpectrogram(**BASE, power=1.5).to(device)._kernels is None
    assert fastmel.MelSpectrogram(**BASE, dtype=np.float64).to(device)._kernels is None
    m = fastmel.MelSpectrogram(**BASE).to(device)
    y = torch.from_numpy(_signal(4000)).to(device).requires_grad_()
    m(y).sum().backward()  # autograd takes the PyTorch ops
    assert y.grad is not None and torch.isfinite(y.grad).all()


def test_the_cpu_uses_torch_ops_outside_the_tests_of_the_kernels():
    assert not fused.runs_on(torch.device("cpu"))
    assert fastmel.MelSpectrogram(**BASE)._kernels is None
