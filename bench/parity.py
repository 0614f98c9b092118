"""``python -m bench parity``: the worst error of each public function and preset against
its reference, beside the tolerance the tests hold it to, with the machine and versions.

Writes PARITY.md. The functions are compared with librosa over a grid of configurations and
signals (relative to the reference's peak, as the tests measure them); each preset with the
reference its record names (``tests/references.py``) on the test signals, in its output
units, in float32 and, where the reference runs in float64, in float64.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import fastmel
from bench.run import cpu_model, git_commit, versions
from fastmel.presets import PRESET_SPECS
from tests.checks import max_abs as abs_err
from tests.checks import rel_err

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "PARITY.md"
SIGNALS = ("speech", "voiced", "chirp", "noise", "fullscale")
# Signals whose every band holds a fair share of the energy, which the presets' float32
# tolerances are set for; on the others float32 FFT noise in near-silent bands, on both
# sides, is amplified by a log without a floor, and some tests leave them out.
FAIR = ("speech", "voiced", "noise")
# The tests' relative tolerances of the librosa drop-ins (tests/conftest.py RTOL).
RTOL = {"float32": 1e-5, "float64": 1e-9}
# librosa configurations: its defaults, then the front ends models use, then its options.
CONFIGS: list[dict] = [
    dict(sr=22050),
    dict(sr=16000, n_fft=800, hop_length=200, n_mels=80, fmin=55.0, fmax=7600.0, power=1.0),
    dict(sr=16000, n_fft=400, hop_length=160, n_mels=80, pad_mode="reflect"),
    dict(sr=22050, n_fft=1024, hop_length=256, n_mels=80, fmax=8000.0, center=False),
    dict(sr=24000, n_fft=1024, hop_length=256, n_mels=100, htk=True, norm=None),
    dict(sr=44100, n_fft=2048, hop_length=441, n_mels=128, window="hamming", power=1.5),
    dict(sr=16000, n_fft=511, hop_length=128, n_mels=64, pad_mode="symmetric"),
]


def librosa_rows() -> list[dict]:
    """The worst relative error of melspectrogram, MelSpectrogram, mfcc and power_to_db
    against librosa, per dtype, over CONFIGS and SIGNALS."""
    import librosa

    from tests.signals import make_signal

    worst: dict[tuple[str, str], float] = {}

    def keep(name: str, dtype: str, err: float) -> None:
        worst[name, dtype] = max(worst.get((name, dtype), 0.0), err)

    for config in CONFIGS:
        for signal in SIGNALS:
            for dt in (np.float32, np.float64):
                y = make_signal(signal, int(config["sr"]), 1.0).astype(dt)
                ref = librosa.feature.melspectrogram(y=y, **config)
                keep(
                    "melspectrogram",
                    dt.__name__,
                    rel_err(fastmel.melspectrogram(y=y, **config), ref),
                )
                # (a module computes in its dtype throughout: librosa's dtype= basis alike)
                ref_module = librosa.feature.melspectrogram(y=y, **config, dtype=dt)
                module = fastmel.MelSpectrogram(**config, dtype=dt)
                keep(
                    "MelSpectrogram", dt.__name__, rel_err(module(torch.from_numpy(y)), ref_module)
                )
                keep(
                    "power_to_db",
                    dt.__name__,
                    rel_err(fastmel.power_to_db(ref), librosa.power_to_db(ref)),
                )
                mfcc_ref = librosa.feature.mfcc(y=y, sr=config["sr"], n_mfcc=20)
                keep("mfcc", dt.__name__, rel_err(fastmel.mfcc(y=y, sr=config["sr"]), mfcc_ref))
    return [
        dict(what=name, dtype=dtype, err=err, tolerance=RTOL[dtype], units="of the peak")
        for (name, dtype), err in sorted(worst.items())
    ]


def preset_rows() -> list[dict]:
    """Each preset's worst absolute error: float32 against its reference, float64 against
    its float64 reference (where its record names one)."""
    from tests import references
    from tests.signals import make_signal

    rows = []
    for name, spec in PRESET_SPECS.items():
        runs = [("float32", spec.reference, spec.tolerance.float32)]
        if spec.reference64 is not None and spec.tolerance.float64 is not None:
            runs.append(("float64", spec.reference64, spec.tolerance.float64))
        for dtype, reference_name, tolerance in runs:
            reference: Callable = getattr(references, reference_name)
            td = getattr(torch, dtype)
            front = fastmel.preset(name, dtype=td)
            errs = {}
            for signal in SIGNALS:
                y = torch.from_numpy(make_signal(signal, int(spec.audio_rate), 1.5)).to(td)
                errs[signal] = abs_err(front(y), reference(y))
            fair = max(errs[s] for s in FAIR)
            other = max(errs[s] for s in SIGNALS if s not in FAIR)
            rows.append(
                dict(
                    what=name,
                    dtype=dtype,
                    reference=reference_name,
                    err=fair,
                    other=other,
                    tolerance=tolerance,
                )
            )
    return rows


def _fmt(err: float | None) -> str:
    return "n/a" if err is None else f"{err:.2e}"


def write(path: Path = REPORT) -> Path:
    """Measure and write the report; returns its path."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    functions, presets = librosa_rows(), preset_rows()
    elapsed = time.perf_counter() - start
    v = versions()
    lines = [
        "# Parity report",
        "",
        "Generated by `python -m bench parity` (do not edit): the worst error of each public",
        "function against librosa and of each preset against its reference, beside the",
        "tolerance the tests hold it to. The presets' float32 tolerances are set for signals",
        "whose bands all hold a fair share of the energy; a chirp's and a clipped wave's",
        "near-silent bands are shown apart, without a verdict.",
        "",
        f"- date: {datetime.date.today().isoformat()}, commit {git_commit()}, {elapsed:.0f} s",
        f"- machine: {cpu_model()}, torch threads 1",
        "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        "",
        "## Functions against librosa",
        "",
        "max|ours - librosa| / max|librosa| over the configurations and signals of",
        "`bench/parity.py`.",
        "",
        "| function | dtype | worst | tolerance |",
        "|---|---|---|---|",
    ]
    for r in functions:
        lines.append(f"| `{r['what']}` | {r['dtype']} | {_fmt(r['err'])} | {r['tolerance']:g} |")
    lines += [
        "",
        "## Presets against their references",
        "",
        "max|preset - reference| in the preset's output units over 1.5 s of each signal;",
        "float64 where the preset's record names a float64 reference.",
        "",
        "| preset | reference | dtype | worst: speech, voiced, noise | tolerance | within "
        "| worst: chirp, full scale |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in presets:
        within = "yes" if r["err"] <= r["tolerance"] else "no"
        lines.append(
            f"| {r['what']} | `{r['reference']}` | {r['dtype']} | {_fmt(r['err'])} "
            f"| {r['tolerance']:g} | {within} | {_fmt(r['other'])} |"
        )
    path.write_text("\n".join(lines) + "\n")
    return path
