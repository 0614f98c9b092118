"""MelStream: chunked output equals the offline module, each frame as early as possible."""

from __future__ import annotations

import copy
import resource

import librosa
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastmel
from fastmel import MelSpectrogram, MelStream, ParameterError, StreamState
from fastmel.core.padding import edge_samples
from tests.conftest import DEVICES, assert_parity, make_signal

CONFIGS = [
    dict(n_fft=800, hop_length=200, center=True, pad_mode="constant"),
    dict(n_fft=800, hop_length=200, center=True, pad_mode="reflect"),
    dict(n_fft=800, hop_length=200, center=True, pad_mode="edge"),
    dict(n_fft=800, hop_length=200, center=False, pad_mode="constant"),
    dict(n_fft=401, hop_length=160, center=True, pad_mode="reflect"),  # odd n_fft
    dict(n_fft=400, hop_length=160, center=True, pad_mode="edge", power=1.0),
    dict(n_fft=256, hop_length=300, center=True, pad_mode="reflect"),  # hop > n_fft
    dict(n_fft=255, hop_length=64, center=False, pad_mode="reflect", win_length=200),
    dict(n_fft=512, hop_length=128, center=True, pad_mode="symmetric"),
    dict(n_fft=401, hop_length=100, center=True, pad_mode="linear_ramp"),
]
IDS = [
    f"{c['n_fft']}-{c['hop_length']}-{'c' if c['center'] else 'nc'}-{c['pad_mode']}"
    for c in CONFIGS
]
MODULES = [MelSpectrogram(sr=16000, n_mels=40, **c) for c in CONFIGS]


