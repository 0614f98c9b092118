"""MelSpectrogram as a module: buffers, dtypes, devices, batching, autograd, torch.compile."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

import fastmel
from tests.conftest import DEVICES, assert_parity, make_signal

KW = dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55.0, fmax=7600.0)


def _y(seconds=1.0, dtype=np.float32):
    return make_signal("speech", 16000, seconds).astype(dtype)


def test_constants_are_non_persistent_buffers():
    m = fastmel.MelSpectrogram(**KW)
    assert m.state_dict() == {}
    assert {n for n, _ in m.named_buffers()} == {"window", "mel_basis", "_projection"}
    assert list(m.parameters()) == []
    assert m.mel_basis.shape == (80, 401) and m.window.shape == (800,)
    # the float32 basis is librosa's, bitwise
    np.testing.assert_array_equal(
        m.mel_basis.numpy(), librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    )


def test_double_rebuilds_from_float64_and_matches_librosa_float64():
    m = fastmel.MelSpectrogram(**KW).double()
    assert m.dtype == torch.float64
    np.testing.assert_array_equal(
        m.mel_basis.numpy(),
        librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600, dtype=np.float64),
    )
    y = _y(dtype=np.float64)
    ref = librosa.feature.melspectrogram(y=y, **KW, dtype=np.float64)
    assert_parity(m(torch.from_numpy(y)), ref, np.float64)
    m.float().double()  # a round trip through float32 must not lose precision
    assert_parity(m(torch.from_numpy(y)), ref, np.float64, "after float().double()")


def test_module_computes_in_its_dtype():
    m = fastmel.MelSpectrogram(**KW)
    assert m(torch.from_numpy(_y(dtype=np.float64))).dtype == torch.float32
    assert m.double()(torch.from_numpy(_y())).dtype == torch.float64


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_precision_input_is_computed_in_float32_and_returned_as_input(half):
    m = fastmel.MelSpectrogram(**KW)
    y = torch.from_numpy(_y()).to(half)
    out = m(y)
    assert out.dtype == half
    ref = m(y.float())
    assert torch.equal(out, ref.to(half))
    m.half()  # a half module still computes in float32
    assert m.dtype == torch.float32 and torch.equal(m(y), out)


def test_batch_consistency():
    m = fastmel.MelSpectrogram(**KW)
    y = torch.from_numpy(np.stack([_y(), make_signal("chirp", 16000).astype(np.float32)]))
    batch = m(y.reshape(2, 1, -1))
    assert batch.shape == (2, 1, 80, 81)
    for i in range(2):
        assert_parity(batch[i, 0], m(y[i]), torch.float32, f"item {i}")


def test_autograd_matches_finite_differences():
    m = fastmel.MelSpectrogram(sr=8000, n_fft=64, hop_length=16, n_mels=8, dtype=torch.float64)
    y = torch.randn(200, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: m(x), (y,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("pad_mode", fastmel.core.padding.PAD_MODES)
def test_device_parity_with_librosa(device, pad_mode):
    m = fastmel.MelSpectrogram(**KW, pad_mode=pad_mode).to(device)
    assert m.window.device.type == device
    y = _y()
    out = m(torch.from_numpy(y).to(device))
    assert out.device.type == device
    assert_parity(out, librosa.feature.melspectrogram(y=y, **KW, pad_mode=pad_mode), np.float32)
    fn_out = fastmel.melspectrogram(y=torch.from_numpy(y).to(device), **KW, pad_mode=pad_mode)
    assert fn_out.device.type == device


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_cuda_forward_does_not_synchronise():
    m = fastmel.MelSpectrogram(**KW).cuda()
    y = torch.from_numpy(_y()).cuda()
    m(y)  # warm-up (cuFFT plan)
    torch.cuda.set_sync_debug_mode("error")
    try:
        m(y)
    finally:
        torch.cuda.set_sync_debug_mode(0)


@pytest.mark.parametrize(
    "center,pad_mode", [(True, "constant"), (True, "reflect"), (False, "constant")]
)
def test_compiles_with_fullgraph_and_matches_eager(center, pad_mode):
    torch._dynamo.reset()
    m = fastmel.MelSpectrogram(**KW, center=center, pad_mode=pad_mode)
    compiled = torch.compile(m, fullgraph=True)
    y = torch.from_numpy(np.stack([_y(0.5), _y(0.5)[::-1].copy()]))
    assert_parity(compiled(y), m(y), torch.float32, "compiled")


def test_function_caches_modules_and_clear_cache():
    from fastmel.feature import spectrogram

    fastmel.clear_cache()
    fastmel.melspectrogram(y=_y(), **KW)
    fastmel.melspectrogram(y=_y(), **KW)
    info = spectrogram._cached_module.cache_info()
    assert info.hits == 1 and info.misses == 1
    fastmel.clear_cache()
    assert spectrogram._cached_module.cache_info().currsize == 0


def test_concurrent_calls_from_threads_equal_librosa():
    # A server calling fastmel from a thread pool: the cached modules are built by whichever
    # thread comes first (clear_cache makes them race) and shared; modules keep no per-call
    # state, so every call must still give librosa's numbers.
    from concurrent.futures import ThreadPoolExecutor

    configs = [KW, dict(KW, pad_mode="reflect", power=1.0), dict(sr=22050, n_mels=64)]
    tasks = [(c, seconds) for c in configs for seconds in (0.04, 0.3, 1.0, 2.5)] * 2
    module = fastmel.MelSpectrogram(**KW)

    def run(task):
        config, seconds = task
        y = make_signal("speech", config["sr"], seconds).astype(np.float32)
        return fastmel.melspectrogram(y=y, **config), module(torch.from_numpy(y)), y

    fastmel.clear_cache()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, tasks))
    for (config, seconds), (ours, shared, y) in zip(tasks, results, strict=True):
        what = f"{config} {seconds} s"
        assert_parity(ours, librosa.feature.melspectrogram(y=y, **config), np.float32, what)
        if config is KW:
            assert_parity(shared, ours, np.float32, f"shared module, {what}")


@pytest.mark.parametrize("shape", [(8000,), (3, 4000)])
def test_a_shape_routed_before_takes_the_flat_call_with_a_kept_pad(shape):
    # The common CPU call, once its shape is routed, runs as one short sequence of ops and
    # copies its samples into a zero-padded buffer it keeps: its edges must stay zero and
    # every call must give what a module meeting the shape for the first time gives.
    m = fastmel.MelSpectrogram(**KW)
    kinds = ["speech", "chirp", "noise", "fullscale", "silence"]
    ys = [
        torch.from_numpy(make_signal(kind, 16000, 1.0, seed=i).astype(np.float32)[: np.prod(shape)])
        for i, kind in enumerate(kinds)
    ]
    for y in ys + ys[::-1]:
        y = y.reshape(shape)
        got = m(y)
        route = m.route(y)
        assert route.flat and route.padded is not None and route.plan is not None
        first = fastmel.MelSpectrogram(**KW)(y)  # (its first call: the general steps)
        assert torch.equal(got, first)
        c = dict(KW)
        assert_parity(got, librosa.feature.melspectrogram(y=y.numpy(), **c), np.float32, "flat")
    edges = route.padded.middle._base if route.padded.middle._base is not None else None
    assert edges is not None and not edges[..., :400].any() and not edges[..., -400:].any()


def test_calls_that_leave_the_flat_route_compute_the_same():
    # float64 input to a float32 module, autograd, a non-contiguous input and a new shape
    # each take the general steps; all equal the flat call on the same samples.
    m = fastmel.MelSpectrogram(**KW)
    y = torch.from_numpy(_y(0.5))
    flat = m(y)
    assert m.route(y).flat
    assert torch.equal(m(y.double()), flat)
    assert torch.equal(m(y.clone().requires_grad_(True)).detach(), flat)
    strided = torch.stack([y, y], -1)[..., 0]
    assert torch.equal(m(strided), flat)
    assert not m.route(y.clone().requires_grad_(True)).flat


def test_a_flat_call_runs_in_and_out_of_inference_mode_whichever_came_first():
    # The kept buffer is written in place on every call: made under inference_mode, it
    # must still take calls outside it (and the other way round).
    y = torch.from_numpy(_y(0.5))
    for first_inside in (True, False):
        m = fastmel.MelSpectrogram(**KW)
        calls = [torch.inference_mode(first_inside), torch.inference_mode(not first_inside)]
        outs = []
        for mode in calls * 2:
            with mode:
                outs.append(m(y).clone())
        assert all(torch.equal(o, outs[0]) for o in outs)


def test_a_flat_call_whose_buffer_is_taken_pads_its_own():
    # A second thread on the same shape finds the kept buffer's lock taken: it pads a copy.
    m = fastmel.MelSpectrogram(**KW)
    y = torch.from_numpy(_y(0.5))
    expected = m(y)
    kept = m.route(y).padded
    assert kept.lock.acquire(False)
    try:
        other = torch.from_numpy(make_signal("chirp", 16000, 0.5).astype(np.float32))
        assert torch.equal(m(other), fastmel.MelSpectrogram(**KW)(other))
    finally:
        kept.lock.release()
    assert torch.equal(m(y), expected)


def test_repr_names_the_configuration():
    assert "n_fft=800" in repr(fastmel.MelSpectrogram(**KW))


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_long_inputs_are_processed_in_blocks_with_the_same_result(shape, monkeypatch):
    from fastmel.feature import spectrogram

    y = torch.from_numpy(make_signal("speech", 16000, 2.0).astype(np.float32)).expand(*shape, -1)
    m = fastmel.MelSpectrogram(**KW)
    whole = m(y)  # 161 frames per item: one block
    monkeypatch.setattr(spectrogram, "BLOCK_SAMPLES", 7 * 800)  # blocks of a few frames
    m = fastmel.MelSpectrogram(**KW)  # (a module keeps the routes it chose)
    assert m.route(y).block
    assert_parity(m(y), whole, torch.float32, "blocked")
    ref = librosa.feature.melspectrogram(y=y.numpy(), **KW)
    assert_parity(m(y), ref, np.float32, "blocked vs librosa")


def test_a_long_signal_matches_librosa():
    y = make_signal("speech", 16000, 30.0).astype(np.float32)  # above the block threshold
    assert_parity(
        fastmel.MelSpectrogram(**KW)(torch.from_numpy(y)),
        librosa.feature.melspectrogram(y=y, **KW),
        np.float32,
    )


def _copies(module):
    import copy
    import io
    import pickle

    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    yield "pickle", pickle.loads(pickle.dumps(module))
    yield "deepcopy", copy.deepcopy(module)
    yield "torch.save", torch.load(buffer, weights_only=False)


MODULE_KINDS = {
    "MelSpectrogram": lambda: fastmel.MelSpectrogram(**KW),
    "float64": lambda: fastmel.MelSpectrogram(**KW, dtype=torch.float64),
    "MFCC": lambda: fastmel.MFCC(sr=16000, n_mfcc=13),
    **{f"preset {name}": (lambda name=name: fastmel.preset(name)) for name in fastmel.PRESETS},
}


@pytest.mark.parametrize("kind", MODULE_KINDS)
def test_pickled_deep_copied_and_saved_modules_compute_the_same(kind):
    module = MODULE_KINDS[kind]()
    y = torch.from_numpy(np.stack([_y(), make_signal("chirp", 16000).astype(np.float32)]))
    expected = module(y)
    for how, copied in _copies(module):
        assert torch.equal(copied(y), expected), how
        copied.double()  # an independent copy: converting it leaves the original as it was
        assert torch.equal(module(y), expected), how


def test_a_loaded_module_rebuilds_its_derived_state_for_where_it_is_loaded(monkeypatch):
    # A module built where the Triton kernel runs (a GPU), loaded where it does not (a CPU):
    # the kernel path is decided again on load, not carried in the pickle.
    from fastmel.ops import fused

    monkeypatch.setattr(fused, "runs_on", lambda device: True)
    module = fastmel.MelSpectrogram(**KW)
    assert module._frames is not None
    monkeypatch.undo()
    for how, copied in _copies(module):
        assert copied._frames is None, how
        assert copied._win is copied.window and copied.dtype == torch.float32, how
        y = _y()
        ref = librosa.feature.melspectrogram(y=y, **KW)
        assert_parity(copied(torch.from_numpy(y)), ref, np.float32, how)


@pytest.mark.parametrize("kind", ["MelSpectrogram", "MFCC", "preset wav2lip", "preset whisper"])
def test_torch_export_gives_a_program_equal_to_eager(kind):
    # (up to summation order: an export takes one projection plan for every length, where
    # eager calls choose one by the number of frames; tests/test_export.py has the rest)
    module = MODULE_KINDS[kind]()
    y = torch.from_numpy(np.stack([_y(), make_signal("chirp", 16000).astype(np.float32)]))
    program = torch.export.export(module, (y,))
    assert_parity(program.module()(y), module(y), torch.float32, "torch.export")
