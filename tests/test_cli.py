"""The command line equals librosa.load + librosa.feature.melspectrogram; errors are one line."""

from __future__ import annotations

import os
import subprocess
import sys

import librosa
import numpy as np
import pytest
import soundfile as sf

from fastmel.cli import build_parser, main
from tests.conftest import assert_parity, make_signal

FORMATS = [("wav", "PCM_16"), ("flac", "PCM_24"), ("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")]


@pytest.fixture(scope="module")
def stereo_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    left = make_signal("speech", 22050, 1.5)
    right = make_signal("chirp", 22050, 1.5)
    y = 0.8 * np.stack([left, right], axis=1)
    paths = {}
    for ext, subtype in FORMATS:
        paths[ext] = str(d / f"stereo.{ext}")
        sf.write(paths[ext], y, 22050, subtype=subtype)
    return paths


@pytest.mark.parametrize("ext", [f[0] for f in FORMATS])
@pytest.mark.parametrize("sr", [None, 16000])
def test_mel_equals_librosa_load_and_melspectrogram(stereo_files, tmp_path, ext, sr):
    out = tmp_path / "m.npy"
    args = [
        stereo_files[ext],
        "-o",
        str(out),
        "--n-fft",
        "1024",
        "--hop-length",
        "256",
        "--n-mels",
        "80",
        "--fmin",
        "20",
    ]
    if sr:
        args += ["--sr", str(sr)]
    assert main(["mel", *args]) == 0
    y, sr_ref = librosa.load(stereo_files[ext], sr=sr)
    ref = librosa.feature.melspectrogram(
        y=y, sr=sr_ref, n_fft=1024, hop_length=256, n_mels=80, fmin=20
    )
    assert_parity(np.load(out), ref, np.float32, ext)


def test_mel_options_reach_the_computation(stereo_files, tmp_path):
    out = tmp_path / "m.npy"
    opts = [
        "--n-fft",
        "512",
        "--win-length",
        "400",
        "--window",
        "hamming",
        "--hop-length",
        "100",
        "--n-mels",
        "40",
        "--fmin",
        "50",
        "--fmax",
        "7000",
        "--power",
        "1",
        "--htk",
        "--norm",
        "none",
        "--pad-mode",
        "reflect",
        "--no-center",
    ]
    assert main(["mel", stereo_files["wav"], "-o", str(out), *opts]) == 0
    y, sr = librosa.load(stereo_files["wav"], sr=None)
    ref = librosa.feature.melspectrogram(
        y=y,
        sr=sr,
        n_fft=512,
        win_length=400,
        window="hamming",
        hop_length=100,
        n_mels=40,
        fmin=50,
        fmax=7000,
        power=1.0,
        htk=True,
        norm=None,
        pad_mode="reflect",
        center=False,
    )
    assert_parity(np.load(out), ref, np.float32)
    assert main(["mel", stereo_files["wav"], "-o", str(out), *opts, "--db"]) == 0
    np.testing.assert_allclose(np.load(out), librosa.amplitude_to_db(ref), atol=1e-3)


@pytest.mark.parametrize("window,spec", [("kaiser,8", ("kaiser", 8.0)), ("flattop", "flattop")])
def test_scipy_windows_with_parameters(stereo_files, tmp_path, window, spec):
    out = tmp_path / "m.npy"
    assert main(["mel", stereo_files["wav"], "-o", str(out), "--window", window]) == 0
    y, sr = librosa.load(stereo_files["wav"], sr=None)
    ref = librosa.feature.melspectrogram(y=y, sr=sr, window=spec)
    assert_parity(np.load(out), ref, np.float32, window)


def test_offset_and_duration_as_librosa_load(stereo_files, tmp_path):
    out = tmp_path / "m.npy"
    opts = ["--sr", "16000", "--offset", "0.3", "--duration", "0.8"]
    assert main(["mel", stereo_files["flac"], "-o", str(out), *opts]) == 0
    y, sr = librosa.load(stereo_files["flac"], sr=16000, offset=0.3, duration=0.8)
    assert_parity(np.load(out), librosa.feature.melspectrogram(y=y, sr=sr), np.float32)


