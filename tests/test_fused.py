"""The Triton frames kernel (fastmel.ops.fused) against librosa and against the PyTorch ops.

Without a GPU the kernel runs in Triton's interpreter on CPU tensors (``TRITON_INTERPRET=1``,
Triton is in the test extra), so the same kernel is checked everywhere; with CUDA the
compiled kernel is checked instead.
"""

from __future__ import annotations

import os

import librosa
import numpy as np
import pytest
import torch

import fastmel
from fastmel.ops import fused
from tests.conftest import assert_parity, make_signal

pytest.importorskip("triton", reason="the Triton kernel needs triton (the test extra has it)")
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
    dict(power=1.5, dtype=np.float64, pad_mode="reflect"),
    dict(pad_mode="symmetric"),
    dict(n_fft=511, hop_length=100, pad_mode="symmetric"),
]
IDS = [
    "default",
    "reflect",
    "edge",
    "uncentred",
    "power1",
    "odd",
    "htk128",
    "hamming",
    "f64",
    "symmetric",
    "symmetric-odd",
]


@pytest.fixture(
    params=[
        pytest.param(
            "interpreter",
            marks=pytest.mark.skipif(
                os.environ.get("TRITON_INTERPRET") != "1",
                reason="with CUDA the compiled kernels are tested instead (conftest sets the "
                "interpreter up only where there is no CUDA)",
            ),
        ),
        pytest.param("cuda", marks=needs_cuda),
    ]
)
def device(request, monkeypatch):
    """Where the kernel runs: Triton's interpreter on CPU tensors, or CUDA; every size of
    input uses it (eager calls otherwise use it only from fused.min_samples on)."""
    if not fused.available():
        import triton

        pytest.skip(f"Triton {triton.__version__} is older than fused.MIN_TRITON: no kernel")
    monkeypatch.setattr(fused, "min_samples", 0)
    if request.param == "interpreter":
        monkeypatch.setattr(fused, "interpret_on_cpu", True)
        return "cpu"
    return "cuda"


def _signal(n: int, channels: int = 2) -> np.ndarray:
    y = make_signal("speech", 16000, n / 16000)[:n]
    return np.stack([np.roll(y, 333 * i) for i in range(channels)]).astype(np.float32)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_kernel_matches_librosa_and_the_torch_ops(config, device):
    kw = {**BASE, **config}
    m = fastmel.MelSpectrogram(**kw).to(device)
    dt = np.dtype(kw.get("dtype", np.float32))
    for n in (16000, 1001):  # a second, and a length that leaves a partial last hop
        y = _signal(n).astype(dt)
        yt = torch.from_numpy(y).to(device)
        assert m.route(yt).frames_kernel, "the kernel should run"
        # the power-and-projection kernel follows it for float32 powers 1 and 2
        assert (m._band_mel is not None) == (dt == np.float32 and kw.get("power", 2.0) in (1, 2))
        ours = m(yt)
        assert_parity(ours, librosa.feature.melspectrogram(y=y, **kw), dt, f"n={n}")
        m.fused = False
        assert not m.route(yt).frames_kernel
        assert_parity(ours, m(yt), dt, "vs torch ops")
        m.fused = True


