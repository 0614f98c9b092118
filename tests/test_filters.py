"""Mel scale, filterbank and windows against librosa and scipy."""

from __future__ import annotations

import itertools

import librosa
import numpy as np
import pytest
import scipy.signal

import fastmel
from fastmel.core.windows import WINDOWS


@pytest.mark.parametrize("htk", [False, True])
def test_hz_mel_conversions_match_librosa(htk):
    f = np.concatenate([np.linspace(0, 24000, 1001), [999.999, 1000.0, 1000.001]])
    np.testing.assert_array_equal(fastmel.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk))
    m = fastmel.hz_to_mel(f, htk=htk)
    np.testing.assert_array_equal(fastmel.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk))
    np.testing.assert_allclose(fastmel.mel_to_hz(m, htk=htk), f, rtol=1e-12, atol=1e-9)
    for x in (0.0, 440.0, 1000.0, 8000.0):  # scalars in, scalars out (np.float64), as librosa
        m = x / 300
        pairs = [
            (fastmel.hz_to_mel(x, htk=htk), librosa.hz_to_mel(x, htk=htk)),
            (fastmel.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk)),
        ]
        for ours, ref in pairs:
            assert type(ours) is type(ref) is np.float64 and ours == ref
    for x in ([440.0], np.array(440.0), np.array([[440.0]])):  # lists and arrays keep shapes
        assert np.shape(fastmel.hz_to_mel(x, htk=htk)) == np.shape(librosa.hz_to_mel(x, htk=htk))


def test_fft_and_mel_frequencies_match_librosa():
    np.testing.assert_array_equal(
        fastmel.fft_frequencies(sr=16000, n_fft=800), librosa.fft_frequencies(sr=16000, n_fft=800)
    )
    for htk in (False, True):
        np.testing.assert_array_equal(
            fastmel.mel_frequencies(82, fmin=55, fmax=7600, htk=htk),
            librosa.mel_frequencies(82, fmin=55, fmax=7600, htk=htk),
        )


MEL_GRID = list(
    itertools.product(
        [8000, 16000, 22050, 24000, 44100, 48000],
        [400, 512, 800, 1023, 1024, 2048],
        [40, 80, 128],
        [(0.0, None), (55.0, 7600.0), (20.0, 4000)],
        [False, True],
        ["slaney", None],
    )
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mel_filters_bitwise_equal_to_librosa(dtype):
    mismatches = []
    for sr, n_fft, n_mels, (fmin, fmax), htk, norm in MEL_GRID:
        kw = dict(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
        ours, ref = fastmel.mel_filters(**kw, dtype=dtype), librosa.filters.mel(**kw, dtype=dtype)
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        if not np.array_equal(ours, ref):
            mismatches.append((kw, np.abs(ours - ref).max()))
    assert not mismatches, f"{len(mismatches)} of {len(MEL_GRID)} differ, e.g. {mismatches[:3]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm", [1, 2, np.inf, 1.5, 0.5, 3])
def test_mel_filters_p_norms_bitwise_equal_to_librosa(norm, dtype):
    # librosa.util.normalize takes the norm of the rounded triangles in float64, divides in
    # float64 and rounds to dtype again.
    for sr, n_fft, n_mels, (fmin, fmax), htk, _ in MEL_GRID[::7]:
        kw = dict(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
        ours, ref = fastmel.mel_filters(**kw, dtype=dtype), librosa.filters.mel(**kw, dtype=dtype)
        assert ours.dtype == ref.dtype
        np.testing.assert_array_equal(ours, ref, err_msg=str(kw))


def test_mel_filters_default_fmax_is_nyquist_and_cached_read_only():
    a = fastmel.mel_filters(sr=22050, n_fft=2048)
    np.testing.assert_array_equal(a, fastmel.mel_filters(sr=22050, n_fft=2048, fmax=11025.0))
    assert not a.flags.writeable
    fastmel.clear_cache()
    np.testing.assert_array_equal(a, fastmel.mel_filters(sr=22050, n_fft=2048))


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [1, 2, 7, 400, 511, 1024])
def test_windows_match_scipy_periodic(name, n):
    ref = scipy.signal.get_window(name, n, fftbins=True)
    np.testing.assert_array_equal(fastmel.get_window(name, n), ref)


EMPTY_GRID = [
    dict(sr=32000, n_fft=512, n_mels=256),  # (the case: 52 bands past the bins)
    dict(sr=16000, n_fft=512, n_mels=40, fmax=12000),  # fmax above Nyquist
    dict(sr=8000, n_fft=256, n_mels=128, fmin=100, htk=True),
    dict(sr=8000, n_fft=256, n_mels=128),  # (only the first band, from 0 Hz: no warning)
    dict(sr=16000, n_fft=400, n_mels=80),
    dict(sr=22050, n_fft=2048, n_mels=128, fmax=16000),  # above Nyquist, yet no band empty
]


@pytest.mark.parametrize("kw", EMPTY_GRID, ids=lambda kw: "-".join(map(str, kw.values())))
def test_empty_filters_warn_and_fmax_above_nyquist_computes_as_librosa(kw):
    import warnings

    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        basis = fastmel.mel_filters(**kw)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        ref = librosa.filters.mel(**kw)
    np.testing.assert_array_equal(basis, ref)
    ours = [w for w in ours if "Empty filters detected" in str(w.message)]
    assert len(ours) == len([w for w in theirs if "Empty filters" in str(w.message)])
    if ours:
        edges = librosa.mel_frequencies(
            kw["n_mels"] + 2,
            fmin=kw.get("fmin", 0.0),
            fmax=kw.get("fmax", kw["sr"] / 2),
            htk=kw.get("htk", False),
        )
        empty = int(((ref.max(axis=1) == 0) & (edges[:-2] > 0)).sum())
        assert f"{empty} of {kw['n_mels']} mel bands" in str(ours[0].message)
        assert ours[0].category is UserWarning


def test_the_module_warns_of_empty_filters_once_per_configuration():
    fastmel.clear_cache()
    with pytest.warns(UserWarning, match="Empty filters detected"):
        fastmel.MelSpectrogram(sr=32000, n_fft=512, n_mels=256)