def test_db_and_plot(stereo_files, tmp_path):
    out, png = tmp_path / "m.npy", tmp_path / "m.png"
    assert main(["mel", stereo_files["flac"], "-o", str(out), "--db", "--plot", str(png)]) == 0
    y, sr = librosa.load(stereo_files["flac"], sr=None)
    ref = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr))
    np.testing.assert_allclose(np.load(out), ref, atol=1e-3)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fastmel", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("kind", ["missing", "text", "empty", "directory", "nan", "inf"])
@pytest.mark.parametrize("command", ["mel", "stream"])
def test_unreadable_input_is_one_line_and_leaves_no_output(tmp_path, kind, command):
    src = tmp_path / f"in_{kind}.wav"
    if kind == "text":
        src.write_text("this is not audio\n" * 50)
    elif kind == "empty":
        src.write_bytes(b"")
    elif kind == "directory":
        src.mkdir()
    elif kind in ("nan", "inf"):  # float WAVs can hold them; librosa refuses such audio
        y = make_signal("speech", 16000, 0.5)
        y[1234] = float(kind)
        sf.write(src, y, 16000, subtype="FLOAT")
    out = tmp_path / "out.npy"
    r = _run_cli(command, str(src), *(["-o", str(out)] if command == "mel" else []))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(src) in lines[0], r.stderr
    expected = {
        "missing": "no such file",
        "directory": "is a directory",
        "nan": "not finite",
        "inf": "not finite",
    }.get(kind, "cannot read audio")
    assert expected in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name] if kind != "missing" else []
    )


def test_an_input_that_is_no_regular_file_or_past_its_end_is_named_once(stereo_files, tmp_path):
    fifo = tmp_path / "in.wav"
    os.mkfifo(fifo)  # (it said "no such file")
    r = _run_cli("mel", str(fifo), "-o", str(tmp_path / "o.npy"))
    assert r.returncode == 1 and r.stderr.count(str(fifo)) == 1, r.stderr
    assert "not a regular file" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "o.npy"), "--offset", "5")
    assert r.returncode == 1 and r.stderr.count(stereo_files["wav"]) == 1, r.stderr


def test_bad_parameter_and_unwritable_output_are_one_line(stereo_files, tmp_path):
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "o.npy"), "--n-fft", "0")
    assert r.returncode == 1 and "n_fft" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "o.npy"), "--sr", "0")
    assert r.returncode == 1 and "sr=0" in r.stderr and "cannot read" not in r.stderr
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "no" / "dir" / "o.npy"))
    assert r.returncode == 1 and "o.npy" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.npy").exists()


BAD_VALUES = [
    ("mel", "--sr", "inf", "sr=inf must be a positive finite number"),
    ("mel", "--sr", "1e12", "more than 2**31 - 1"),  # was a MemoryError traceback from soxr
    ("mel", "--hop-length", str(2**64), "hop_length"),
    ("mel", "--window", "nosuch", "window='nosuch'"),
    ("mel", "--offset", "-1", "offset=-1.0"),
    ("stream", "--duration", "nan", "duration=nan"),
    ("mel", "--window", "kaiser", "window='kaiser'"),  # (scipy: kaiser needs its beta)
    ("stream", "--chunk-ms", "nan", "--chunk-ms must be a positive finite number"),
    ("stream", "--chunk-ms", "inf", "--chunk-ms must be a positive finite number"),
    ("stream", "--chunk-ms", "0", "--chunk-ms must be a positive finite number"),
    ("stream", "--threads", "-1", "--threads must be 0"),  # was a traceback from torch
    ("mel", "--offset", "5", "offset=5 s is past the end"),  # was libsndfile's psf_fseek()
]


@pytest.mark.parametrize("command,option,value,message", BAD_VALUES)
def test_bad_option_values_are_one_line(stereo_files, tmp_path, command, option, value, message):
    out = ["-o", str(tmp_path / "o.npy")] if command == "mel" else []
    r = _run_cli(command, stereo_files["wav"], *out, option, value)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_refuses_a_repeat_below_one(capsys):
    assert main(["demo", "--repeat", "0"]) == 1  # (it printed "nan ms")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--repeat must be at least 1" in err, err


