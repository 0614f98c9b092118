"""Shared fixtures: tolerances (the one place they are defined), signals, devices, comparisons."""

from __future__ import annotations

import os
import warnings
from importlib import resources

import numpy as np
import pytest
import soundfile as sf
import torch

# Parity tolerance, relative to the reference's peak: max|ours - ref| <= RTOL * max|ref|.
# float32: torch's float32 FFT against librosa's float64 FFT rounded to complex64 (~1e-7).
# float64: both sides compute in float64 (~1e-15 seen); 1e-9 leaves room for BLAS order.
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-9}
RTOL.update({torch.float32: 1e-5, torch.float64: 1e-9})

# Decibels (power_to_db, amplitude_to_db), absolute in dB: float32 log10 rounds near 0 dB.
DB_ATOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}
# Elementwise relative tolerance of a pointwise map (db_to_power): a few float32 ulps of pow.
POINTWISE_RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}

# Without CUDA, the Triton kernels (tests/test_fused.py) run in Triton's interpreter, which
# must be chosen before Triton is first imported; fastmel itself never runs them on the CPU
# unless a test sets fastmel.fused.interpret_on_cpu.
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


def rel_err(ours, ref) -> float:
    """max|ours - ref| / max|ref| (0/0 counts as 0), after moving both to float64 NumPy."""
    ours = ours.detach().cpu().double().numpy() if isinstance(ours, torch.Tensor) else ours
    ref = ref.detach().cpu().double().numpy() if isinstance(ref, torch.Tensor) else ref
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"shape {ours.shape} != reference {ref.shape}"
    diff = np.abs(ours - ref).max(initial=0.0)
    peak = np.abs(ref).max(initial=0.0)
    return float(diff / peak) if peak > 0 else float(diff)


def assert_parity(ours, ref, dtype, what: str = "") -> float:
    """Assert the relative error is within the tolerance of ``dtype``; return it."""
    err = rel_err(ours, ref)
    tol = RTOL[dtype if isinstance(dtype, torch.dtype) else np.dtype(dtype)]
    assert err <= tol, f"{what}: max|ours - ref| = {err:.3g} x max|ref| > {tol:g}"
    return err


# ---- signals: realistic material, not only white noise --------------------------------------


def speech_sample() -> tuple[np.ndarray, int]:
    """The espeak-ng sample shipped with the package (real synthetic speech), float32."""
    with resources.as_file(resources.files("fastmel") / "data" / "speech.wav") as p:
        y, sr = sf.read(p, dtype="float32")
    return y, sr