def expected_frames(config, n_received: int) -> int:
    """Frames whose window is complete after n_received samples (the latency contract)."""
    n_fft, hop = config.n_fft, config.hop_length
    if config.center:
        if n_received < edge_samples(config.pad_mode, n_fft // 2):  # what the left pad reads
            return 0
        reach = n_received + n_fft // 2  # padded-domain samples available
    else:
        reach = n_received
    return max(0, (reach - n_fft) // hop + 1)


def run_stream(stream: MelStream, y: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    parts, pos = [], 0
    for size in sizes:
        out = stream.push(y[..., pos : pos + size])
        pos = min(pos + size, y.shape[-1])
        parts.append(out)
        assert out.shape[-2] == stream.module.config.n_mels
        assert stream.frames_emitted == expected_frames(stream.module.config, pos), (
            f"after {pos} samples: {stream.frames_emitted} frames emitted, "
            f"{expected_frames(stream.module.config, pos)} complete"
        )
    if pos < y.shape[-1]:
        parts.append(stream.push(y[..., pos:]))
    parts.append(stream.flush())
    return torch.cat(parts, dim=-1)


def special_sizes(config) -> list[int]:
    hop, n_fft = config.hop_length, config.n_fft
    return [0, 1, hop - 1, hop, 0, 3, 7, n_fft + 13, 1, hop + 1, 2 * n_fft + 5, 0]


@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=IDS)
@pytest.mark.parametrize("signal", ["speech", "chirp"])
def test_special_chunkings_equal_offline(index, signal):
    module, c = MODULES[index], MODULES[index].config
    y = torch.from_numpy(make_signal(signal, 16000, 0.8).astype(np.float32))
    for sizes in (special_sizes(c), [1] * 1500, [c.hop_length - 1] * 40, [c.n_fft + 1] * 12):
        out = run_stream(MelStream(module), y, sizes)
        assert_parity(out, module(y), torch.float32, f"sizes {sizes[:6]}...")


@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=5000),
    sizes=st.lists(st.integers(min_value=0, max_value=1300), min_size=1, max_size=40),
    seed=st.integers(0, 2**16),
)
def test_any_chunking_equals_offline(index, n, sizes, seed):
    module, c = MODULES[index], MODULES[index].config
    n = max(n, c.n_fft if not c.center else c.n_fft // 2 + 1 if c.pad_mode == "reflect" else 1)
    y = torch.from_numpy(make_signal("voiced", 16000, n / 16000, seed=seed).astype(np.float32))
    y = y[:n] if y.shape[-1] >= n else torch.nn.functional.pad(y, (0, n - y.shape[-1]))
    stream = MelStream(module)
    out = run_stream(stream, y, sizes)
    assert out.shape == (c.n_mels, c.n_frames(n))
    assert_parity(out, module(y), torch.float32, f"n={n} sizes={sizes}")


STREAMED = MODULES + [fastmel.preset("wav2lip")]  # the preset carries pre-emphasis state
STREAMED_IDS = IDS + ["wav2lip-preemphasis"]


@pytest.mark.parametrize("index", range(len(STREAMED)), ids=STREAMED_IDS)
@pytest.mark.parametrize("size", [1, 160, 640])
def test_a_capture_buffer_refilled_in_place_does_not_change_the_stream(index, size):
    # Real-time audio arrives in one buffer the capture callback refills: the stream must
    # keep copies, not views of it (poisoned with NaN after each push to make a view show).
    module = STREAMED[index]
    y = torch.from_numpy(make_signal("speech", 16000, 0.4).astype(np.float32))
    stream, buffer, parts = MelStream(module), torch.empty(size), []
    for chunk in y.split(size):
        buffer.copy_(chunk)
        parts.append(stream.push(buffer).clone())
        buffer.fill_(float("nan"))
    parts.append(stream.flush())
    assert_parity(torch.cat(parts, -1), module(y), torch.float32, f"chunks of {size}")


@pytest.mark.parametrize("index", range(len(STREAMED)), ids=STREAMED_IDS)
@pytest.mark.parametrize("fork_at", [1, 2, 5, 17])
def test_a_stream_resumed_from_a_state_goes_on_like_the_original(index, fork_at):
    # fork_at pushes of 97 samples: before, at and after the left pad is made
    module = STREAMED[index]
    y = torch.from_numpy(make_signal("chirp", 16000, 0.5).astype(np.float32))
    chunks = list(y.split(97))
    original = MelStream(module)
    head = [original.push(c) for c in chunks[:fork_at]]
    fork = MelStream(module)
    fork.resume(original.state())
    assert fork.frames_emitted == original.frames_emitted
    tails = []
    for stream in (original, fork):  # the original first: the fork must not see its pushes
        tails.append([stream.push(c) for c in chunks[fork_at:]] + [stream.flush()])
    expected = module(y)
    for name, tail in zip(("original", "fork"), tails, strict=True):
        assert_parity(torch.cat(head + tail, -1), expected, torch.float32, name)
    with pytest.raises(ParameterError, match="after flush"):
        original.state()
    with pytest.raises(TypeError, match="StreamState"):
        fork.resume({"buf": None})
    live = MelStream(module)
    live.push(y[:2000])
    with pytest.raises(ParameterError, match="float64"):
        MelStream(copy.deepcopy(module).double()).resume(live.state())
    assert isinstance(MelStream(module).state(), StreamState)  # a fresh stream has a state too


def test_stream_equals_librosa_on_speech_in_40ms_chunks():
    y = make_signal("speech", 16000, 3.0).astype(np.float32)
    kw = dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55, fmax=7600)
    stream = MelStream(**kw)
    out = torch.cat([stream.push(c) for c in torch.from_numpy(y).split(640)] + [stream.flush()], -1)
    assert_parity(out, librosa.feature.melspectrogram(y=y, **kw), np.float32)


@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=IDS)
def test_pushes_of_every_kind_in_one_stream_equal_offline(index):
    # Pushes of tensors in the module's dtype take the short route; float64 chunks, pushes
    # outside inference mode and a chunk of several frames take the general steps: mixed
    # in one stream, they give the offline frames.
    module = MODULES[index]
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32))
    stream, parts, i = MelStream(module), [], 0
    for j, size in enumerate([700, 640, 640, 5000, 640, 123, 640, 640, 3000, 640] * 2):
        chunk = y[i : i + size]
        i += size
        if j % 4 == 1:
            parts.append(stream.push(chunk.double()))
        elif j % 4 == 2:
            parts.append(stream.push(chunk))  # (outside inference mode)
        else:
            with torch.inference_mode():
                parts.append(stream.push(chunk).clone())
    parts += [stream.push(y[i:]), stream.flush()]
    assert_parity(torch.cat(parts, -1), module(y), np.float32, IDS[index])


