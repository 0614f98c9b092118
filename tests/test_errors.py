"""Bad input: a clear ParameterError (a ValueError) or TypeError naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel import ParameterError
from tests.conftest import assert_parity

Y = np.random.default_rng(0).standard_normal(4000).astype(np.float32)


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


BAD_AUDIO = [
    ("nan", np.array([0.0, np.nan, 1.0] * 1000, dtype=np.float32), ParameterError, "finite"),
    ("inf", np.array([0.0, np.inf, 1.0] * 1000), ParameterError, "finite"),
    ("-inf", np.array([0.0, -np.inf, 1.0] * 1000, dtype=np.float32), ParameterError, "finite"),
    ("inf-inf", np.array([np.inf, -np.inf, 1.0] * 1000), ParameterError, "finite"),
    ("nan-batch", np.stack([Y, np.append(Y[:-1], np.nan)]), ParameterError, "NaN"),
    ("int", np.arange(4000, dtype=np.int16), ParameterError, "floating"),
    ("complex", Y.astype(np.complex64), ParameterError, "floating"),
    ("empty", np.zeros(0, dtype=np.float32), ParameterError, "empty"),
    ("scalar", np.float32(1.0), TypeError, "y must be"),
    ("0-d", np.array(1.0), ParameterError, "one-dimensional"),
    ("list", [0.0] * 4000, TypeError, "y must be"),
]


@pytest.mark.parametrize("name,y,exc,match", BAD_AUDIO, ids=[b[0] for b in BAD_AUDIO])
def test_function_rejects_bad_audio(name, y, exc, match):
    with pytest.raises(exc, match=match):
        fastmel.melspectrogram(y=y, sr=16000)
    if isinstance(y, np.ndarray) and y.ndim and name != "int":  # and as a tensor
        with pytest.raises(exc, match=match):
            fastmel.melspectrogram(y=torch.from_numpy(y), sr=16000)


def test_function_accepts_finite_audio_whose_sum_overflows():
    # The finite check sums the audio first; a sum that overflows is not an error.
    import librosa

    # 4000 samples of +-3e4 in float16 sum past its range (65504); their spectra do not
    # (fastmel computes float16 audio in float32, as librosa does)
    y = np.where(Y < 0, -3e4, 3e4).astype(np.float16)
    y[:2000] = 3e4
    assert not np.isfinite(torch.from_numpy(y).sum().item())
    got = fastmel.melspectrogram(y=y, sr=16000, n_fft=512)
    assert_parity(got, librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512), torch.float32)
    # float32 audio whose sum overflows: refused by neither (no parity here: such samples,
    # ~1e35, square past float32's range in either library)
    y32 = y.astype(np.float32) * np.float32(1e31)
    assert not np.isfinite(torch.from_numpy(y32).sum().item())
    assert fastmel.melspectrogram(y=y32, sr=16000, n_fft=512).shape == got.shape


BAD_PARAMS = [
    (dict(n_fft=0), ParameterError, "n_fft"),
    (dict(n_fft=-512), ParameterError, "n_fft"),
    (dict(n_fft=512.0), TypeError, "n_fft"),
    (dict(hop_length=0), ParameterError, "hop_length"),
    (dict(win_length=0), ParameterError, "win_length"),
    (dict(win_length=4096), ParameterError, "win_length"),
    (dict(n_mels=0), ParameterError, "n_mels"),
    (dict(sr=0), ParameterError, "sr"),
    (dict(sr=-16000), ParameterError, "sr"),
    (dict(sr="16k"), TypeError, "sr"),
    (dict(fmin=-1.0), ParameterError, "fmin"),
    (dict(fmin=8000.0, fmax=4000.0), ParameterError, "fmin"),
    (dict(fmin=8000.0), ParameterError, "fmin"),  # fmax defaults to sr / 2 = 8000
    (dict(window="kaiser"), ParameterError, "window"),
    (dict(window=np.ones(100)), ParameterError, "window"),
    (dict(window=b"hann"), TypeError, "window"),
    (dict(window="no-such-window"), ParameterError, "window='no-such-window'"),
    (dict(window=("gaussian", 0.0)), ParameterError, "not finite"),
    (dict(pad_mode="wrap"), ParameterError, "pad_mode"),
    (dict(norm="l2"), ParameterError, "norm"),
    (dict(power=0.0), ParameterError, "power"),
    (dict(power="2"), TypeError, "power"),
    (dict(center="yes"), TypeError, "center"),
    (dict(dtype=np.int32), ParameterError, "dtype"),
    (dict(fmin=None), TypeError, "fmin must be a real number, got NoneType"),
    (dict(fmax="8k"), TypeError, "fmax must be a real number, got str"),
    (dict(n_fft=2**63), ParameterError, r"n_fft=\d+ must be a positive integer"),
    (dict(hop_length=2**63), ParameterError, "hop_length"),
    (dict(n_mels=2**40), ParameterError, "n_mels"),
    (dict(hop_length=None, win_length=3), ParameterError, "hop_length=0"),  # 3 // 4
]


@pytest.mark.parametrize("kw,exc,match", BAD_PARAMS, ids=[str(b[0]) for b in BAD_PARAMS])
def test_bad_parameters_name_themselves(kw, exc, match):
    kw = dict(dict(sr=16000, n_fft=2048), **kw)
    with pytest.raises(exc, match=match):
        fastmel.melspectrogram(y=Y, **kw)
    with pytest.raises(exc, match=match):  # the module validates at construction
        fastmel.MelSpectrogram(**kw)


S_POWER = np.abs(Y.reshape(40, 100))


def test_a_cached_valid_call_does_not_answer_an_equal_invalid_one():
    # 512.0 == 512 and hashes as it: the configuration cache must still refuse the float
    fastmel.melspectrogram(y=Y, sr=16000, n_fft=512)
    with pytest.raises(TypeError, match="n_fft"):
        fastmel.melspectrogram(y=Y, sr=16000, n_fft=512.0)
    fastmel.melspectrogram(S=S_POWER, sr=16000, n_mels=16)  # (the basis cache of S=)
    with pytest.raises(TypeError, match="n_mels"):
        fastmel.melspectrogram(S=S_POWER, sr=16000, n_mels=16.0)


OTHER_BAD = [
    (
        "mfcc",
        lambda **k: fastmel.mfcc(y=Y, sr=16000, **k),
        [
            (dict(lifter=float("inf")), ParameterError, "lifter=inf must be a finite number"),
            (dict(lifter="1"), TypeError, "lifter must be a real number"),
            (dict(dct_type=True), TypeError, "dct_type must be an int"),
            (dict(n_mfcc=0), ParameterError, "n_mfcc"),
            (dict(mel_norm="l2"), ParameterError, "mel_norm='l2'"),
        ],
    ),
    (
        "MFCC",
        lambda **k: fastmel.MFCC(sr=16000, **k),
        [
            (dict(lifter=float("nan")), ParameterError, "lifter"),
            (dict(mel_norm=0), ParameterError, "mel_norm=0"),
        ],
    ),
    (
        "power_to_db",
        lambda **k: fastmel.power_to_db(S_POWER, **k),
        [
            (dict(ref=None), TypeError, "ref must be a real number, got NoneType"),
            (dict(ref=np.ones(3)), ParameterError, "ref must be a scalar or 0-d"),
            (dict(amin="1e-10"), TypeError, "amin must be a real number"),
            (dict(top_db="80"), TypeError, "top_db must be a real number"),
        ],
    ),
    (
        "amplitude_to_db",
        lambda **k: fastmel.amplitude_to_db(S_POWER, **k),
        [
            (dict(ref=[1.0]), TypeError, "ref must be a real number, got list"),
            (dict(amin=None), TypeError, "amin must be a real number"),
        ],
    ),
    (
        "mel_windows",
        lambda **k: fastmel.mel_windows(S_POWER, **k),
        [
            (dict(fps=float("inf")), ParameterError, "fps=inf must be a positive finite"),
            (dict(fps=25, mel_fps=float("inf")), ParameterError, "mel_fps=inf"),
            (dict(fps=None), TypeError, "fps must be a real number"),
            (dict(fps=25, step=16.0), TypeError, "step must be an int"),
        ],
    ),
    (
        "MelWindows",
        lambda **k: fastmel.MelWindows(**k),
        [
            (dict(fps=float("nan")), ParameterError, "fps=nan"),
            (dict(fps=25, step=0), ParameterError, "step=0"),
        ],
    ),
    (
        "preset",
        lambda **k: fastmel.preset(**k),
        [
            (dict(name=["whisper"]), TypeError, "preset name must be a str, got list"),
            (dict(name="whisperx"), ParameterError, "preset 'whisperx' is not one of"),
        ],
    ),
    (
        "mel_filters",
        lambda **k: fastmel.mel_filters(sr=16000, n_fft=512, **k),
        [
            (dict(dtype="x"), TypeError, "dtype='x' must be a NumPy floating dtype"),
            (dict(dtype=np.int64), TypeError, "dtype=.* must be a NumPy floating dtype"),
            (dict(n_mels=2**63), ParameterError, "n_mels"),
        ],
    ),
    (
        "fft_frequencies",
        lambda **k: fastmel.fft_frequencies(**k),
        [
            (dict(n_fft=0), ParameterError, "n_fft=0"),
            (dict(sr=float("inf")), ParameterError, "sr=inf"),
            (dict(n_fft=1.5), TypeError, "n_fft must be an int"),
        ],
    ),
    (
        "mel_frequencies",
        lambda **k: fastmel.mel_frequencies(**k),
        [
            (dict(n_mels=-1), ParameterError, "n_mels=-1"),
            (dict(n_mels=None), TypeError, "n_mels must be an int"),
            (dict(fmin="0"), TypeError, "fmin must be a real number"),
        ],
    ),
]


@pytest.mark.parametrize(
    "call,kw,exc,match",
    [(call, *case) for _, call, cases in OTHER_BAD for case in cases],
    ids=[f"{name}-{case[0]}" for name, _, cases in OTHER_BAD for case in cases],
)
def test_bad_parameters_of_every_public_function_name_themselves(call, kw, exc, match):
    with pytest.raises(exc, match=match):
        call(**kw)


def test_uncentered_signal_shorter_than_n_fft():
    with pytest.raises(ParameterError, match="n_fft"):
        fastmel.melspectrogram(y=Y[:100], sr=16000, n_fft=512, center=False)
    with pytest.raises(ParameterError, match="n_fft"):
        fastmel.MelSpectrogram(sr=16000, n_fft=512, center=False)(torch.from_numpy(Y[:100]))


def test_reflect_padding_longer_than_signal_with_a_presets_own_padding():
    # librosa's centring reflects a short signal repeatedly as np.pad does (test_parity);
    # the presets' references pad with torch, which refuses, and so do the presets.
    fe = fastmel.preset("hifigan")  # reflect pad (n_fft - hop) / 2 = 384
    with pytest.raises(ParameterError, match="reflect"):
        fe(torch.from_numpy(Y[:384]))
    assert fe(torch.from_numpy(Y[:385])).shape[-1] == 1


def test_module_forward_checks_type_dtype_and_shape_only():
    m = fastmel.MelSpectrogram(sr=16000, n_fft=512)
    with pytest.raises(TypeError, match="y must be a torch.Tensor or np.ndarray, got list"):
        m(Y.tolist())
    with pytest.raises(ParameterError, match="floating"):
        m(torch.arange(4000))
    with pytest.raises(ParameterError, match="floating"):
        m(torch.from_numpy(Y).to(torch.complex64))
    with pytest.raises(ParameterError, match="dimension"):
        m(torch.tensor(1.0))
    with pytest.raises(ParameterError, match="empty"):
        m(torch.zeros(2, 0))
    # documented: no host sync, so NaN propagates instead of raising
    out = m(torch.full((4000,), float("nan")))
    assert torch.isnan(out).all()


def test_spectrogram_input_errors():
    with pytest.raises(ParameterError, match="y or S"):
        fastmel.melspectrogram(sr=16000)
    with pytest.raises(ParameterError, match="S"):
        fastmel.melspectrogram(S=np.ones(5, dtype=np.float32), sr=16000)
    with pytest.raises(ParameterError, match="S is not finite"):
        fastmel.melspectrogram(S=np.full((257, 3), np.nan), sr=16000)
