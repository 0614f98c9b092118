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
CPU_BLOCKS = [b for b in BLOCKS if "cuda_graph" not in b]
CUDA_BLOCKS = [b for b in BLOCKS if "cuda_graph" in b]


def _reader_inputs() -> dict:
    audio = torch.randn(16000)
    return {"audio": audio, "chunks": list(audio.split(640)), "y_example": torch.randn(16000)}


def test_the_readme_has_examples():
    assert len(CPU_BLOCKS) >= 3 and len(CUDA_BLOCKS) == 1


def test_readme_cpu_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (an example saves a file, another reads speech.flac)
    sf.write(tmp_path / "speech.flac", make_signal("speech", 22050, 1.0), 22050)
    namespace = _reader_inputs()
    for block in CPU_BLOCKS:  # in order: later blocks use names the first one defines
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["M"].shape == (80, 81)
    assert namespace["speech"].shape == (16000,) and namespace["sr"] == 16000
    assert namespace["feats"].shape == (80, 81)
    assert namespace["mfcc"].shape == (13, 32)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_readme_cuda_example_runs():
    namespace = _reader_inputs()
    exec(compile(CPU_BLOCKS[0], str(README), "exec"), namespace)
    namespace.update(y_gpu=torch.randn(16000, device="cuda"),
                     chunk=torch.randn(64, 640, device="cuda"))  # fmt: skip
    exec(compile(CUDA_BLOCKS[0], str(README), "exec"), namespace)
    assert namespace["M"].shape == (80, 81) and namespace["frames"].shape[:2] == (64, 80)