def test_float64_stream_within_float64_tolerance():
    m = MelSpectrogram(sr=16000, n_fft=512, hop_length=128, pad_mode="reflect", dtype=np.float64)
    y = torch.from_numpy(make_signal("speech", 16000, 1.0))
    out = run_stream(MelStream(m), y, [333] * 60)
    assert out.dtype == torch.float64
    assert_parity(out, m(y), torch.float64)


def test_batched_streams_equal_independent_streams():
    m = MODULES[1]
    y = torch.from_numpy(
        np.stack(
            [
                make_signal(k, 16000, 0.6, seed=i).astype(np.float32)
                for i, k in enumerate(["speech", "chirp", "noise"])
            ]
        )
    )
    y = y.reshape(3, 1, -1)
    batched = run_stream(MelStream(m), y, [640] * 16)
    assert batched.shape[:2] == (3, 1)
    for i in range(3):
        single = run_stream(MelStream(m), y[i, 0], [640] * 16)
        assert_parity(batched[i, 0], single, torch.float32, f"stream {i}")


def test_reset_reuses_constants_and_push_after_flush_is_an_error():
    m = MODULES[0]
    stream = MelStream(m)
    y = torch.randn(3000)
    first = run_stream(stream, y, [500] * 6)
    with pytest.raises(ParameterError, match="push after flush"):
        stream.push(y[:10])
    with pytest.raises(ParameterError, match="flush"):
        stream.flush()
    window = stream.module.window
    stream.reset()
    assert stream.module.window is window and stream.frames_emitted == 0
    assert torch.equal(run_stream(stream, y, [500] * 6), first)


def test_bad_chunks_are_clear_errors():
    stream = MelStream(MODULES[0])
    with pytest.raises(TypeError, match="chunk must be a torch.Tensor or np.ndarray, got list"):
        stream.push([0.0] * 10)
    with pytest.raises(ParameterError, match="real floating point, got dtype torch.int32"):
        stream.push(torch.zeros(10, dtype=torch.int32))
    with pytest.raises(ParameterError, match="chunk must be real floating point, got dtype int16"):
        stream.push(np.zeros(10, dtype=np.int16))  # (also a refused first chunk fixes nothing)
    with pytest.raises(ParameterError, match=r"chunk must have shape \(\.\.\., n\), got \(\)"):
        stream.push(np.zeros((), np.float32))
    stream.push(torch.zeros(2, 10))
    with pytest.raises(TypeError, match="chunk is a ndarray; this stream is fed torch tensors"):
        stream.push(np.zeros((2, 10), dtype=np.float32))
    with pytest.raises(ParameterError, match="leading shape"):
        stream.push(torch.zeros(3, 10))
    with pytest.raises(TypeError, match="MelSpectrogram"):
        MelStream("hann")
    with pytest.raises(TypeError, match="not both"):
        MelStream(MODULES[0], sr=16000)


@pytest.mark.parametrize("index", range(len(STREAMED)), ids=STREAMED_IDS)
def test_numpy_chunks_give_numpy_frames_equal_to_librosa(index):
    # A capture callback hands NumPy blocks (sounddevice, PyAudio): NumPy in, NumPy out,
    # each push and the flush, with the numbers of the offline module (and so of librosa).
    module = STREAMED[index]
    y = make_signal("speech", 16000, 0.5).astype(np.float32)
    stream, parts = MelStream(module), []
    for i, chunk in enumerate(np.array_split(y, 23)):  # uneven chunks, some below a hop
        if i % 3 == 1:
            chunk = chunk.astype(">f4")  # byte-swapped, as from a file or a socket
        elif i % 3 == 2:
            chunk.flags.writeable = False  # read-only, as np.frombuffer gives
        parts.append(stream.push(chunk))
    parts.append(stream.flush())
    assert all(isinstance(p, np.ndarray) and p.dtype == np.float32 for p in parts)
    expected = module(torch.from_numpy(y)).numpy()
    assert_parity(np.concatenate(parts, axis=-1), expected, np.float32, "NumPy chunks")
    if isinstance(module, MelSpectrogram):  # plain configurations: librosa itself
        c = module.config
        reference = librosa.feature.melspectrogram(
            y=y,
            sr=16000,
            n_fft=c.n_fft,
            hop_length=c.hop_length,
            win_length=c.win_length,
            center=c.center,
            pad_mode=c.pad_mode,
            power=c.power,
            n_mels=c.n_mels,
        )
        assert_parity(np.concatenate(parts, axis=-1), reference, np.float32, "vs librosa")


