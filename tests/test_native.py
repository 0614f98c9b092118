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


STREAM_SETTINGS = [
    *SETTINGS,
    dict(sr=16000, n_fft=512, hop_length=128, n_mels=40, pad_mode="reflect"),
    dict(sr=16000, n_fft=400, hop_length=100, n_mels=64, pad_mode="edge"),
]


def _chunks(n: int, sizes: list[int]) -> list[int]:
    """Cut points for chunks of the given sizes, cycled until ``n`` samples."""
    cuts, j = [0], 0
    while cuts[-1] < n:
        cuts.append(min(n, cuts[-1] + sizes[j % len(sizes)]))
        j += 1
    return cuts


@pytest.mark.parametrize("setting", STREAM_SETTINGS, ids=lambda s: f"{s['sr']}-{s['n_fft']}")
@pytest.mark.parametrize("lead", [(), (3,), (2, 2)], ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("inference", [True, False], ids=["inference_mode", "autograd_on"])
def test_the_native_push_gives_the_eager_frames(built, setting, lead, dtype, inference):
    # chunk sizes from none to a few FFT lengths, so pushes of 0, 1 and many frames, the
    # "full" and "matmul" products and the eager fallback past the op's rows all occur
    sr = setting["sr"]
    n_fft = setting["n_fft"]
    items = int(np.prod(lead or (1,)))
    n = int(1.3 * sr)
    y = torch.from_numpy(
        np.stack([make_signal("speech", sr, n / sr, seed=i)[:n] for i in range(items)])
    )
    y = y.reshape(*lead, n).to(dtype)
    sizes = [0, 1, 37, 640, n_fft - 1, 3 * n_fft + 5, 160, 4 * n_fft - 1]
    cuts = _chunks(n, sizes)
    module = fastmel.MelSpectrogram(
        **setting, dtype=np.float64 if dtype == torch.float64 else np.float32
    )
    calls = []
    real = native.mel_push

    def counting(*args):
        got = real(*args)
        calls.append(-1 if got[0] is None else got[2] - args[2])  # (frames made)
        return got

    def run(native_on: bool) -> list[torch.Tensor]:
        module.native = native_on
        stream = fastmel.MelStream(module)
        with torch.inference_mode(inference):
            parts = [stream.push(y[..., a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
            parts.append(stream.flush())
        return parts

    native.mel_push = counting
    try:
        got = run(True)
    finally:
        native.mel_push = real
    want = run(False)
    assert any(k > 0 for k in calls), "the native op made no frames"
    assert 0 in calls, "no push without frames went through the op"
    if lead == (2, 2):  # (4 streams of the longest chunks need more rows than it serves)
        assert -1 in calls, "no push was left to the eager ops"
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert torch.equal(a, b)
        assert a.is_inference() == inference
    whole = module(y)
    assert torch.cat(got, -1).shape == whole.shape


def test_the_native_push_leaves_other_pushes_to_the_eager_ops(built):
    module = fastmel.MelSpectrogram(sr=16000, n_fft=400, hop_length=160, n_mels=80)
    op, constants = native.mel_push, module.push_constants()
    max_rows = constants[-1]
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32))
    stream = fastmel.MelStream(module)
    stream.push(y[:1000])
    state = (stream._buf, stream._next_frame, stream._buf_start, stream._n_in)
    chunk = y[1000:1640]
    args = (state[1], state[2], state[3], stream._edge, 400, 160, 1600, *constants)
    assert op(state[0], chunk, *args)[0] is not None
    refused = [
        chunk.double(),  # another dtype
        chunk.clone().requires_grad_(),  # autograd
        chunk[None],  # another leading shape
        y[1000:2600],  # a long chunk
    ]
    for x in refused:
        got = op(state[0], x, *args)
        assert got[0] is None and got[1] is state[0] and got[2:] == state[1:]
    # more rows than the op's products serve
    many = state[0].expand(max_rows + 1, -1).contiguous()
    assert op(many, chunk.expand(max_rows + 1, -1), *args)[0] is None
    module.native = False
    assert module.push_constants() is None
    # powers other than 2 and Kaldi's framing take routes the op does not serve
    for kw in (dict(power=1.0), dict(power=0.5), dict(center=False)):
        served = fastmel.MelSpectrogram(sr=16000, **kw).push_constants() is not None
        assert served == (kw.get("power", 2.0) == 2.0)
    assert fastmel.preset("kaldi").mel.push_constants() is None  # (Kaldi's framing)
    native.disable()
    try:
        assert native.mel_push is None and not native.enabled()
        module.native = True  # (wanted, but not built: the eager ops run)
        eager = fastmel.MelStream(module)
        assert [eager.push(y[:1000]).shape[-1], eager.push(chunk).shape[-1]] == [6, 4]
    finally:
        native.build()
    assert native.mel_push is not None
