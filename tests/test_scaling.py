"""power_to_db and amplitude_to_db against librosa, for arrays and tensors."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

import fastmel
from tests.conftest import DB_ATOL, POINTWISE_RTOL, make_signal


def _spectrum(dtype):
    S = librosa.feature.melspectrogram(y=make_signal("speech", 16000), sr=16000, n_mels=64)
    S[:, :3] = 0.0  # exact zeros exercise amin
    return S.astype(dtype)


def _case_id(kw: dict) -> str:
    # (a stable id: repr(np.max) holds an address, which differs between pytest-xdist workers)
    return ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items()) or "defaults"


CASES = [
    dict(),
    dict(ref=np.max),
    dict(ref=0.5, top_db=None),
    dict(amin=1e-6, top_db=40.0),
    dict(top_db=0.0),
]


@pytest.mark.parametrize("kw", CASES, ids=_case_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_to_db_matches_librosa(kw, dtype):
    S = _spectrum(dtype)
    ref = librosa.power_to_db(S, **kw)
    ours = fastmel.power_to_db(S, **kw)
    assert ours.dtype == ref.dtype
    np.testing.assert_allclose(ours, ref, rtol=0, atol=DB_ATOL[np.dtype(dtype)])
    kw_t = dict(kw, ref=torch.amax) if kw.get("ref") is np.max else kw
    ours_t = fastmel.power_to_db(torch.from_numpy(S), **kw_t)
    np.testing.assert_allclose(ours_t.numpy(), ref, rtol=0, atol=DB_ATOL[np.dtype(dtype)])


@pytest.mark.parametrize("kw", CASES, ids=_case_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amplitude_to_db_matches_librosa(kw, dtype):
    S = np.sqrt(_spectrum(dtype)) * np.where(np.arange(_spectrum(dtype).shape[-1]) % 2, 1, -1)
    ref = librosa.amplitude_to_db(S, **kw)
    atol = DB_ATOL[np.dtype(dtype)]
    np.testing.assert_allclose(fastmel.amplitude_to_db(S, **kw), ref, rtol=0, atol=atol)
    kw_t = dict(kw, ref=torch.amax) if kw.get("ref") is np.max else kw
    ours_t = fastmel.amplitude_to_db(torch.from_numpy(S), **kw_t)
    np.testing.assert_allclose(ours_t.numpy(), ref, rtol=0, atol=DB_ATOL[np.dtype(dtype)])


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


@pytest.mark.parametrize("name", ["power_to_db", "amplitude_to_db"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_input_keeps_the_magnitude_and_warns_as_librosa(name, dtype):
    real = np.sqrt(_spectrum(np.float64))
    phase = np.exp(1j * np.linspace(0, 40, real.size)).reshape(real.shape)
    D = (real * phase).astype(dtype)
    with pytest.warns(UserWarning, match="complex") as record:
        expected = getattr(librosa, name)(D, ref=np.max)
    assert len(record) == 1
    atol = DB_ATOL[np.finfo(dtype).dtype]  # the real dtype of the complex one
    with pytest.warns(UserWarning, match=f"{name} got a complex S"):
        ours = getattr(fastmel, name)(D, ref=np.max)
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=0, atol=atol)
    with pytest.warns(UserWarning, match=f"{name} got a complex S"):
        ours_t = getattr(fastmel, name)(torch.from_numpy(D), ref=torch.amax)
    np.testing.assert_allclose(ours_t.numpy(), expected, rtol=0, atol=atol)


def test_real_input_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastmel.power_to_db(_spectrum(np.float32))
        fastmel.amplitude_to_db(torch.from_numpy(_spectrum(np.float32)))


@pytest.mark.parametrize("ref", [1.0, 0.25, 3.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_db_to_power_and_amplitude_match_librosa(ref, dtype):
    S_db = librosa.power_to_db(_spectrum(dtype), ref=np.max)
    for name in ("db_to_power", "db_to_amplitude"):
        expected = getattr(librosa, name)(S_db, ref=ref)
        ours = getattr(fastmel, name)(S_db, ref=ref)
        assert ours.dtype == expected.dtype
        rtol = POINTWISE_RTOL[np.dtype(dtype)]
        np.testing.assert_allclose(ours, expected, rtol=rtol, atol=0)
        ours_t = getattr(fastmel, name)(torch.from_numpy(S_db), ref=ref)
        assert ours_t.dtype == torch.from_numpy(S_db).dtype
        np.testing.assert_allclose(ours_t.numpy(), expected, rtol=rtol, atol=0)


def test_db_to_power_inverts_power_to_db_where_nothing_clips():
    S = torch.from_numpy(_spectrum(np.float64)[:, 3:]) + 1e-3
    back = fastmel.db_to_power(fastmel.power_to_db(S, ref=0.5, top_db=None), ref=0.5)
    torch.testing.assert_close(back, S, rtol=POINTWISE_RTOL[np.dtype(np.float64)], atol=0)


def test_db_rejects_non_arrays():
    with pytest.raises(TypeError, match="S must be"):
        fastmel.power_to_db([1.0, 2.0])
    with pytest.raises(TypeError, match="S_db must be"):
        fastmel.db_to_power([1.0, 2.0])
    with pytest.raises(TypeError, match="ref"):
        fastmel.db_to_amplitude(np.ones(3), ref="max")
