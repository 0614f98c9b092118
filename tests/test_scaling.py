"""power_to_db and amplitude_to_db against librosa, for arrays and tensors."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

import fastmel
from tests.conftest import make_signal

DB_ATOL = {np.float32: 1e-4, np.float64: 1e-9}  # dB; float32 log10 rounding near 0 dB


def _spectrum(dtype):
    S = librosa.feature.melspectrogram(y=make_signal("speech", 16000), sr=16000, n_mels=64)
    S[:, :3] = 0.0  # exact zeros exercise amin
    return S.astype(dtype)


CASES = [
    dict(),
    dict(ref=np.max),
    dict(ref=0.5, top_db=None),
    dict(amin=1e-6, top_db=40.0),
    dict(top_db=0.0),
]


@pytest.mark.parametrize("kw", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_to_db_matches_librosa(kw, dtype):
    S = _spectrum(dtype)
    ref = librosa.power_to_db(S, **kw)
    ours = fastmel.power_to_db(S, **kw)
    assert ours.dtype == ref.dtype
    np.testing.assert_allclose(ours, ref, rtol=0, atol=DB_ATOL[dtype])
    kw_t = dict(kw, ref=torch.amax) if kw.get("ref") is np.max else kw
    ours_t = fastmel.power_to_db(torch.from_numpy(S), **kw_t)
    np.testing.assert_allclose(ours_t.numpy(), ref, rtol=0, atol=DB_ATOL[dtype])


@pytest.mark.parametrize("kw", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amplitude_to_db_matches_librosa(kw, dtype):
    S = np.sqrt(_spectrum(dtype)) * np.where(np.arange(_spectrum(dtype).shape[-1]) % 2, 1, -1)
    ref = librosa.amplitude_to_db(S, **kw)
    np.testing.assert_allclose(fastmel.amplitude_to_db(S, **kw), ref, rtol=0, atol=DB_ATOL[dtype])
    kw_t = dict(kw, ref=torch.amax) if kw.get("ref") is np.max else kw
    ours_t = fastmel.amplitude_to_db(torch.from_numpy(S), **kw_t)
    np.testing.assert_allclose(ours_t.numpy(), ref, rtol=0, atol=DB_ATOL[dtype])


def test_tensor_ref_stays_a_tensor():
    S = torch.from_numpy(_spectrum(np.float32))
    a = fastmel.power_to_db(S, ref=S.amax())
    b = librosa.power_to_db(S.numpy(), ref=np.max)
    np.testing.assert_allclose(a.numpy(), b, atol=1e-4)


@pytest.mark.parametrize("bad", [dict(amin=0.0), dict(amin=-1.0), dict(top_db=-1.0)], ids=str)
def test_db_rejects_bad_parameters(bad):
    name = next(iter(bad))
    with pytest.raises(fastmel.ParameterError, match=name):
        fastmel.power_to_db(np.ones(4), **bad)
    with pytest.raises(fastmel.ParameterError, match=name):
        fastmel.amplitude_to_db(torch.ones(4), **bad)


def test_db_rejects_complex_and_non_arrays():
    with pytest.raises(fastmel.ParameterError, match="S must be real"):
        fastmel.power_to_db(np.ones(4, dtype=np.complex64))
    with pytest.raises(TypeError, match="S must be"):
        fastmel.power_to_db([1.0, 2.0])