# torch's CPU allocator raises RuntimeError, not MemoryError (it gave a 35-line traceback)
TORCH_OOM = "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"


@pytest.mark.parametrize("error", [MemoryError(), RuntimeError(TORCH_OOM)], ids=type)
def test_running_out_of_memory_is_one_line(stereo_files, tmp_path, monkeypatch, capsys, error):
    from fastmel.feature import spectrogram

    def no_memory(*args, **kwargs):
        raise error

    monkeypatch.setattr(spectrogram.MelSpectrogram, "forward", no_memory)
    assert main(["mel", stereo_files["wav"], "-o", str(tmp_path / "o.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"fastmel: error: {stereo_files['wav']}: out of memory"
    assert list(tmp_path.iterdir()) == []


def test_other_runtime_errors_are_not_called_memory(stereo_files, tmp_path, monkeypatch):
    from fastmel.feature import spectrogram

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(spectrogram.MelSpectrogram, "forward", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["mel", stereo_files["wav"], "-o", str(tmp_path / "o.npy")])


def test_help_lists_every_documented_option():
    text = build_parser()._subparsers._group_actions[0].choices["mel"].format_help()
    for opt in (
        "--sr",
        "--n-fft",
        "--hop-length",
        "--win-length",
        "--window",
        "--n-mels",
        "--fmin",
        "--fmax",
        "--power",
        "--htk",
        "--norm",
        "--pad-mode",
        "--no-center",
        "--db",
        "--plot",
    ):
        assert opt in text


def test_demo_runs_on_the_bundled_sample(tmp_path):
    r = _run_cli("demo", "--plot", "demo.png", "--repeat", "3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "shape (128, 318)" in r.stdout and "max |fastmel - librosa|" in r.stdout
    assert os.path.getsize(tmp_path / "demo.png") > 1000


def test_stream_command_checks_against_offline(stereo_files, capsys):
    args = [
        "stream",
        stereo_files["flac"],
        "--chunk-ms",
        "40",
        "--sr",
        "16000",
        "--n-fft",
        "800",
        "--hop-length",
        "200",
        "--n-mels",
        "80",
        "--pad-mode",
        "reflect",
        "--threads",
        "1",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    n_frames = 1 + int(np.ceil(1.5 * 16000)) // 200
    assert f"frames: {n_frames} streamed, {n_frames} offline" in out
    assert "push latency: p50" in out and "p99" in out


def test_stream_command_errors_are_one_line(tmp_path):
    r = _run_cli("stream", str(tmp_path / "missing.wav"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "missing.wav" in r.stderr


@pytest.mark.parametrize("name", ["wav2lip", "hifigan", "whisper", "styletts2", "kaldi"])
def test_mel_preset_equals_the_preset_on_librosa_load(stereo_files, tmp_path, name):
    import torch

    import fastmel

    out, png = tmp_path / "f.npy", tmp_path / "f.png"
    assert (
        main(["mel", stereo_files["wav"], "-o", str(out), "--preset", name, "--plot", str(png)])
        == 0
    )
    front = fastmel.preset(name)
    y, _ = librosa.load(stereo_files["wav"], sr=type(front).audio_rate())  # (the model's audio)
    np.testing.assert_allclose(np.load(out), front(torch.from_numpy(y)).numpy(), rtol=0, atol=1e-6)
    assert png.exists()


def test_preset_options_override_and_db_is_refused(stereo_files, tmp_path):
    out = tmp_path / "f.npy"
    assert (
        main(["mel", stereo_files["wav"], "-o", str(out), "--preset", "whisper", "--n-mels", "128"])
        == 0
    )
    assert np.load(out).shape[0] == 128
    r = _run_cli("mel", stereo_files["wav"], "-o", str(out), "--preset", "whisper", "--db")
    assert r.returncode == 1 and "--db" in r.stderr


def test_stream_command_with_a_causal_preset_and_refuses_whisper(stereo_files, capsys):
    assert main(["stream", stereo_files["wav"], "--preset", "wav2lip", "--threads", "1"]) == 0
    assert "max |stream - offline|" in capsys.readouterr().out
    r = _run_cli("stream", stereo_files["wav"], "--preset", "whisper")
    assert r.returncode == 1 and "cannot stream: its normalisation by the max" in r.stderr


def test_mel_funasr_saves_stacked_features_and_refuses_to_plot_them(stereo_files, tmp_path):
    import torch

    import fastmel

    out, png = tmp_path / "f.npy", tmp_path / "f.png"
    assert main(["mel", stereo_files["wav"], "-o", str(out), "--preset", "funasr"]) == 0
    y, _ = librosa.load(stereo_files["wav"], sr=16000)
    expected = fastmel.preset("funasr")(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(np.load(out), expected, rtol=0, atol=1e-6)
    assert np.load(out).shape[0] == 560
    out.unlink()
    r = _run_cli(
        "mel", stereo_files["wav"], "-o", str(out), "--preset", "funasr", "--plot", str(png)
    )
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "stack 7 frames of 80 bands" in r.stderr and stereo_files["wav"] in r.stderr
    assert not out.exists() and not png.exists()


def _load_output(path):
    """An output file read back with the library its extension names."""
    import torch

    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        return np.load(path)
    if ext == ".npz":
        with np.load(path) as archive:
            assert list(archive) == ["mel"]
            return archive["mel"]
    if ext == ".pt":
        return torch.load(path, weights_only=True).numpy()
    from safetensors.numpy import load_file

    return load_file(path)["mel"]


@pytest.mark.parametrize("ext", [".npy", ".npz", ".pt", ".safetensors"])
def test_the_output_format_follows_the_extension(stereo_files, tmp_path, ext):
    out = tmp_path / f"m{ext.upper() if ext == '.npz' else ext}"
    assert main(["mel", stereo_files["wav"], "-o", str(out)]) == 0
    y, sr = librosa.load(stereo_files["wav"], sr=None)
    assert_parity(_load_output(str(out)), librosa.feature.melspectrogram(y=y, sr=sr), np.float32)


@pytest.mark.parametrize("name", ["m.csv", "m", "m.npy.txt", "m.png"])
def test_an_unknown_output_extension_is_refused_before_any_work(stereo_files, tmp_path, name):
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / name), "--plot", "p.png")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert name in r.stderr and ".npy, .npz, .pt, .safetensors" in r.stderr
    assert list(tmp_path.iterdir()) == []


MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".svg": b"<?xml"}


@pytest.mark.parametrize("ext", list(MAGIC))
def test_plots_follow_their_extension(stereo_files, tmp_path, ext):
    out, image = tmp_path / "m.npy", tmp_path / f"m{ext}"
    assert main(["mel", stereo_files["wav"], "-o", str(out), "--plot", str(image)]) == 0
    assert image.read_bytes().startswith(MAGIC[ext])


@pytest.mark.parametrize("name", ["m.jpg", "m"])
def test_an_unknown_plot_extension_is_refused_before_any_work(stereo_files, tmp_path, name):
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "m.npy"), "--plot", name)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert ".png, .pdf or .svg" in r.stderr and list(tmp_path.iterdir()) == []


def test_long_inputs_are_averaged_down_to_the_image_width():
    from fastmel.plot import WIDTH, pool_frames

    M = np.random.default_rng(0).standard_normal((8, 113_000)).astype(np.float32)
    pooled, edges = pool_frames(M, WIDTH)
    assert pooled.shape[1] <= WIDTH and pooled.dtype == M.dtype
    assert edges[0] == 0 and edges[-1] == M.shape[1] and np.all(np.diff(edges) > 0)
    for j in (0, 7, len(edges) - 2):  # every frame counts once: each column is its group's mean
        np.testing.assert_allclose(pooled[:, j], M[:, edges[j] : edges[j + 1]].mean(1), rtol=1e-5)
    short = M[:, :300]
    same, edges = pool_frames(short, WIDTH)
    assert same is short and edges.tolist() == list(range(301))


def test_version():
    import fastmel

    r = _run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith(f"fastmel {fastmel.__version__} (torch ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "kaldi", "--htk"], "--preset kaldi does not take --htk (it takes: sr,"),
        (["--preset", "whisper", "--n-fft", "512"], "--preset whisper does not take --n-fft"),
        (["--preset", "hifigan", "--preset-arg", "n_mels=40"], "does not take n_mels"),
        (["--preset", "whisper", "--sr", "8000"], "--preset whisper takes 16000 Hz audio"),
        (["--preset", "whisper", "--preset-arg", "max_over=x"], "--preset whisper: max_over="),
        (["--preset-arg", "max_over=item"], "--preset-arg needs --preset"),
    ],
)
def test_options_a_preset_does_not_take_are_refused_in_one_line(
    stereo_files, tmp_path, args, message
):
    r = _run_cli("mel", stereo_files["wav"], "-o", str(tmp_path / "f.npy"), *args)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert message in r.stderr and list(tmp_path.iterdir()) == []


def test_preset_args_reach_the_preset(stereo_files, tmp_path):
    import torch

    import fastmel

    out = tmp_path / "f.npy"
    args = ["--preset-arg", "max_over=item", "--preset-arg", "padding=1600", "--n-mels", "128"]
    assert main(["mel", stereo_files["wav"], "-o", str(out), "--preset", "whisper", *args]) == 0
    y, _ = librosa.load(stereo_files["wav"], sr=16000)
    front = fastmel.preset("whisper", max_over="item", padding=1600, n_mels=128)
    np.testing.assert_allclose(np.load(out), front(torch.from_numpy(y)).numpy(), atol=1e-6)
    # Kaldi's options by their names, a bool and the preset's own rate through --sr
    kaldi = ["--preset", "kaldi", "--sr", "8000", "--preset-arg", "snip_edges=false"]
    assert main(["mel", stereo_files["wav"], "-o", str(out), *kaldi, "--n-mels", "40"]) == 0
    y, _ = librosa.load(stereo_files["wav"], sr=8000)
    front = fastmel.preset("kaldi", sr=8000, snip_edges=False, n_mels=40)
    np.testing.assert_allclose(np.load(out), front(torch.from_numpy(y)).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("max_over=item", "item"),
        ("n_mels=128", 128),
        ("dither=0.5", 0.5),
        ("snip_edges=False", False),
        ("snip_edges=true", True),
        ("cmvn=/a b/am.mvn", "/a b/am.mvn"),
        ("pad_to=None", None),
    ],
)
def test_preset_arg_values(value, parsed):
    args = build_parser().parse_args(["mel", "a.wav", "-o", "a.npy", "--preset-arg", value])
    assert args.preset_arg == [(value.split("=")[0], parsed)]


DEMO_WITHOUT = """
import sys
for name in {missing!r}:
    sys.modules[name] = None  # (import fails as when it is not installed)
from fastmel.cli import main
sys.exit(main(["demo", "--repeat", "2", *{args!r}]))
"""


@pytest.mark.parametrize("missing", [["matplotlib"], ["librosa"], ["matplotlib", "librosa"]])
def test_demo_runs_without_matplotlib_or_librosa(tmp_path, missing):
    code = DEMO_WITHOUT.format(missing=missing, args=[])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "shape (128, 318)" in r.stdout
    if "librosa" in missing:
        assert "librosa is not installed: comparison skipped (pip install librosa)" in r.stdout
    else:
        assert "max |fastmel - librosa|" in r.stdout
    if "matplotlib" in missing:
        assert "picture skipped (pip install 'fastmel[plot]')" in r.stdout
        assert list(tmp_path.iterdir()) == []
    else:
        assert (tmp_path / "fastmel_demo.png").stat().st_size > 1000
    # asked for a picture it cannot draw: one line, before any work
    code = DEMO_WITHOUT.format(missing=missing, args=["--plot", "d.png"])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    if "matplotlib" in missing:
        assert r.returncode == 1 and r.stdout == ""
        assert (
            r.stderr.strip() == "fastmel: error: plots need matplotlib: pip install 'fastmel[plot]'"
        )
