"""Test signals: realistic material (speech, voiced sounds, sweeps), not only white noise.

Shared by the tests and by ``python -m bench parity``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import soundfile as sf

__all__ = ["SIGNALS", "make_signal", "speech_sample"]


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