def test_a_numpy_capture_buffer_refilled_in_place_does_not_change_the_stream():
    # A writable native float32 array is taken without a copy: the stream must copy it.
    module = STREAMED[-1]  # the wav2lip preset also keeps the last sample (pre-emphasis)
    y = make_signal("speech", 16000, 0.4).astype(np.float32)
    stream, buffer, parts = MelStream(module), np.empty(160, np.float32), []
    for start in range(0, len(y) - 159, 160):
        buffer[:] = y[start : start + 160]
        parts.append(stream.push(buffer))
        buffer.fill(np.nan)
    parts.append(stream.flush())
    used = torch.from_numpy(y[: (len(y) // 160) * 160])
    assert_parity(np.concatenate(parts, -1), module(used).numpy(), np.float32, "NumPy buffer")


def test_a_numpy_stream_forks_and_resets_in_kind():
    module = MODULES[1]
    y = make_signal("chirp", 16000, 0.3)  # float64 into a float32 module: cast like tensors
    original = MelStream(module)
    head = original.push(y[:1000])
    fork = MelStream(module)
    fork.resume(original.state())
    tail = fork.flush()  # the state says the stream is fed NumPy: so is its flush
    assert isinstance(head, np.ndarray) and isinstance(tail, np.ndarray)
    assert head.dtype == tail.dtype == np.float32
    expected = module(torch.from_numpy(y[:1000]).float()).numpy()
    assert_parity(np.concatenate([head, tail], -1), expected, np.float32, "forked")
    original.reset()  # a new stream may be fed tensors
    assert isinstance(original.push(torch.from_numpy(y[:1000]).float()), torch.Tensor)


def test_too_short_stream_raises_like_the_module_at_flush():
    stream = MelStream(MODULES[3])  # center=False, n_fft 800
    assert stream.push(torch.zeros(500)).shape == (40, 0)
    with pytest.raises(ParameterError, match="n_fft"):
        stream.flush()
    stream = MelStream(fastmel.preset("hifigan"))  # reflect-pads 384 samples, as torch does
    stream.push(torch.zeros(300))
    with pytest.raises(ParameterError, match="reflect"):
        stream.flush()
    stream = MelStream(MODULES[1])  # librosa's reflect: np.pad reflects 100 samples repeatedly
    y = torch.from_numpy(make_signal("speech", 16000, 0.1)[:100].astype(np.float32))
    assert stream.push(y).shape[-1] == 0
    assert_parity(stream.flush(), MODULES[1](y), torch.float32, "a 100-sample stream")


def test_state_stays_bounded_over_an_hour_of_audio():
    m = MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    stream = MelStream(m)
    chunk = torch.from_numpy(make_signal("voiced", 16000, 1.0).astype(np.float32))
    frames = 0
    rss0 = None
    for second in range(3600):  # one hour, pushed one second at a time
        frames += stream.push(chunk).shape[-1]
        assert stream._buf.shape[-1] < m.config.n_fft + m.config.hop_length
        if second == 100:
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    frames += stream.flush().shape[-1]
    assert frames == m.config.n_frames(3600 * 16000)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    assert grown_kib < 16 * 1024, f"peak RSS grew by {grown_kib} KiB while streaming"


@pytest.mark.parametrize("device", DEVICES)
def test_stream_on_device(device):
    m = MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80).to(device)
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32)).to(device)
    out = run_stream(MelStream(m), y, [640] * 25)
    assert out.device.type == device
    assert_parity(out, m(y), torch.float32)


