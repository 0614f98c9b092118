"""Shared fixtures: tolerances (the one place they are defined), signals, devices, comparisons."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch

from fastmel.presets import PRESET_SPECS
from tests.checks import rel_err
from tests.signals import SIGNALS, make_signal, speech_sample  # noqa: F401 (fixtures' home)

# Parity tolerance, relative to the reference's peak: max|ours - ref| <= RTOL * max|ref|.
# float32: torch's float32 FFT against librosa's float64 FFT rounded to complex64 (~1e-7).
# float64: both sides compute in float64 (~1e-15 seen); 1e-9 leaves room for BLAS order.
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-9}
RTOL.update({torch.float32: 1e-5, torch.float64: 1e-9})

# Decibels (power_to_db, amplitude_to_db), absolute in dB: float32 log10 rounds near 0 dB.
DB_ATOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}
# Lhotse's LibrosaFbank, absolute in log10 units: its float32 STFT and products against
# fastmel's, magnified by the log in near-silent bands.
LIBROSA_FBANK_ATOL = 1e-3
# Elementwise relative tolerance of a pointwise map (db_to_power): a few float32 ulps of pow.
POINTWISE_RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}

# Without CUDA, the Triton kernels (tests/test_fused.py) run in Triton's interpreter, which
# must be chosen before Triton is first imported; fastmel itself never runs them on the CPU
# unless a test sets fastmel.ops.fused.interpret_on_cpu.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available"),
    ),
]

warnings.filterwarnings("ignore", message="Empty filters detected")


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    """Each device a test runs on (CUDA where available)."""
    return torch.device(request.param)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request) -> torch.dtype:
    """Each dtype fastmel computes in."""
    return request.param


def assert_parity(ours, ref, dtype, what: str = "") -> float:
    """Assert the relative error is within the tolerance of ``dtype``; return it."""
    err = rel_err(ours, ref)
    tol = RTOL[dtype if isinstance(dtype, torch.dtype) else np.dtype(dtype)]
    assert err <= tol, f"{what}: max|ours - ref| = {err:.3g} x max|ref| > {tol:g}"
    return err


# Presets: max |ours - reference| in each preset's output units, as its record says
# (fastmel/presets/<family>.py); `python -m bench parity` reports the errors measured.
PRESET_ATOL = {name: spec.tolerance.float32 for name, spec in PRESET_SPECS.items()}
PRESET_ATOL64 = {name: spec.tolerance.float64 for name, spec in PRESET_SPECS.items()}
ONNX_PRESET_ATOL = {name: spec.tolerance.exported for name, spec in PRESET_SPECS.items()}
KALDI_ATOL32, KALDI_ATOL64 = PRESET_ATOL["kaldi"], PRESET_ATOL64["kaldi"]
SEAMLESS_ATOL64, AST_ATOL64 = PRESET_ATOL64["seamless"], PRESET_ATOL64["ast"]
GEMMA4_ATOL64, GEMMA3N_ATOL64 = PRESET_ATOL64["gemma4"], PRESET_ATOL64["gemma3n"]
NEMO_ATOL64 = PRESET_ATOL64["nemo"]
# Kaldi's fbank in float32 against its steps in float64, relative to the peak energy as RTOL
# (kaldi-native-fbank's own float32 output is as far); its float32 mel banks, built with its
# libm's logf, against fastmel's (weights <= 1).
KALDI_RTOL32, KALDI_BANK_ATOL = 2e-5, 2e-5
