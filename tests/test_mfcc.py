"""mfcc and MFCC against librosa.feature.mfcc; DCT matrices against scipy."""

from __future__ import annotations

import itertools

import librosa
import numpy as np
import pytest
import scipy.fft
import torch

import fastmel
from tests.conftest import DEVICES, assert_parity, make_signal


@pytest.mark.parametrize("dct_type,norm", list(itertools.product([1, 2, 3], ["ortho", None])))
@pytest.mark.parametrize("n", [13, 40, 128])
def test_dct_matrix_matches_scipy(dct_type, norm, n):
    D = fastmel.mfcc.__globals__["dct_matrix"](n, n, dct_type=dct_type, norm=norm)
    ref = scipy.fft.dct(np.eye(n), type=dct_type, norm=norm, axis=0)
    np.testing.assert_allclose(D, ref, rtol=1e-12, atol=1e-12)


GRID = list(itertools.product([1, 2, 3], ["ortho", None], [0, 22], [13, 20, 40]))


@pytest.mark.parametrize("dct_type,norm,lifter,n_mfcc", GRID)
def test_mfcc_matches_librosa(dct_type, norm, lifter, n_mfcc):
    y = make_signal("speech", 16000, 1.5)
    kw = dict(
        sr=16000,
        n_mfcc=n_mfcc,
        dct_type=dct_type,
        norm=norm,
        lifter=lifter,
        n_fft=512,
        hop_length=160,
        n_mels=40,
    )
    for dtype in (np.float32, np.float64):  # dtype: the mel basis', as librosa's keyword
        ref = librosa.feature.mfcc(y=y.astype(dtype), **kw, dtype=dtype)
        ours = fastmel.mfcc(y=y.astype(dtype), **kw, dtype=dtype)
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        assert_parity(ours, ref, dtype, "mfcc()")
        module = fastmel.MFCC(**kw, dtype=dtype)  # computes in dtype
        assert_parity(module(torch.from_numpy(y.astype(dtype))), ref, dtype, "MFCC module")


def test_mfcc_defaults_multichannel_and_precomputed_S():
    y = np.stack([make_signal(k, 22050, 1.0) for k in ("speech", "chirp")]).astype(np.float32)
    ref = librosa.feature.mfcc(y=y, sr=22050)
    assert_parity(fastmel.mfcc(y=y, sr=22050), ref, np.float32, "multichannel")
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))
    ref_S = librosa.feature.mfcc(S=S, n_mfcc=13)
    assert_parity(fastmel.mfcc(S=S, n_mfcc=13), ref_S, np.float32, "precomputed S")
    assert isinstance(fastmel.mfcc(S=torch.from_numpy(S), n_mfcc=13), torch.Tensor)


def test_mfcc_module_is_a_module():
    m = fastmel.MFCC(sr=16000, n_mfcc=13, n_mels=40)
    assert m.state_dict() == {}
    assert m(torch.zeros(2, 16000)).shape == (2, 13, 32)
    assert m.double().dct.dtype == torch.float64


@pytest.mark.parametrize(
    "bad,match",
    [
        (dict(n_mfcc=0), "n_mfcc"),
        (dict(dct_type=4), "dct_type"),
        (dict(norm="l2"), "norm"),
        (dict(lifter=-1), "lifter"),
        (dict(n_mfcc=200), "n_mfcc"),
    ],
)
def test_mfcc_bad_parameters(bad, match):
    with pytest.raises(fastmel.ParameterError, match=match):
        fastmel.mfcc(y=np.zeros(4000, dtype=np.float32), sr=16000, **bad)


@pytest.mark.parametrize("device", DEVICES)
def test_mfcc_module_on_each_device_compiled_and_differentiable(device):
    kw = dict(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40, lifter=22)
    y = np.stack([make_signal(k, 16000, 1.0) for k in ("speech", "chirp")]).astype(np.float32)
    ref = librosa.feature.mfcc(y=y, **kw)
    module = fastmel.MFCC(**kw).to(device)
    yt = torch.from_numpy(y).to(device)
    out = module(yt)
    assert out.device.type == device
    assert_parity(out, ref, np.float32, f"MFCC on {device}")
    compiled = torch.compile(module, fullgraph=True)  # fullgraph: no graph breaks
    assert_parity(compiled(yt), ref, np.float32, f"compiled MFCC on {device}")
    yt.requires_grad_()
    module(yt).square().sum().backward()
    assert yt.grad is not None and torch.isfinite(yt.grad).all() and yt.grad.abs().sum() > 0
