"""melspectrogram against librosa over random configurations (hypothesis, derandomized).

float64 only: it checks semantics (padding, framing, windows, filterbank, power, shapes,
dtypes, errors) at 1e-9, where float32 rounding cannot hide a difference. The fixed grid in
test_parity.py covers float32.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastmel
from fastmel.core.padding import PAD_MODES
from tests.conftest import assert_parity, make_signal


@st.composite
def configurations(draw) -> dict:
    sr = draw(st.sampled_from([8000, 11025, 16000, 22050, 24000, 44100, 48000]))
    n_fft = draw(st.integers(8, 2048))
    win_length = draw(st.one_of(st.none(), st.integers(4, n_fft)))
    hop_length = draw(st.one_of(st.none(), st.integers(1, 2 * n_fft)))
    fmax = draw(st.one_of(st.none(), st.floats(sr / 8, sr / 2)))
    fmin = draw(st.floats(0.0, 0.9 * (fmax or sr / 2)))
    return dict(
        sr=sr,
        n_fft=n_fft,
        win_length=win_length,
        hop_length=hop_length,
        window=draw(st.sampled_from(["hann", "hamming", "blackman", "bartlett", "boxcar"])),
        center=draw(st.booleans()),
        pad_mode=draw(st.sampled_from(PAD_MODES)),
        power=draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])),
        n_mels=draw(st.integers(1, 160)),
        fmin=fmin,
        fmax=fmax,
        htk=draw(st.booleans()),
        norm=draw(st.sampled_from(["slaney", None, 1.0, 2.0, np.inf])),
    )


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    kw=configurations(),
    seconds=st.floats(0.01, 0.5),
    kind=st.sampled_from(["speech", "noise", "chirp", "voiced"]),
    channels=st.sampled_from([0, 2]),
)
def test_random_configurations_match_librosa_in_float64(kw, seconds, kind, channels):
    y = make_signal(kind, kw["sr"], seconds)
    if channels:
        y = np.stack([y, y[::-1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa's empty-filter and short-signal warnings
        try:
            ref = librosa.feature.melspectrogram(y=y, **kw, dtype=np.float64)
        except librosa.util.exceptions.ParameterError:
            try:
                fastmel.melspectrogram(y=y, **kw, dtype=np.float64)
            except fastmel.ParameterError:
                return
            raise AssertionError(
                f"librosa refused {kw} for {y.shape[-1]} samples; fastmel did not"
            ) from None
        ours = fastmel.melspectrogram(y=y, **kw, dtype=np.float64)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    assert_parity(ours, ref, np.float64, str(kw))
