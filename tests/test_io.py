"""fastmel.load against librosa.load: formats, rates, channels, offset and duration, dtypes."""

from __future__ import annotations

import io

import librosa
import numpy as np
import pytest
import soundfile as sf

import fastmel
from fastmel import ParameterError
from tests.conftest import make_signal

FORMATS = [
    ("wav", "PCM_16"),
    ("flac", "PCM_24"),
    ("ogg", "VORBIS"),
    ("mp3", "MPEG_LAYER_III"),
    ("wav", "FLOAT"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("load")
    speech, chirp = make_signal("speech", 44100, 1.3), make_signal("chirp", 44100, 1.3)
    paths = {}
    for ext, subtype in FORMATS:
        for channels in (1, 2):
            y = 0.7 * (np.stack([speech, chirp], axis=1) if channels == 2 else speech)
            path = d / f"{subtype}-{channels}.{ext}"
            sf.write(path, y, 44100, subtype=subtype)
            paths[subtype, channels] = str(path)
    return paths


def assert_same(got, ref):
    (y, sr), (y_ref, sr_ref) = got, ref
    assert sr == sr_ref and y.dtype == y_ref.dtype and y.shape == y_ref.shape
    np.testing.assert_array_equal(y, y_ref)  # the same reads and resampler: bitwise


@pytest.mark.parametrize("subtype", [f[1] for f in FORMATS])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("sr", ["default", None, 16000, 44100, 48000, 22050.5])
@pytest.mark.parametrize("mono", [True, False])
def test_load_equals_librosa(files, subtype, channels, sr, mono):
    kw = {} if sr == "default" else dict(sr=sr)
    path = files[subtype, channels]
    assert_same(fastmel.load(path, mono=mono, **kw), librosa.load(path, mono=mono, **kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(offset=0.25),
        dict(duration=0.5),
        dict(offset=0.3, duration=0.41),
        dict(offset=0.0),
        dict(duration=0.0),
        dict(offset=1.2, duration=5.0),
        dict(dtype=np.float64),
        dict(dtype=np.float64, sr=16000, mono=False, offset=0.1),
        *(dict(res_type=q, sr=16000) for q in fastmel.io.RES_TYPES),
    ],
    ids=str,
)
def test_offset_duration_and_dtype_equal_librosa(files, kw):
    path = files["PCM_24", 2]
    assert_same(fastmel.load(path, **kw), librosa.load(path, **kw))


def test_file_objects_and_paths(files, tmp_path):
    path = files["FLOAT", 2]
    ref = librosa.load(path, sr=16000)
    with open(path, "rb") as f:
        assert_same(fastmel.load(f, sr=16000), ref)
    with open(path, "rb") as f:
        assert_same(fastmel.load(io.BytesIO(f.read()), sr=16000), ref)
    from pathlib import Path

    assert_same(fastmel.load(Path(path), sr=16000), ref)


@pytest.mark.parametrize(
    "kw,error,match",
    [
        (dict(sr=0), ParameterError, "sr=0"),
        (dict(sr="16k"), TypeError, "sr"),
        (dict(offset=-1.0), ParameterError, "offset=-1.0"),
        (dict(offset=float("nan")), ParameterError, "offset"),
        (dict(duration=-0.5), ParameterError, "duration=-0.5"),
        (dict(duration="1s"), TypeError, "duration"),
        (dict(mono="yes"), TypeError, "mono"),
        (dict(dtype=np.int16), ParameterError, "dtype"),
        (dict(sr=1e12), ParameterError, "2\\*\\*31 - 1"),
        (dict(res_type="kaiser_best"), ParameterError, "res_type='kaiser_best'"),
    ],
    ids=str,
)
def test_bad_parameters_name_themselves(files, kw, error, match):
    with pytest.raises(error, match=match):
        fastmel.load(files["PCM_16", 1], **kw)


def test_unreadable_files_raise_soundfile_errors(tmp_path):
    text = tmp_path / "text.wav"
    text.write_text("not audio\n" * 10)
    with pytest.raises(sf.LibsndfileError):
        fastmel.load(text)


def test_paths_that_are_no_audio_file_raise_errors_naming_them(tmp_path):
    import os
    import stat

    y = make_signal("speech", 16000, 0.5)
    sf.write(tmp_path / "s.wav", y, 16000)
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        fastmel.load(tmp_path / "missing.wav")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        fastmel.load(tmp_path)
    os.mkfifo(tmp_path / "fifo.wav")  # (libsndfile would wait for a writer, then fail)
    with pytest.raises(fastmel.ParameterError, match="fifo.wav: not a regular file"):
        fastmel.load(tmp_path / "fifo.wav")
    with pytest.raises(TypeError, match="path must be a str"):
        fastmel.load(123)  # (not read as file descriptor 123)
    if os.geteuid() != 0:  # (root reads whatever the mode says)
        os.chmod(tmp_path / "s.wav", 0)
        with pytest.raises(PermissionError, match="s.wav"):
            fastmel.load(tmp_path / "s.wav")
        os.chmod(tmp_path / "s.wav", stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(fastmel.ParameterError, match=r"offset=0.6 s is past the end of .*s.wav"):
        fastmel.load(tmp_path / "s.wav", offset=0.6)
    assert fastmel.load(tmp_path / "s.wav", sr=None, offset=0.5)[0].shape == (0,)  # (at the end)
    with pytest.raises(fastmel.ParameterError, match="resampling takes ratios"):
        fastmel.load(tmp_path / "s.wav", sr=1e-7)  # (soxr would not return)


def test_load_returns_the_rate_as_librosa_does(tmp_path):
    sf.write(tmp_path / "s.wav", make_signal("speech", 16000, 0.5), 16000)
    for sr, expected in ((None, 16000), (16000, 16000), (8000, 8000), (22050.0, 22050.0)):
        _, got = fastmel.load(tmp_path / "s.wav", sr=sr)
        _, theirs = librosa.load(tmp_path / "s.wav", sr=sr)
        assert got == theirs == expected and type(got) is type(theirs), (sr, got, theirs)


@pytest.mark.parametrize("subtype", [f[1] for f in FORMATS])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("sr", [None, 16000, 22050.5, 96000])
@pytest.mark.parametrize("block_size", [1, 1000, 1 << 18])
def test_blocks_are_loads_samples_bit_for_bit(files, subtype, channels, sr, block_size):
    if block_size == 1 and sr not in (None, 16000):
        pytest.skip("(one-sample blocks: two rates are enough)")
    blocks = fastmel.io.AudioBlocks(files[subtype, channels], sr=sr, block_size=block_size)
    pieces = list(blocks)
    y, rate = fastmel.load(files[subtype, channels], sr=sr)
    if subtype == "MPEG_LAYER_III":  # (its decoder rounds some samples otherwise in blocks)
        np.testing.assert_allclose(np.concatenate(pieces), y, rtol=0, atol=2.5e-7)
    else:
        np.testing.assert_array_equal(np.concatenate(pieces), y)
    assert blocks.sr == rate and type(blocks.sr) is type(rate)
    assert blocks.n_samples == len(y) and all(p.ndim == 1 for p in pieces)
    if block_size == 1000:  # (read() is one read whatever the block size: once is enough)
        once = fastmel.io.AudioBlocks(files[subtype, channels], sr=sr)
        whole = once.read()
        np.testing.assert_array_equal(whole, y)  # (MP3 too: load's one read)
        assert whole.dtype == y.dtype and once.frames_read == once.frames


@pytest.mark.parametrize(
    "kw", [dict(offset=0.25), dict(duration=0.5), dict(offset=0.1, duration=0.33, dtype=np.float64)]
)
def test_blocks_take_offset_duration_and_dtype_as_load(files, kw):
    path = files["FLOAT", 2]
    got = np.concatenate(list(fastmel.io.AudioBlocks(path, sr=16000, block_size=777, **kw)))
    y, _ = fastmel.load(path, sr=16000, **kw)
    assert got.dtype == y.dtype
    np.testing.assert_array_equal(got, y)
    whole = fastmel.io.AudioBlocks(path, sr=16000, **kw).read()
    assert whole.dtype == y.dtype
    np.testing.assert_array_equal(whole, y)


def test_blocks_refuse_what_load_refuses(files, tmp_path):
    with pytest.raises(ParameterError, match="past the end"):
        fastmel.io.AudioBlocks(files["PCM_16", 1], offset=5.0)
    with pytest.raises(FileNotFoundError):
        fastmel.io.AudioBlocks(tmp_path / "missing.wav")
    with pytest.raises(ParameterError, match="block_size"):
        fastmel.io.AudioBlocks(files["PCM_16", 1], block_size=-1)
    with pytest.raises(ParameterError, match="ratios"):
        fastmel.io.AudioBlocks(files["PCM_16", 1], sr=1e-5)
