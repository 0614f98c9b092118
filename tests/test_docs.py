"""The README's and the documentation's examples run as written, their command lines parse,
the generated tables are the registry's, and the README stays on one screen."""

from __future__ import annotations

import re
import shlex
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from fastmel.cli import build_parser
from tests.signals import make_signal

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
#: a page whose examples need a GPU says so in this comment
NEEDS_CUDA = "the examples below need CUDA"


def _blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(), re.S)


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


EXAMPLE_PAGES = [p for p in PAGES if _blocks(p, "python")]


def test_the_generated_preset_tables_are_the_registrys():
    from bench.presets_table import GENERATED, section

    for path, make in GENERATED.items():
        assert section(path.read_text()) == make(), f"{path}: run `python -m bench presets`"


def test_the_readme_fits_on_one_screen():
    text = README.read_text()
    assert len(text.splitlines()) <= 120
    assert not re.search(r"\b[0-9a-f]{7}\b(?![\w-])", text), "a commit hash in the README"


def test_every_page_is_in_the_sites_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        assert str(page.relative_to(DOCS)) in nav, f"{page} is not in mkdocs.yml's nav"


class _FakeInputStream:
    """sounddevice.InputStream for the microphone example: on entering, its callback
    receives 50 blocks of 40 ms of speech, (frames, channels), as the audio thread would."""

    def __init__(self, *, samplerate, blocksize, channels, callback):
        self.callback, self.blocksize, self.channels = callback, blocksize, channels
        self.audio = make_signal("speech", int(samplerate), 2.0)

    def __enter__(self):
        def run():
            for i in range(0, len(self.audio) - self.blocksize + 1, self.blocksize):
                block = self.audio[i : i + self.blocksize, None].repeat(self.channels, axis=1)
                self.callback(block, self.blocksize, None, None)

        self.thread = threading.Thread(target=run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join()


@pytest.fixture
def reader_dir(tmp_path, monkeypatch):
    """The reader's working directory: examples save files there and read speech.flac;
    sounddevice is a stand-in that plays speech (no audio device in the tests)."""
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "speech.flac", make_signal("speech", 16000, 1.0), 16000)
    monkeypatch.setitem(
        sys.modules, "sounddevice", types.SimpleNamespace(InputStream=_FakeInputStream)
    )
    return tmp_path


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=_name)
def test_examples_run(page, reader_dir):
    text = page.read_text()
    if NEEDS_CUDA in text and not torch.cuda.is_available():
        pytest.skip("CUDA is not available")
    if "torch.onnx.export" in text:
        if not hasattr(torch.compiler, "is_exporting"):  # (as tests/test_export.py)
            pytest.skip("this torch cannot export")
        pytest.importorskip("onnxscript", reason="torch.onnx.export needs onnxscript")
    namespace: dict = {"__name__": "__docs__"}
    for block in _blocks(page, "python"):  # in order: later blocks use earlier names
        exec(compile(block, _name(page), "exec"), namespace)


def test_the_readmes_examples_give_the_shapes_they_state(reader_dir):
    namespace: dict = {}
    for block in _blocks(README, "python"):
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["sr"] == 16000 and isinstance(namespace["sr"], int)
    assert namespace["M"].shape == (80, 101) and namespace["features"].shape == (80, 100)
    assert isinstance(namespace["frames"], np.ndarray) and namespace["frames"].shape[0] == 80


COMMANDS = [
    (page, line)
    for page in PAGES
    for block in _blocks(page, "sh")
    for line in block.splitlines()
    if line.startswith("fastmel ") and not line.endswith(("--version", "--help"))
]


@pytest.mark.parametrize(("page", "line"), COMMANDS, ids=lambda x: x if isinstance(x, str) else "")
def test_command_lines_parse(page, line):
    args = shlex.split(line.split("#")[0])[1:]
    build_parser().parse_args(args)  # (argparse exits on an unknown option or a bad value)


def test_the_command_lines_of_the_readme_run(reader_dir):
    import shutil

    from fastmel.cli import main

    (reader_dir / "corpus").mkdir()
    shutil.copy(reader_dir / "speech.flac", reader_dir / "corpus")
    for page, line in COMMANDS:
        if page is README:
            assert main(shlex.split(line.split("#")[0])[1:]) == 0, line
    assert (reader_dir / "mel.png").exists() and (reader_dir / "whisper.pt").exists()
    assert (reader_dir / "features" / "features" / "speech.npy").exists()