def make_signal(kind: str, sr: int, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A float64 test signal of ``kind`` (see SIGNALS)."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    if kind == "speech":
        y, sr0 = speech_sample()
        start = int(0.5 * sr0)  # skip leading silence
        idx = np.minimum(start + np.arange(n) * sr0 // sr, len(y) - 1)  # crude rate change
        return y[idx].astype(np.float64)
    if kind == "voiced":  # harmonics of a gliding f0, formant-weighted, syllable envelope
        f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
        phase = 2 * np.pi * np.cumsum(f0) / sr
        y = sum(
            np.sin(k * phase) / k * np.exp(-((((k * 120) - 700) / 900) ** 2))
            for k in range(1, 40)
            if k * 160 < sr / 2
        )
        env = 0.5 * (1 - np.cos(2 * np.pi * 3 * t))
        return 0.3 * env * y + 0.01 * rng.standard_normal(n)
    if kind == "chirp":  # logarithmic sweep 50 Hz -> 0.45 sr
        f1, f2 = 50.0, 0.45 * sr
        k = np.log(f2 / f1) / max(seconds, 1e-9)
        return 0.5 * np.sin(2 * np.pi * f1 * (np.exp(k * t) - 1) / k)
    if kind == "noise":
        return 0.1 * rng.standard_normal(n)
    if kind == "silence":
        return np.zeros(n)
    if kind == "fullscale":  # clipped square-ish wave touching +-1
        return np.clip(3 * np.sin(2 * np.pi * 220 * t), -1.0, 1.0)
    raise ValueError(kind)


SIGNALS = ("speech", "voiced", "chirp", "noise", "silence", "fullscale")

# Presets: max |ours - reference| in the preset's output units (log, or Wav2Lip's normalised dB
# in [-4, 4]), float32. Worst measured (test_worst_preset_errors_are_reported, -s prints them):
# whisper ~1e-7, hifigan/bigvgan/cosyvoice/vocos/f5tts/styletts2 ~1e-6 (torch references with
# the same float32 window), wav2lip ~2e-4 (its reference computes in float64: float32 FFT noise
# in quiet bins, amplified by the dB scale; the preset with dtype=torch.float64 gives ~1e-7).
PRESET_ATOL = {"whisper": 1e-5, "wav2lip": 5e-4, "hifigan": 2e-5, "bigvgan": 2e-5, "vocos": 2e-5,
               "cosyvoice": 2e-5, "f5tts": 2e-5, "styletts2": 2e-5}  # fmt: skip
# Kaldi's fbank (tests/test_kaldi.py). Against Kaldi's code computed in float64: float64 within
# KALDI_ATOL64 in its log units (worst measured 1.6e-08, in a chirp's band at log -13: float64
# FFT rounding relative to the frame's energy), and float32 within KALDI_RTOL32 in energy,
# relative to the output's peak as RTOL (worst measured 9.1e-06; kaldi-native-fbank's own
# float32 output measured 9.5e-06 there). Against kaldi-native-fbank itself, on signals whose
# bands all hold a fair share of the energy (speech, noise, int16-scale speech, a DC offset
# removed), float32 within KALDI_ATOL32 log units (worst measured 4.3e-04: both round in
# float32, with different FFTs). Its mel banks, built in float32 with its libm's logf,
# within KALDI_BANK_ATOL of fastmel's (worst measured 5.2e-06, weights <= 1). Against
# torchaudio's compliance.kaldi.fbank steps in float32 (torch ops, float32 banks): the same two
# bounds (worst measured 6.4e-04 in log units on those signals, 1.2e-05 of the peak energy on
# every signal of the grid). The campplus and wespeaker presets (that fbank less each band's
# mean) and funasr (stacked frames; with an am.mvn, times its scales, which are below 1) as kaldi.
KALDI_ATOL64, KALDI_RTOL32, KALDI_ATOL32, KALDI_BANK_ATOL = 1e-7, 2e-5, 1e-3, 2e-5
for _name in ("kaldi", "campplus", "wespeaker", "funasr", "seamless", "ast"):
    PRESET_ATOL[_name] = KALDI_ATOL32
# SeamlessM4T (tests/test_extractors.py) against transformers' SeamlessM4TFeatureExtractor, which
# transforms in float64 and rounds the spectrum to complex64 and the log to float32: float32 as
# kaldi on those signals, normalised units (each band's std is >= 0.39 there); float64 within
# SEAMLESS_ATOL64 in log units (its normalised output times each band's std: a band of almost
# constant energy, std ~3e-4 in a full-scale square wave, magnifies the extractor's float32
# rounding of the log ~3000-fold in normalised units).
SEAMLESS_ATOL64 = 2e-5
# AST (tests/test_extractors.py) against transformers' ASTFeatureExtractor (the same steps,
# unscaled audio, then a fixed (x - mean) / (2 std)): float32 as kaldi on all but a chirp
# (its near-silent bands measured 9.1e-04 at 12 s), float64 within AST_ATOL64 in its
# normalised units on every signal (worst measured 1.5e-07: the extractor's float32 output
# rounding).
AST_ATOL64 = 1e-6
# Gemma 4 (tests/test_extractors.py) against transformers' Gemma4AudioFeatureExtractor, whose
# NumPy steps keep float32 audio in float32 (NumPy 2's FFT included): float32 within 1e-3 log
# units on all but a chirp (worst measured 7.8e-05, full-scale; the chirp's near-silent bands
# 5.7e-03: float32 FFT noise on both sides); float64 against its steps run on float64 audio
# within GEMMA4_ATOL64 on every signal (worst measured 1.0e-11, on the chirp).
PRESET_ATOL["gemma4"], GEMMA4_ATOL64 = 1e-3, 1e-9
# Gemma 3n against Gemma3nAudioFeatureExtractor, the same way: float32 within 1e-3 on all but a
# chirp (worst measured 7.2e-05, noise; the chirp 0.2, its floor being log(1e-5)); float64
# within GEMMA3N_ATOL64 (worst measured 5.5e-10, in the chirp's bands at that floor).
PRESET_ATOL["gemma3n"], GEMMA3N_ATOL64 = 1e-3, 1e-8
# SpeechBrain's features, in dB (10 log10): float32 against its float32 torch steps within
# 1e-4 dB (worst measured 1.1e-05, on a chirp; values up to ~100 dB, whose float32 ulp is
# 7.6e-06).
PRESET_ATOL["speechbrain"] = 1e-4
# NeMo's features (tests/test_nemo.py), in its output units (log, or normalised log). float32
# against its float32 torch steps within PRESET_ATOL (worst measured 8.0e-04, in a chirp's
# near-silent bands without normalisation: log(x + 2**-24) has no floor to hide float32 FFT
# noise there, and NeMo's own float32 steps are 5.3e-04 from float64 there); float64 against
# those steps in float64 within NEMO_ATOL64 (worst measured 3.6e-10 on silence, where the
# normalisation divides rounding-level deviations by its 1e-5 std floor; ~1e-13 elsewhere).
# Silence in float32 is checked against float64 (exactly 0): NeMo's float32 steps give 0.16.
PRESET_ATOL["nemo"], NEMO_ATOL64 = 2e-3, 1e-8
# The same for ONNX graphs (tests/test_export.py), which compute the DFT by matrix products
# (fastmel/dft.py): as accurate as an FFT, but not rounded as the references' own float32
# torch.stft is, which the tolerances above rely on. Near the log floor of HiFi-GAN, BigVGAN,
# CosyVoice, Vocos and F5-TTS that difference shows (worst measured, ONNX Runtime 1.32:
# 3.95e-04, 8.5e-05, 3.4e-05, 5.5e-05, 5.1e-05; StyleTTS 2, floored by an addition, 9.1e-06);
# HiFi-GAN's float32 reference is itself 7.6e-05 from the float64 preset there.
# ONNX Runtime's matrix products differ by instruction set: Whisper's graph measured 1.03e-05
# from openai-whisper on an AVX-512 CPU (9.1e-06 from the float64 preset, where openai-whisper's
# own float32 steps are 5.0e-06 from it), over the 1e-5 that held on the previous machine.
# SpeechBrain's dB features: 1.96e-04 dB at 0.5 s (1e-3 dB, as HiFi-GAN's log units).
ONNX_PRESET_ATOL = {**PRESET_ATOL, "whisper": 2e-5, "hifigan": 1e-3, "bigvgan": 2e-4,
                    "cosyvoice": 2e-4, "vocos": 2e-4, "f5tts": 2e-4,
                    "speechbrain": 1e-3}  # fmt: skip
