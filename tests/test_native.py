"""The optional C++ op: the same ATen ops as the eager flat route, so the same numbers bit
for bit over settings, lengths, batches and dtypes; built on request, refused in one line
where it cannot be built, and the eager ops go on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel.ops import native
from tests.conftest import make_signal

SETTINGS = [
    dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55.0, fmax=7600.0),
    dict(sr=16000, n_fft=400, hop_length=160, n_mels=80, fmax=8000.0),
    dict(sr=22050, n_fft=1024, hop_length=256, n_mels=80, fmax=8000.0),
    dict(sr=22050, n_fft=2048, hop_length=512, n_mels=128, center=False),
]


@pytest.fixture(scope="module")
def built():
    try:
        native.build()
    except RuntimeError as e:  # (no compiler here: the eager route is what runs)
        pytest.skip(str(e))
    yield
    native.disable()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s['sr']}-{s['n_fft']}")
@pytest.mark.parametrize("shape", [(1.0,), (3, 0.5), (2, 2, 0.3)], ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_the_native_op_gives_the_eager_numbers(built, setting, shape, dtype):
    *lead, seconds = shape
    n = int(seconds * setting["sr"])
    y = (
        torch.from_numpy(
            np.stack(
                [
                    make_signal("speech", setting["sr"], seconds, seed=i)
                    for i in range(int(np.prod(lead or [1])))
                ]
            )
        )
        .reshape(*lead, n)
        .to(dtype)
    )
    module = fastmel.MelSpectrogram(
        **setting, dtype=np.float64 if dtype == torch.float64 else np.float32
    )
    module(y)  # (routes the shape)
    assert module.route(y).plan is not None, "the native op serves the plan route"
    calls = []
    real = native._op

    class Counting:
        def mel_plan(self, *args):
            calls.append(1)
            return real.mel_plan(*args)

    native._op = Counting()
    try:
        got = module(y)
    finally:
        native._op = real
    assert calls, "the native op was not called"
    module.native = False
    assert torch.equal(got, module(y))


def test_build_failure_is_one_line_and_the_eager_ops_go_on(monkeypatch):
    import torch.utils.cpp_extension as ext

    def fail(*args, **kwargs):
        raise OSError("no compiler\ng++: not found")

    monkeypatch.setattr(native, "_built", None)
    monkeypatch.setattr(native, "_op", None)
    monkeypatch.setattr(ext, "load_inline", fail)
    with pytest.raises(RuntimeError, match="native op cannot be built here: g\\+\\+: not found"):
        native.build()
    assert not native.enabled()
    module = fastmel.MelSpectrogram(sr=16000)
    y = torch.from_numpy(make_signal("speech", 16000, 0.5).astype(np.float32))
    module(y)
    assert torch.equal(module(y), fastmel.MelSpectrogram(sr=16000)(y))
