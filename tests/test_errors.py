"""Bad input: a clear ParameterError (a ValueError) or TypeError naming the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel import ParameterError

Y = np.random.default_rng(0).standard_normal(4000).astype(np.float32)


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


BAD_AUDIO = [
    ("nan", np.array([0.0, np.nan, 1.0] * 1000, dtype=np.float32), ParameterError, "finite"),
    ("inf", np.array([0.0, np.inf, 1.0] * 1000), ParameterError, "finite"),
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
    (dict(window=42), TypeError, "window"),
    (dict(pad_mode="wrap"), ParameterError, "pad_mode"),
    (dict(norm="l2"), ParameterError, "norm"),
    (dict(power=0.0), ParameterError, "power"),
    (dict(power="2"), TypeError, "power"),
    (dict(center="yes"), TypeError, "center"),
    (dict(dtype=np.int32), ParameterError, "dtype"),
]


@pytest.mark.parametrize("kw,exc,match", BAD_PARAMS, ids=[str(b[0]) for b in BAD_PARAMS])
def test_bad_parameters_name_themselves(kw, exc, match):
    kw = dict(dict(sr=16000, n_fft=2048), **kw)
    with pytest.raises(exc, match=match):
        fastmel.melspectrogram(y=Y, **kw)
    with pytest.raises(exc, match=match):  # the module validates at construction
        fastmel.MelSpectrogram(**kw)


def test_uncentered_signal_shorter_than_n_fft():
    with pytest.raises(ParameterError, match="n_fft"):
        fastmel.melspectrogram(y=Y[:100], sr=16000, n_fft=512, center=False)
    with pytest.raises(ParameterError, match="n_fft"):
        fastmel.MelSpectrogram(sr=16000, n_fft=512, center=False)(torch.from_numpy(Y[:100]))


def test_reflect_padding_longer_than_signal():
    with pytest.raises(ParameterError, match="reflect"):
        fastmel.melspectrogram(y=Y[:256], sr=16000, n_fft=512, pad_mode="reflect")
    with pytest.raises(ParameterError, match="reflect"):
        fastmel.MelSpectrogram(sr=16000, n_fft=512, pad_mode="reflect")(torch.from_numpy(Y[:256]))


def test_module_forward_checks_type_dtype_and_shape_only():
    m = fastmel.MelSpectrogram(sr=16000, n_fft=512)
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        m(Y)
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
