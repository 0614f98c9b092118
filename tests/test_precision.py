"""Reduced float32 matmul precision (TF32, bfloat16): fastmel's products run in float64.

On the CPU the setting is real (``torch.set_float32_matmul_precision("medium")`` sets
oneDNN's bfloat16) and only the CPU's bfloat16 units are assumed (``precision.CPU_BF16``):
the float64 route must be taken and keep librosa's numbers. With CUDA, TF32 for real.
"""

from __future__ import annotations

import importlib

import librosa
import numpy as np
import pytest
import torch

import fastmel
from fastmel.ops import precision
from tests.conftest import assert_parity, make_signal

KW = dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55.0, fmax=7600.0)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
new_api = pytest.mark.skipif(precision._setting("cuda") is None, reason="torch < 2.9 API")


@pytest.fixture
def restore_precision():
    """Put the float32 matmul settings back as they were: the legacy one first, then each
    backend's (in that order the state is the same as before, which reads without errors)."""
    legacy = torch.get_float32_matmul_precision()
    # (torch < 2.9 has no per-backend setting; its cuBLAS module raises on unknown names)
    new_api = precision._setting("cuda") is not None
    backends = [torch.backends.cuda.matmul, torch.backends.mkldnn.matmul] if new_api else []
    saved = [m.fp32_precision for m in backends]
    yield
    torch.set_float32_matmul_precision(legacy)
    for m, value in zip(backends, saved, strict=True):
        m.fp32_precision = value
    assert torch.get_float32_matmul_precision() == legacy


@pytest.fixture
def bf16_cpu(monkeypatch, restore_precision):
    """oneDNN's bfloat16 set for float32 products, on a CPU assumed to have bfloat16 units;
    fresh cached modules (built with float64 constants)."""
    if precision._setting("mkldnn") is None:
        pytest.skip("torch < 2.9 has no oneDNN float32 precision setting")
    monkeypatch.setattr(precision, "CPU_BF16", True)
    torch.set_float32_matmul_precision("medium")  # (sets mkldnn's fp32_precision to bf16)
    fastmel.clear_cache()
    yield
    fastmel.clear_cache()


@pytest.mark.usefixtures("restore_precision")
@pytest.mark.parametrize(
    "setting,enabled",
    [("highest", False), ("high", True), ("medium", True)],
)
def test_tf32_enabled_follows_float32_matmul_precision(setting, enabled):
    torch.set_float32_matmul_precision(setting)
    assert precision.tf32_enabled() is enabled


@new_api
@pytest.mark.usefixtures("restore_precision")
@pytest.mark.parametrize("setting,enabled", [("tf32", True), ("ieee", False)])
def test_tf32_enabled_follows_fp32_precision(setting, enabled):
    torch.backends.cuda.matmul.fp32_precision = setting  # (reading allow_tf32 would raise now)
    assert precision.tf32_enabled() is enabled


@new_api
@pytest.mark.usefixtures("restore_precision")
def test_cpu_bf16_enabled_needs_the_setting_and_the_units(monkeypatch):
    x = torch.ones(3)
    torch.set_float32_matmul_precision("medium")
    monkeypatch.setattr(precision, "CPU_BF16", False)  # (no bfloat16 units: no effect)
    assert not precision.cpu_bf16_enabled() and not precision.float64_products(x)
    monkeypatch.setattr(precision, "CPU_BF16", True)
    assert precision.cpu_bf16_enabled() and precision.float64_products(x)
    assert not precision.float64_products(x.double())  # float64 products are never reduced
    torch.set_float32_matmul_precision("highest")
    assert not precision.cpu_bf16_enabled() and not precision.float64_products(x)
    torch.backends.mkldnn.matmul.fp32_precision = "bf16"
    assert precision.cpu_bf16_enabled()


def test_the_projection_takes_the_float64_route(bf16_cpu):
    mel = fastmel.MelSpectrogram(**KW)
    S = torch.rand(2, 5, mel._projection.shape[0], generator=torch.Generator().manual_seed(0))
    lo, hi, p = mel._banded.plans[0][0]
    want = (S[..., lo:hi].double() @ p.T.double()).float().mT
    torch.testing.assert_close(mel._banded(S), want, rtol=0, atol=0)
    torch.set_float32_matmul_precision("highest")
    assert not torch.equal(mel._banded(S), want)  # the float32 product rounds differently


