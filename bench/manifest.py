"""``python -m bench manifest``: ``fastmel extract``'s memory against the length of its
manifest. Each run extracts a CSV manifest of N entries in a fresh process (``--jobs 1``,
so that one process holds all the bookkeeping) and records its peak RSS and wall time.
One entry in ``REAL_EVERY`` is a slice of a real file (its features are computed and
written); the others name missing files, which fail at once, so that a million entries
measure what grows with the manifest (keys, the journal, the manifest written at the end)
rather than the features' time."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

ENTRIES = (10_000, 100_000, 1_000_000)
REAL_EVERY = 100


def write_manifest(path: Path, n: int, audio: Path) -> None:
    """A CSV manifest of ``n`` entries: every REAL_EVERY-th a 0.25 s slice of ``audio``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("key,path,offset,duration\n")
        for i in range(n):
            if i % REAL_EVERY == 0:
                f.write(f"utt{i:07d},{audio},{(i // REAL_EVERY) % 8 * 0.25},0.25\n")
            else:
                f.write(f"utt{i:07d},missing/utt{i:07d}.flac,,\n")


def _peak_rss_kb(cmd: list[str]) -> tuple[int, float, int]:
    """Peak RSS (KB) of the process ``cmd`` runs, its wall time and exit status."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.call(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "time.perf_counter() - t, rc)\n"
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
        )
        .stdout.splitlines()[-1]
        .split()
    )  # (after what the command prints)
    return int(out[0]), float(out[1]), int(out[2])


def run(entries: tuple[int, ...] = ENTRIES, out: Path | None = None) -> dict:
    from bench.run import cpu_model, git_commit, versions

    work = Path(tempfile.mkdtemp(prefix="fastmel-manifest-"))
    rows = []
    try:
        audio = work / "speech.wav"
        rng = np.random.default_rng(0)
        sf.write(audio, 0.1 * rng.standard_normal(32000).astype(np.float32), 16000)
        for n in entries:
            manifest = work / f"m{n}.csv"
            write_manifest(manifest, n, audio)
            target = work / f"out{n}"
            cmd = [sys.executable, "-m", "fastmel", "extract", str(manifest), "-o", str(target)]
            cmd += ["--preset", "whisper", "--jobs", "1", "--no-progress", "--max-failed", "1"]
            rss, wall, rc = _peak_rss_kb(cmd)
            with open(target / "manifest.jsonl", encoding="utf-8") as f:
                written = sum(1 for _ in f)
            rows.append(
                {"entries": n, "peak_rss_kb": rss, "wall_s": wall, "exit": rc, "rows": written}
            )
            print(rows[-1], file=sys.stderr, flush=True)
            shutil.rmtree(target)
            manifest.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record = {
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "versions": versions(),
        "real_every": REAL_EVERY,
        "rows": rows,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def report(record: dict) -> str:
    lines = [
        f"`fastmel extract MANIFEST.csv --preset whisper --jobs 1`: one entry in "
        f"{record['real_every']} a 0.25 s slice of a real file, the others missing files "
        "(each gets its error row). Peak RSS of the process, and its growth per entry "
        "over the smallest run.",
        "",
        "| entries | manifest rows written | peak RSS | per entry over the first | wall |",
        "|---|---|---|---|---|",
    ]
    first = record["rows"][0]
    for r in record["rows"]:
        extra = r["entries"] - first["entries"]
        per = f"{(r['peak_rss_kb'] - first['peak_rss_kb']) * 1024 / extra:.0f} B" if extra else ""
        lines.append(
            f"| {r['entries']:,} | {r['rows']:,} | {r['peak_rss_kb']:,} KB | {per} "
            f"| {r['wall_s']:.1f} s |"
        )
    return "\n".join(lines)