@pytest.mark.parametrize("name", [None, "wav2lip", "kaldi"])
def test_pushed_frames_are_ordinary_tensors(name):
    # Pushes run under inference_mode; what they return must not be an inference tensor,
    # which a model being trained could not save for backward, nor the caller write to.
    stream = MelStream(MODULES[0] if name is None else fastmel.preset(name))
    layer = torch.nn.Linear(stream.module.config.n_mels, 3)
    for chunk in torch.randn(2, 3200).split(640, dim=-1):
        frames = stream.push(chunk)
        assert not frames.is_inference() and not frames.requires_grad
        layer(frames.transpose(-1, -2)).square().sum().backward()  # saves frames for backward
        frames.mul_(2.0)
    assert not stream.flush().is_inference()
    with torch.inference_mode():  # (the caller's own inference_mode is left as it is)
        assert MelStream(MODULES[0]).push(torch.randn(1000)).is_inference()


@pytest.mark.parametrize("name", [None, "wav2lip", "kaldi"])
def test_gradients_through_a_stream_equal_the_offline_ones(name):
    # A chunk that requires grad turns autograd on for the rest of the stream, so a frame
    # completed by a later push still carries the gradient of the samples it read earlier.
    front = (
        MelSpectrogram(sr=16000, n_fft=400, hop_length=160, n_mels=40, dtype=torch.float64)
        if name is None
        else fastmel.preset(name, dtype=torch.float64)
    )
    y = torch.from_numpy(make_signal("speech", 16000, 0.3)).requires_grad_()
    weight = torch.randn(front(y.detach()).shape, dtype=torch.float64)
    (expected,) = torch.autograd.grad((front(y) * weight).sum(), y)
    stream = MelStream(front)
    head, rest = y[:500], y.detach()[500:]  # (the later chunks require no grad)
    parts = [stream.push(head)] + [stream.push(c) for c in rest.split(700)] + [stream.flush()]
    (got,) = torch.autograd.grad((torch.cat(parts, dim=-1) * weight).sum(), y)
    assert_parity(got[:500], expected[:500], torch.float64, "gradient of the first 500 samples")
    assert got[500:].abs().max() == 0 and got[:500].abs().max() > 0


def test_resume_refuses_a_state_of_another_configuration_or_front_end():
    y = torch.from_numpy(make_signal("speech", 16000, 0.5).astype(np.float32))
    live = MelStream(sr=16000, n_fft=1024, hop_length=256, n_mels=40)
    live.push(y)
    other = MelStream(sr=16000, n_fft=512, hop_length=256, n_mels=40)
    with pytest.raises(ParameterError, match=r"another .*\(n_fft=1024, here 512"):
        other.resume(live.state())  # (it gave 9 frames instead of 126, silently)
    preset = MelStream(fastmel.preset("wav2lip"))
    preset.push(y)
    with pytest.raises(ParameterError, match="another Wav2Lip configuration"):
        MelStream(fastmel.preset("wav2lip").mel).resume(preset.state())


@pytest.mark.parametrize("name", ["wav2lip", "funasr"])
def test_a_saved_state_loads_with_weights_only_and_goes_on_exactly(name):
    import io

    front = fastmel.preset(name)
    y = torch.from_numpy(make_signal("speech", 16000, 1.0).astype(np.float32))
    whole = MelStream(front)
    expected = torch.cat([whole.push(y[:7000]), whole.push(y[7000:]), whole.flush()], dim=-1)
    first = MelStream(front)
    head = first.push(y[:7000])
    buffer = io.BytesIO()
    torch.save(first.state(), buffer)
    buffer.seek(0)
    resumed = MelStream(front)
    resumed.resume(torch.load(buffer, weights_only=True))
    got = torch.cat([head, resumed.push(y[7000:]), resumed.flush()], dim=-1)
    assert torch.equal(got, expected)