def test_mfcc_and_the_functions_take_the_float64_route(bf16_cpu, monkeypatch):
    from fastmel.feature import spectrogram

    mfcc_module = importlib.import_module("fastmel.feature.mfcc")  # (fastmel.mfcc: the function)

    asked = []  # the dtype each cached constant is requested in

    def spy(module, name, dtype_arg):
        real = getattr(module, name)

        def wrapper(*args):
            asked.append(args[dtype_arg])
            return real(*args)

        wrapper.cache_clear = real.cache_clear  # type: ignore[attr-defined]
        monkeypatch.setattr(module, name, wrapper)

    spy(spectrogram, "_basis_tensor", 8)
    spy(mfcc_module, "_dct_tensor", 5)
    S = torch.rand(401, 7, generator=torch.Generator().manual_seed(0))
    assert fastmel.melspectrogram(S=S, sr=16000, n_fft=800).dtype == torch.float32
    assert fastmel.mfcc(S=S[:80], n_mfcc=13).dtype == torch.float32
    assert asked == [torch.float64, torch.float64]

    mfcc = fastmel.MFCC(sr=16000, n_mels=80, n_mfcc=13)
    y = torch.from_numpy(make_signal("speech", 16000, 0.2))
    want = (mfcc._dct64 @ fastmel.power_to_db(mfcc.mel(y)).double()).float()
    torch.testing.assert_close(mfcc(y), want, rtol=0, atol=0)


@pytest.mark.parametrize("power", [2.0, 1.0])
@pytest.mark.parametrize("seconds", [0.04, 1.0])
def test_mel_keeps_librosa_numbers(bf16_cpu, power, seconds):
    y = np.stack([make_signal(k, 16000, seconds) for k in ("speech", "chirp")])
    y = y.astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, power=power, **KW)
    mel = fastmel.MelSpectrogram(power=power, **KW)
    assert_parity(mel(torch.from_numpy(y)), ref, np.float32, "module")
    assert_parity(fastmel.melspectrogram(y=y, power=power, **KW), ref, np.float32, "function")
    stream = fastmel.MelStream(mel)
    parts = [stream.push(c) for c in torch.from_numpy(y).split(640, -1)] + [stream.flush()]
    assert_parity(torch.cat(parts, -1), ref, np.float32, "stream")
    S = np.abs(librosa.stft(y, n_fft=800, hop_length=200)) ** power
    S_ref = librosa.feature.melspectrogram(S=S, **{k: v for k, v in KW.items() if k != "n_fft"})
    got = fastmel.melspectrogram(S=torch.from_numpy(S), **KW)
    assert_parity(got, S_ref, np.float32, "S=")


def test_mfcc_keeps_librosa_numbers(bf16_cpu):
    y = make_signal("speech", 16000, 1.0).astype(np.float32)
    kw = dict(KW, n_mfcc=20, lifter=22)
    ref = librosa.feature.mfcc(y=y, **kw)
    assert_parity(fastmel.MFCC(**kw)(torch.from_numpy(y)), ref, np.float32, "MFCC module")
    assert_parity(fastmel.mfcc(y=y, **kw), ref, np.float32, "mfcc()")
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, **KW))
    ref_S = librosa.feature.mfcc(S=S, n_mfcc=20, lifter=22)
    got = fastmel.mfcc(S=torch.from_numpy(S), n_mfcc=20, lifter=22)
    assert_parity(got, ref_S, np.float32, "mfcc(S=)")


@needs_cuda
@pytest.mark.usefixtures("restore_precision")
@pytest.mark.parametrize("runner", [False, True], ids=["eager", "cuda_graph"])
def test_cuda_parity_with_tf32_enabled(runner):
    torch.set_float32_matmul_precision("high")  # TF32 for CUDA float32 matmuls
    y = make_signal("speech", 16000, 1.0).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, **KW)
    mel = fastmel.MelSpectrogram(**KW).cuda()
    yc = torch.from_numpy(y).cuda()
    run = fastmel.cuda_graph(mel, yc) if runner else mel
    assert_parity(run(yc), ref, np.float32, "TF32 enabled")
