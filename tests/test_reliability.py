"""The probes of bad inputs and long inputs that once lost data or memory: each is refused
in one clear error, or computed in bounded memory with the same numbers. Output-path cases
run in a temporary directory (FIFOs made there, never real device nodes)."""

from __future__ import annotations

import os
import zipfile

import librosa
import numpy as np
import pytest
import soundfile as sf
import torch

import fastmel
import fastmel.formats
from fastmel import ParameterError, streamfile
from fastmel.cli import main
from fastmel.core import memory
from tests.conftest import PRESET_ATOL, assert_parity
from tests.signals import make_signal


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "s.wav"
    sf.write(path, make_signal("speech", 16000, 3.0), 16000, subtype="FLOAT")
    return path


def _error(capsys, *words):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastmel: error: "), err
    for word in words:
        assert word in err, err


def test_an_output_with_other_hard_links_is_refused(audio, tmp_path, capsys):
    out, other = tmp_path / "m.npy", tmp_path / "other.npy"
    out.write_bytes(b"kept")
    os.link(out, other)
    assert main(["mel", str(audio), "-o", str(out)]) == 1
    _error(capsys, str(out), "2 hard links")
    assert out.read_bytes() == other.read_bytes() == b"kept"


def test_a_cmvn_path_that_is_no_small_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "am.mvn"
    os.mkfifo(fifo)  # (opening it would block: it must never be opened)
    with pytest.raises(ParameterError, match="not a regular file"):
        fastmel.preset("funasr", cmvn=fifo)
    huge = tmp_path / "huge.mvn"
    with open(huge, "wb") as f:
        f.truncate((1 << 24) + 1)  # (sparse: no disk used)
    with pytest.raises(ParameterError, match="too large for an am.mvn"):
        fastmel.preset("funasr", cmvn=huge)


def test_meta_tensors_are_refused_by_name():
    meta = torch.empty(16000, device="meta")
    with pytest.raises(ParameterError, match="y is a meta tensor"):
        fastmel.MelSpectrogram(sr=16000)(meta)
    with pytest.raises(ParameterError, match="y is a meta tensor"):
        fastmel.preset("whisper")(meta)
    with pytest.raises(ParameterError, match="chunk is a meta tensor"):
        fastmel.MelStream(sr=16000).push(meta)


def test_an_output_that_cannot_fit_is_refused_with_its_size(monkeypatch):
    mel = fastmel.MelSpectrogram(sr=16000, n_fft=400, hop_length=160, n_mels=80)
    monkeypatch.setattr(memory, "CHECK_FROM", 0)
    monkeypatch.setattr(memory, "available_memory", lambda: 1 << 20)
    y = torch.zeros(8, 160000)
    with pytest.raises(ParameterError, match=r"shape \(8, 80, 1001\) needs .* GiB, more than"):
        mel(y)
    monkeypatch.setattr(memory, "available_memory", lambda: 1 << 40)
    assert mel(y).shape == (8, 80, 1001)


def test_a_whole_input_that_cannot_fit_is_refused_before_reading(
    audio, tmp_path, monkeypatch, capsys
):
    from fastmel import cli

    monkeypatch.setattr(memory, "CHECK_FROM", 0)
    monkeypatch.setattr(memory, "available_memory", lambda: 1 << 16)
    monkeypatch.setattr(cli, "_read", lambda *a: pytest.fail("read before the check"))
    out = tmp_path / "w.npy"
    assert main(["mel", str(audio), "--preset", "whisper", "-o", str(out)]) == 1
    _error(capsys, f"{audio}'s features needs", "GiB, more than")
    assert not out.exists()


def test_a_long_push_goes_through_the_blocked_path(monkeypatch):
    mel = fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200, n_mels=80)
    y = torch.from_numpy(make_signal("speech", 16000, 60.0))
    calls = []
    spectrum = type(mel).spectrum
    monkeypatch.setattr(
        type(mel), "spectrum", lambda self, f: calls.append(f.shape[-2]) or spectrum(self, f)
    )
    stream = fastmel.MelStream(mel)
    out = torch.cat([stream.push(y), stream.flush()], -1)
    # (the push's frames, then each block of them, of the forward's size)
    whole = calls.index(max(calls))
    blocks: list[int] = []
    for k in calls[whole + 1 :]:
        if sum(blocks) >= calls[whole]:
            break
        blocks.append(k)
    assert calls[whole] > 1000 and len(blocks) > 10 and sum(blocks) == calls[whole]
    assert max(blocks) <= 2 * 204_800 // 800
    assert_parity(out, mel(y), np.float32)


