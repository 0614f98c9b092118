"""The fixed-chunk stream behind CUDAGraphStream: equal to MelStream push for push.

The static-buffer algorithm (``_StaticStream``) runs on any device, so it is checked here
on the CPU over every streaming configuration; the CUDA cases capture it in graphs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastmel
from fastmel.runtime.graph import CUDAGraphStream, _phases, _StaticStream
from tests.conftest import assert_parity, make_signal
from tests.test_streaming import CONFIGS, IDS, MODULES, expected_frames

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")


def push_all(stream, y: torch.Tensor, chunk: int, tail: bool = True) -> torch.Tensor:
    """Push ``y`` in chunks of ``chunk`` (the remainder too if ``tail``), then flush."""
    n_whole = y.shape[-1] // chunk
    parts = [stream.push(y[..., i * chunk : (i + 1) * chunk]).clone() for i in range(n_whole)]
    if tail and y.shape[-1] % chunk:
        parts.append(stream.push(y[..., n_whole * chunk :]).clone())
    parts.append(stream.flush())
    return torch.cat(parts, dim=-1)


@pytest.mark.parametrize("chunk", [1, 199, 200, 640, 1013])
@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=IDS)
def test_static_stream_equals_mel_stream(index, chunk):
    module, c = MODULES[index], MODULES[index].config
    y = torch.from_numpy(make_signal("speech", 16000, 0.5).astype(np.float32))
    y = torch.stack([y, y.flip(-1)])  # two streams advanced together
    n = y.shape[-1] // chunk * chunk
    static = _StaticStream(fastmel.MelStream(module), y[..., :chunk])
    for i in range(n // chunk):
        out = static.push(y[..., i * chunk : (i + 1) * chunk])
        assert out.shape[-1] == expected_frames(c, (i + 1) * chunk) - (
            expected_frames(c, i * chunk)
        ), f"push {i}: not every complete frame came out, or too many"
        assert static.frames_emitted == expected_frames(c, (i + 1) * chunk)
    static.reset()
    assert_parity(push_all(static, y[..., :n], chunk), module(y[..., :n]), torch.float32)
    static.reset()  # and with a last partial chunk, which goes on eagerly
    assert_parity(push_all(static, y, chunk), module(y), torch.float32, "partial last chunk")


@pytest.mark.parametrize("name", ["wav2lip", "hifigan", "vocos", "styletts2", "kaldi", "nemo"])
def test_static_stream_of_causal_presets(name):
    fe = fastmel.preset(name, **({"normalize": None} if name == "nemo" else {}))
    sr = int(type(fe).audio_rate())
    y = torch.from_numpy(make_signal("speech", sr, 0.7).astype(np.float32))
    chunk = int(0.04 * sr)
    static = _StaticStream(fastmel.MelStream(fe), y[:chunk])
    n = y.shape[-1] // chunk * chunk
    # pre-emphasis state and per-frame post-processing carried through the static steps
    assert_parity(push_all(static, y[:n], chunk), fe(y[:n]), torch.float32, name)


def test_a_static_stream_built_under_inference_mode_runs_outside_it():
    # Its buffers are written in place on every push: made as inference tensors they could
    # not be written outside inference_mode (a server that builds under it, serves without).
    module = MODULES[0]
    y = torch.from_numpy(make_signal("speech", 16000, 0.5).astype(np.float32))
    n = y.shape[-1] // 640 * 640
    with torch.inference_mode():
        static = _StaticStream(fastmel.MelStream(module), y[:640])
    parts = []
    for i, chunk in enumerate(y[:n].split(640)):  # pushes alternate in and out of the mode
        with torch.inference_mode(mode=bool(i % 2)):
            parts.append(static.push(chunk).clone())
    parts.append(static.flush())
    assert_parity(torch.cat(parts, -1), module(y[:n]), torch.float32)


def test_phases_cycle_with_the_hop():
    plan = _phases(800, 200, 640, 640 + 400 - 2 * 200)  # after one 640-sample push
    assert sorted(k for k, _ in plan.values()) == [3, 3, 3, 3, 4]
    assert len(_phases(400, 160, 640, 240)) == 1  # 640 = 4 hops: one phase
    assert len(_phases(1024, 256, 882, 0)) == 1 + 128  # the entry state, then hop / gcd


def test_static_stream_edges():
    m = MODULES[0]
    stream = _StaticStream(fastmel.MelStream(m), torch.zeros(640))
    with pytest.raises(fastmel.ParameterError, match="empty"):
        stream.flush()  # nothing pushed: an empty signal, as the module says
    stream.reset()
    stream.push(torch.zeros(640))
    stream.flush()
    with pytest.raises(fastmel.ParameterError, match="push after flush"):
        stream.push(torch.zeros(640))
    with pytest.raises(fastmel.ParameterError, match="at least one sample"):
        _StaticStream(fastmel.MelStream(m), torch.zeros(0))
    with pytest.raises(TypeError, match="MelStream"):
        _StaticStream(m, torch.zeros(640))
    with pytest.raises(TypeError, match="chunk must be a torch.Tensor"):
        stream.reset() or stream.push(np.zeros(640))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_graph_stream_without_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="needs a CUDA device"):
        fastmel.cuda_graph(fastmel.MelStream(MODULES[0]), torch.zeros(640))


@needs_cuda
@pytest.mark.parametrize("index", [0, 1, 3, 6], ids=[IDS[i] for i in (0, 1, 3, 6)])
@pytest.mark.parametrize("batch", [1, 64])
def test_graph_stream_equals_module(index, batch):
    module = MODULES[index].cuda()
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32)).cuda()
    y = torch.stack([y.roll(997 * i) for i in range(batch)])
    run = fastmel.cuda_graph(fastmel.MelStream(module), y[:, :640])
    assert isinstance(run, CUDAGraphStream)
    assert_parity(push_all(run, y, 640), module(y), torch.float32, f"batch {batch}")
    run.reset()
    run.push(y[:, :640])  # the eager first push
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in range(1, 12):
            out = run.push(y[:, 640 * i : 640 * (i + 1)])
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert out.device.type == "cuda"


@needs_cuda
def test_graph_stream_of_a_preset_and_its_errors():
    fe = fastmel.preset("wav2lip").cuda()
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32)).cuda()
    run = fastmel.cuda_graph(fastmel.MelStream(fe), y[:640])
    assert_parity(push_all(run, y[:15360], 640), fe(y[:15360]), torch.float32, "wav2lip")
    with pytest.raises(fastmel.ParameterError, match="move it to the GPU"):
        fastmel.cuda_graph(fastmel.MelStream(MODULES[0].cpu()), y[:640])
    with pytest.raises(fastmel.ParameterError, match="CUDA tensor"):
        fastmel.cuda_graph(fastmel.MelStream(fe), torch.zeros(640))