@pytest.mark.parametrize(
    "config",
    [
        # bands wider than one block of the kernel (218 bins: four passes of 64)
        dict(sr=48000, n_fft=4096, hop_length=1024, n_mels=64, htk=True),
        # more filters than one block of 128 (two blocks), 27 of them empty
        dict(sr=16000, n_fft=256, hop_length=64, n_mels=160, fmax=8000.0),
        # power 1 with HiFi-GAN's eps under the square root
        dict(sr=22050, n_fft=1024, hop_length=256, n_mels=80, power=1.0, mag_eps=1e-9),
    ],
    ids=["wide-bands", "two-blocks-empty-filters", "magnitude-eps"],
)
@pytest.mark.filterwarnings("ignore:Empty filters detected")
def test_mel_kernel_bands(config, device):
    m = fastmel.MelSpectrogram(**config).to(device)
    assert m._band_mel is not None
    empty = int((m.mel_basis.amax(dim=1) == 0).sum())
    assert (empty > 0) == (config["n_mels"] > 128), "the two-block case holds empty filters"
    sr = config["sr"]
    y = np.stack([make_signal(kind, sr, 0.5) for kind in ("speech", "chirp")]).astype(np.float32)
    yt = torch.from_numpy(y).to(device)
    ours = m(yt)
    m._band_mel = None  # the PyTorch power and cuBLAS/MKL projection
    ref = m(yt)
    assert_parity(ours, ref, np.float32, "vs torch ops")
    if not config.get("mag_eps"):  # (librosa has no eps under the square root)
        lib = librosa.feature.melspectrogram(y=y, **config)
        assert_parity(ours, lib, np.float32, "vs librosa")


def test_band_kernel_serves_up_to_band_max_rows_frames(device, monkeypatch):
    m = fastmel.MelSpectrogram(**BASE).to(device)
    y = torch.from_numpy(_signal(16000)).to(device)  # 2 x 81 = 162 frames
    calls = []
    band_call = fused.BandMel.__call__
    monkeypatch.setattr(fused.BandMel, "__call__", lambda *a: calls.append(1) or band_call(*a))
    outs = {}
    for limit in (162, 161):
        monkeypatch.setattr(fused, "band_max_rows", limit)
        outs[limit] = m(y)
    assert calls == [1], "the kernel runs at the limit, and not above it"
    assert_parity(outs[162], outs[161], np.float32, "band kernel vs torch power + projection")


@pytest.mark.parametrize(
    "mode,n",
    [("linear_ramp", 16000), ("reflect", 400), ("symmetric", 399), ("edge", 7), ("constant", 1)],
)
def test_padding_the_kernel_does_not_make_takes_the_torch_ops(mode, n, device):
    # linear_ramp, and signals no longer than the pad (np.pad may reflect them repeatedly)
    kw = {**BASE, "pad_mode": mode}
    m = fastmel.MelSpectrogram(**kw).to(device)
    y = _signal(n)
    yt = torch.from_numpy(y).to(device)
    assert not m.route(yt).frames_kernel
    assert_parity(m(yt), librosa.feature.melspectrogram(y=y, **kw), np.float32, mode)


def test_kernel_serves_presets_and_leading_dims(device):
    fe = fastmel.preset("hifigan").to(device)  # reflect pad (n_fft - hop) / 2, no centring
    y = torch.from_numpy(_signal(22050, 3)).to(device)
    ref = fe(y).clone()
    fe.mel.fused = False
    assert_parity(ref, fe(y), torch.float32, "hifigan preset")
    m = fastmel.MelSpectrogram(**BASE).to(device)
    y4 = torch.from_numpy(_signal(4000, 6).reshape(2, 3, 4000)).to(device)
    assert_parity(m(y4)[1, 2], m(y4[1, 2]), torch.float32, "leading dims")


def test_autograd_takes_the_torch_ops(device):
    m = fastmel.MelSpectrogram(**BASE).to(device)
    y = torch.from_numpy(_signal(4000)).to(device).requires_grad_()
    assert not m.route(y).frames_kernel
    m(y).sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()


def test_small_eager_calls_and_the_cpu_use_the_torch_ops():
    assert not fused.runs_on(torch.device("cpu"))
    assert fastmel.MelSpectrogram(**BASE)._frames is None
    y = torch.zeros(16000)
    assert not fused.wanted(y, 81 * 800)  # below min_samples, not capturing
    assert fused.wanted(y, fused.min_samples)
    with fused.as_if_capturing():  # the runners' warm-up: the path their capture will take
        assert fused.wanted(y, 81 * 800)
        assert not fused.wanted(y.requires_grad_(), 81 * 800)
    assert not fused.wanted(y.detach(), 81 * 800)