@pytest.mark.parametrize(
    ("make", "sr"),
    [
        (lambda: fastmel.MelSpectrogram(sr=16000, n_fft=800, hop_length=200), 16000),
        (lambda: fastmel.MelSpectrogram(sr=16000, pad_mode="reflect", n_fft=512), 16000),
        (lambda: fastmel.MelSpectrogram(sr=16000, pad_mode="linear_ramp", n_fft=400), 16000),
        (lambda: fastmel.MelSpectrogram(sr=16000, center=False, n_fft=400), 16000),
        (lambda: fastmel.preset("kaldi", snip_edges=False), 16000),
        (lambda: fastmel.preset("nemo", normalize=None), 16000),
        (lambda: fastmel.preset("funasr"), 16000),
        (lambda: fastmel.preset("hifigan"), 22050),
    ],
    ids=[
        "wav2lip-like",
        "reflect",
        "linear_ramp",
        "uncentred",
        "kaldi",
        "nemo",
        "funasr",
        "hifigan",
    ],
)
def test_long_chunks_are_taken_without_a_whole_copy_and_give_the_same_frames(make, sr, monkeypatch):
    """Chunks of at least LONG_CHUNK FFT lengths are read through views (only the frames
    that straddle the buffer's end copy it): the frames equal small pushes' and offline's."""
    from fastmel.runtime import streaming

    module = make()
    y = make_signal("speech", sr, 3.0).astype(np.float32)
    sizes = [9000, 37, 5, 12000, 700, 20000, 1, 30000]  # (long first, then mixed)
    cuts = np.cumsum(sizes)[np.cumsum(sizes) < len(y)]
    pieces = np.split(y, cuts)
    whole = module(y)
    outs = {}
    for long_chunk in (4, 10**9):  # (long chunks taken by views, then never)
        monkeypatch.setattr(streaming, "LONG_CHUNK", long_chunk)
        stream = fastmel.MelStream(module)
        outs[long_chunk] = np.concatenate([stream.push(p) for p in pieces] + [stream.flush()], -1)
    assert outs[4].shape == outs[10**9].shape == whole.shape
    np.testing.assert_allclose(outs[4], outs[10**9], rtol=0, atol=1e-5 * np.abs(whole).max())
    if isinstance(module, fastmel.FrontEnd):  # (log features: absolute, in their units)
        np.testing.assert_allclose(outs[4], whole, rtol=0, atol=1e-4)
    else:
        assert_parity(outs[4], whole, np.float32)


LONG = [
    [],
    ["--db"],
    ["--power", "1", "--db"],
    ["--preset", "wav2lip"],
    ["--preset", "kaldi"],
    ["--preset", "whisper"],  # (presets with a whole-input step: their passes over the frames)
    ["--preset", "nemo"],
    ["--preset", "speechbrain"],
    ["--preset", "seamless"],
]


@pytest.mark.parametrize("args", LONG, ids=" ".join)
def test_long_inputs_stream_to_the_same_numbers(audio, tmp_path, monkeypatch, args):
    whole, streamed = tmp_path / "whole.npy", tmp_path / "streamed.npy"
    plot = ["--plot", str(tmp_path / "p.png")] if not {"kaldi", "seamless"} & set(args) else []
    assert main(["mel", str(audio), "-o", str(whole), *args, *plot]) == 0
    monkeypatch.setattr(streamfile, "STREAM_SAMPLES", 1000)  # (3 s of audio is "long" now)
    monkeypatch.setattr(fastmel.io, "BLOCK_SIZE", 4096)
    assert main(["mel", str(audio), "-o", str(streamed), *args, *plot]) == 0
    a, b = np.load(whole), np.load(streamed)
    assert b.flags.f_contiguous and a.shape == b.shape and b.dtype == np.float32
    if "--db" in args:
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-3)  # (dB: within the parity tolerance)
    elif "--preset" in args:
        np.testing.assert_allclose(b, a, rtol=0, atol=PRESET_ATOL[args[-1]])
    else:
        assert_parity(b, a, np.float32)
    y, sr = librosa.load(audio, sr=None)
    if not args:
        assert_parity(b, librosa.feature.melspectrogram(y=y, sr=sr), np.float32)


def _load_any(path):
    """The array of an output file of any of ``fastmel mel``'s formats."""
    if path.suffix == ".npz":
        with np.load(path) as archive:
            assert list(archive) == ["mel"]
            return archive["mel"]
    if path.suffix == ".pt":
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None  # (every CRC right)
        tensor = torch.load(path, weights_only=True)
        assert tensor.is_contiguous()
        return tensor.numpy()
    if path.suffix == ".safetensors":
        import safetensors.numpy

        arrays = safetensors.numpy.load_file(str(path))
        assert list(arrays) == ["mel"]
        return arrays["mel"]
    return np.load(path)


