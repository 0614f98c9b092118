"""The README's Python examples run as written (the inputs they leave to the reader given here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf
import torch

from tests.conftest import make_signal

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
EXPORT_BLOCKS = [b for b in BLOCKS if "torch.onnx.export" in b]
CUDA_BLOCKS = [b for b in BLOCKS if "cuda_graph" in b]
CPU_BLOCKS = [b for b in BLOCKS if b not in CUDA_BLOCKS + EXPORT_BLOCKS]


def _reader_inputs() -> dict:
    audio = torch.randn(16000)
    batch = torch.nn.utils.rnn.pad_sequence([audio, audio[:7000]], batch_first=True)
    return {
        "audio": audio,
        "chunks": list(audio.split(640)),
        "y_example": torch.randn(16000),
        "batch": batch,
        "lengths": torch.tensor([16000, 7000]),
    }


def test_the_readmes_preset_table_is_the_registrys():
    from bench.presets_table import section, table

    assert section(README.read_text()) == table(), "run `python -m bench presets`"


def test_the_readme_has_examples():
    assert len(CPU_BLOCKS) >= 3 and len(CUDA_BLOCKS) == 1 and len(EXPORT_BLOCKS) == 1


@pytest.fixture
def reader_dir(tmp_path, monkeypatch):
    """The reader's working directory: examples save files there and read speech.flac."""
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "speech.flac", make_signal("speech", 22050, 1.0), 22050)
    return tmp_path


@pytest.mark.usefixtures("reader_dir")
def test_readme_cpu_examples_run():
    namespace = _reader_inputs()
    for block in CPU_BLOCKS:  # in order: later blocks use names the first one defines
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["M"].shape == (80, 81)
    assert namespace["speech"].shape == (16000,) and namespace["sr"] == 16000
    assert namespace["feats"].shape == (80, 81)
    assert namespace["parakeet"].shape == (2, 128, 101)
    assert not namespace["parakeet"][1, :, 7000 // 160 :].any()
    assert namespace["w2v_bert"].shape == (2, 160, 49)  # (98 frames; 7000 samples make 42)
    assert namespace["mask"].sum(-1).tolist() == [49, 21]
    assert namespace["mfcc"].shape == (13, 32)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.usefixtures("reader_dir")  # (its first block reads speech.flac)
def test_readme_cuda_example_runs():
    namespace = _reader_inputs()
    exec(compile(CPU_BLOCKS[0], str(README), "exec"), namespace)
    namespace.update(
        y_gpu=torch.randn(16000, device="cuda"), chunk=torch.randn(64, 640, device="cuda")
    )
    exec(compile(CUDA_BLOCKS[0], str(README), "exec"), namespace)
    assert namespace["M"].shape == (80, 81) and namespace["frames"].shape[:2] == (64, 80)


def test_readme_export_example_runs(reader_dir):
    if not hasattr(torch.compiler, "is_exporting"):  # (as tests/test_export.py)
        pytest.skip("this torch has no torch.compiler.is_exporting: exports are not supported")
    pytest.importorskip("onnxscript", reason="torch.onnx.export needs onnxscript (test extra)")
    namespace = _reader_inputs()
    exec(compile(CPU_BLOCKS[0], str(README), "exec"), namespace)
    exec(compile(EXPORT_BLOCKS[0], str(README), "exec"), namespace)
    assert (reader_dir / "mel.onnx").stat().st_size > 1000
    assert namespace["program"].module()(namespace["y_example"]).shape == (80, 81)
