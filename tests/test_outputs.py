"""Outputs cannot destroy data: the CLI refuses outputs that are inputs or not regular files
before any work, writes all outputs or none, keeps an overwritten file's mode and leaves no
temporary file behind, on errors and on SIGTERM/SIGHUP. Runs in a temporary directory only
(FIFOs and symlinks made there, never real device nodes)."""

from __future__ import annotations

import os
import signal
import stat

import numpy as np
import pytest
import soundfile as sf

from fastmel.cli import main
from fastmel.outputs import OutputError, Outputs, check_outputs, exit_on_signals
from tests.signals import make_signal


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "s.wav"
    sf.write(path, make_signal("speech", 16000, 1.0), 16000, subtype="PCM_16")
    return path


def _mel(audio, *args) -> int:
    return main(["mel", str(audio), "--n-mels", "40", *args])


def _one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fastmel: error: "), err
    for word in words:
        assert word in err, err
    return err


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".fastmel-"))


@pytest.mark.parametrize("flag", ["-o", "--plot"])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(audio, tmp_path, capsys, flag):
    before = audio.read_bytes()
    args = (
        ["-o", str(audio)]
        if flag == "-o"
        else ["-o", str(tmp_path / "m.npy"), "--plot", str(audio)]
    )
    assert _mel(audio, *args) == 1
    _one_line_error(capsys, str(audio), "is the input")
    assert audio.read_bytes() == before and _leftovers(tmp_path) == []
    assert not (tmp_path / "m.npy").exists()


def test_a_symlink_to_the_input_is_the_input(audio, tmp_path, capsys):
    link = tmp_path / "link.npy"
    link.symlink_to(audio)
    before = audio.read_bytes()
    assert _mel(audio, "-o", str(link)) == 1
    _one_line_error(capsys, "link.npy", "is the input")
    assert audio.read_bytes() == before and link.is_symlink()


def test_two_outputs_on_one_path_are_refused(audio, tmp_path, capsys):
    out = tmp_path / "m.npy"
    assert _mel(audio, "-o", str(out), "--plot", str(out)) == 1
    _one_line_error(capsys, "two outputs")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["directory", "FIFO"])
def test_an_existing_output_that_is_not_a_regular_file_is_refused(audio, tmp_path, capsys, kind):
    out = tmp_path / "out"
    if kind == "directory":
        out.mkdir()
    else:
        os.mkfifo(out)  # (a write would block until a reader opens it)
    assert _mel(audio, "-o", str(out)) == 1
    _one_line_error(capsys, str(out), f"is a {kind}")
    assert out.is_dir() if kind == "directory" else stat.S_ISFIFO(os.stat(out).st_mode)
    assert _leftovers(tmp_path) == []


def test_an_overwritten_output_keeps_its_mode(audio, tmp_path):
    out = tmp_path / "m.npy"
    out.write_bytes(b"old")
    os.chmod(out, 0o600)
    assert _mel(audio, "-o", str(out)) == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600 and np.load(out).shape[0] == 40


def test_new_outputs_take_the_umask_which_is_never_changed(audio, tmp_path, monkeypatch):
    umask = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", lambda *a: pytest.fail("os.umask was called"))
        out = tmp_path / "m.npy"
        assert _mel(audio, "-o", str(out)) == 0
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~0o027
    finally:
        monkeypatch.undo()
        os.umask(umask)


def test_a_failed_second_output_leaves_neither(audio, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    plot, out = tmp_path / "m.png", tmp_path / "m.npy"

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", fail)
    with pytest.raises(OSError, match="No space left"):
        _mel(audio, "-o", str(out), "--plot", str(plot))
    assert not plot.exists() and not out.exists() and _leftovers(tmp_path) == []


def test_outputs_commit_together_or_not_at_all(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    with Outputs() as o:
        for target in (a, b):
            with open(o.path(str(target)), "w") as f:
                f.write(target.name)
        assert not a.exists() and not b.exists()  # (nothing is in place before the end)
    assert a.read_text() == "a.txt" and b.read_text() == "b.txt"
    with pytest.raises(RuntimeError), Outputs() as o:
        with open(o.path(str(a)), "w") as f:
            f.write("new")
        raise RuntimeError
    assert a.read_text() == "a.txt" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_while_writing_leaves_no_temporary_file(tmp_path, name):
    number = getattr(signal, name)
    before = signal.getsignal(number)
    target = tmp_path / "m.npy"
    with pytest.raises(SystemExit) as exit_info, exit_on_signals(), Outputs() as o:
        with open(o.path(str(target)), "wb") as f:
            f.write(b"partial")
        os.kill(os.getpid(), number)
    assert exit_info.value.code == 128 + number
    assert not target.exists() and _leftovers(tmp_path) == []
    assert signal.getsignal(number) == before  # (restored)


def test_check_outputs_names_the_file(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputError, match="loop: cannot write"):
        check_outputs([str(loop)])
    check_outputs([str(tmp_path / "new.npy")], [str(tmp_path / "missing.wav")])  # (passes)