@pytest.mark.parametrize("ext", [".npz", ".pt", ".safetensors"])
def test_long_inputs_stream_to_every_format(audio, tmp_path, monkeypatch, ext):
    whole, streamed = tmp_path / f"whole{ext}", tmp_path / f"streamed{ext}"
    assert main(["mel", str(audio), "-o", str(whole)]) == 0
    monkeypatch.setattr(streamfile, "STREAM_SAMPLES", 1000)
    monkeypatch.setattr(fastmel.io, "BLOCK_SIZE", 4096)
    monkeypatch.setattr(fastmel.formats, "PASS_COLUMNS", 7)  # (blocks that split rows)
    assert main(["mel", str(audio), "-o", str(streamed)]) == 0
    a, b = _load_any(whole), _load_any(streamed)
    assert a.shape == b.shape and b.dtype == np.float32
    assert_parity(b, a, np.float32)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([audio.name, whole.name, streamed.name])  # (no spool left)


@pytest.mark.parametrize("ext", [".npy", ".npz", ".pt", ".safetensors"])
@pytest.mark.parametrize("shape", [(3, 10), (80, 4097), (5, 0)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_save_columns_writes_what_save_array_writes(tmp_path, ext, shape, dtype, monkeypatch):
    from fastmel.formats import ColumnWriter, save_array, save_columns

    monkeypatch.setattr(fastmel.formats, "PASS_COLUMNS", 1000)
    array = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    with open(tmp_path / "spool.npy", "w+b") as f:
        writer = ColumnWriter(f, dtype)
        for start in range(0, shape[1], 333):
            writer.append(array[:, start : start + 333])
        if not shape[1]:
            writer.append(array)
        writer.finish()
        (tmp_path / f"a{ext}").touch()
        save_columns(str(tmp_path / f"a{ext}"), writer, fmt=ext, name="mel")
    save_array(str(tmp_path / f"b{ext}"), array, fmt=ext, name="mel")
    a, b = _load_any(tmp_path / f"a{ext}"), _load_any(tmp_path / f"b{ext}")
    assert a.dtype == b.dtype == dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(fastmel.PRESETS))
def test_every_preset_streams_a_long_file_to_its_own_numbers(tmp_path, monkeypatch, name):
    """Causal presets stream; the others take passes over their causal part's frames
    (their whole-input step), in blocks smaller than the output here."""
    monkeypatch.setattr(fastmel.formats, "PASS_COLUMNS", 7)  # (odd: rounded to even)
    module = fastmel.preset(name)
    sr = int(type(module).audio_rate())
    y = make_signal("speech", sr, 4.0).astype(np.float32)
    assert streamfile.streams(module)
    monkeypatch.setattr(streamfile, "PASS_COLUMNS", 7)
    with open(tmp_path / "m.npy", "w+b") as f:
        blocks = [y[i : i + 5003] for i in range(0, len(y), 5003)]
        streamfile.stream_to_npy(blocks, module, f, power=2.0, db=False, features=True)
    out, whole = np.load(tmp_path / "m.npy"), module(y)
    assert out.shape == whole.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, whole, rtol=0, atol=PRESET_ATOL[name])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npy"]  # (no spool left)


@pytest.mark.parametrize("ext", [".npy", ".npz", ".pt", ".safetensors"])
def test_a_long_input_that_fails_part_way_leaves_no_output(tmp_path, monkeypatch, capsys, ext):
    y = make_signal("speech", 16000, 3.0)
    y[30000] = np.nan
    src, out, png = tmp_path / "bad.wav", tmp_path / f"m{ext}", tmp_path / "m.png"
    sf.write(src, y, 16000, subtype="FLOAT")
    monkeypatch.setattr(streamfile, "STREAM_SAMPLES", 1000)
    monkeypatch.setattr(fastmel.io, "BLOCK_SIZE", 4096)
    assert main(["mel", str(src), "-o", str(out), "--plot", str(png)]) == 1
    _error(capsys, str(src), "finite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav"]


def test_the_streamed_plot_is_the_pooled_image(audio, tmp_path, monkeypatch):
    from fastmel.plot import pool_frames

    monkeypatch.setattr(streamfile, "STREAM_SAMPLES", 1000)
    mel = fastmel.MelSpectrogram(sr=16000)
    blocks = fastmel.io.AudioBlocks(audio, sr=None, block_size=4096)
    with open(tmp_path / "m.npy", "w+b") as f:
        result = streamfile.stream_to_npy(
            blocks, mel, f, power=2.0, db=False, features=False, width=7
        )
    M = np.load(tmp_path / "m.npy")
    expected, edges = pool_frames(fastmel.power_to_db(M), 7)
    np.testing.assert_array_equal(result.edges, edges)
    np.testing.assert_allclose(result.image, expected, rtol=1e-5, atol=1e-4)