def test_concurrent_pushes_into_one_stream_raise_and_lose_no_frames():
    import threading

    import fastmel.runtime.streaming as streaming

    y = torch.from_numpy(make_signal("speech", 16000, 4.0).astype(np.float32))
    chunks = list(y.split(160))
    stream = MelStream(sr=16000, n_fft=400, hop_length=160, n_mels=40)
    errors, frames = [], []
    barrier = threading.Barrier(8)

    def worker(part):
        barrier.wait()
        for chunk in part:
            try:
                frames.append(stream.push(chunk).shape[-1])
            except RuntimeError as e:
                errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(chunks[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # every push either ran whole or raised; the frames returned are all the frames of the
    # samples accepted (their order is the threads', so only the count is checked)
    assert all(e == streaming.CONCURRENT for e in errors)
    assert sum(frames) == stream.frames_emitted
    accepted = (len(chunks) - len(errors)) * 160
    assert stream.frames_emitted == (accepted + 200 - 400) // 160 + 1


def test_a_stream_copies_with_its_own_lock():
    stream = MelStream(sr=16000, n_fft=400, hop_length=160, n_mels=40)
    y = torch.from_numpy(make_signal("speech", 16000, 0.5).astype(np.float32))
    stream.push(y[:4000])
    twin = copy.deepcopy(stream)
    assert twin._lock is not stream._lock
    assert torch.equal(twin.push(y[4000:]), stream.push(y[4000:]))


def _blocks(y: np.ndarray, size: int) -> list[np.ndarray]:
    """``y`` ``(n, channels)`` in blocks of ``size`` frames, as sounddevice hands them over."""
    return [y[i : i + size] for i in range(0, len(y), size)]


@pytest.mark.parametrize("channels", [1, 2])
def test_channels_last_blocks_stream_one_stream_per_channel(channels):
    mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    y = np.stack([make_signal(s, 16000, 1.0) for s in ("speech", "chirp")[:channels]], axis=1)
    stream = fastmel.MelStream(mel, channels_last=True)
    out = np.concatenate([stream.push(b) for b in _blocks(y, 640)] + [stream.flush()], -1)
    assert out.shape == (channels, 80, 81)
    assert_parity(out, mel(np.ascontiguousarray(y.T)), np.float32)


def test_mono_mixes_channels_as_load_does():
    mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    y = np.stack([make_signal("speech", 16000, 1.0), make_signal("chirp", 16000, 1.0)], axis=1)
    expected = librosa.feature.melspectrogram(
        y=librosa.to_mono(y.T), sr=16000, n_fft=800, hop_length=200, n_mels=80
    )
    for channels_last, blocks in ((True, _blocks(y, 640)), (False, _blocks(y, 640))):
        stream = fastmel.MelStream(mel, channels_last=channels_last, mono=True)
        chunks = blocks if channels_last else [np.ascontiguousarray(b.T) for b in blocks]
        out = np.concatenate([stream.push(c) for c in chunks] + [stream.flush()], -1)
        assert out.shape == (80, 81)
        assert_parity(out, expected, np.float32)


@pytest.mark.parametrize("shape", [(640, 1), (640, 2), (512, 8)])
def test_a_frames_by_channels_block_is_refused_unless_the_layout_is_said(shape):
    stream = fastmel.MelStream(sr=16000, n_fft=400, hop_length=160, n_mels=40)
    with pytest.raises(ParameterError, match=r"looks like \(frames, channels\).*channels_last"):
        stream.push(np.zeros(shape, np.float32))
    with pytest.raises(ParameterError, match="channels_last"):
        stream.push(torch.zeros(shape))
    # said: that many streams of a few samples each
    stream = fastmel.MelStream(sr=16000, n_fft=400, hop_length=160, n_mels=40, channels_last=False)
    assert stream.push(np.zeros(shape, np.float32)).shape == (shape[0], 40, 0)


@pytest.mark.parametrize("shape", [(2, 640), (16, 640), (64, 9), (3, 0), (640,)])
def test_batches_of_streams_are_not_taken_for_channels(shape):
    stream = fastmel.MelStream(sr=16000, n_fft=400, hop_length=160, n_mels=40)
    assert stream.push(torch.zeros(shape)).shape[:-2] == shape[:-1]


def test_channel_options_are_checked():
    with pytest.raises(TypeError, match="channels_last must be a bool"):
        fastmel.MelStream(sr=16000, channels_last="yes")
    with pytest.raises(TypeError, match="mono must be a bool"):
        fastmel.MelStream(sr=16000, mono=1)
    stream = fastmel.MelStream(sr=16000, channels_last=True)
    with pytest.raises(ParameterError, match=r"\(n, channels\) with channels_last=True"):
        stream.push(np.zeros(640, np.float32))
    with pytest.raises(ParameterError, match=r"a CUDA-graph stream takes \(\.\.\., n\)"):
        fastmel.cuda_graph(stream, torch.zeros(640, 1))
