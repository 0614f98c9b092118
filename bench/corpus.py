"""``python -m bench corpus``: ``fastmel extract`` against the tools users extract corpora
with, on one synthetic corpus made here (slices of the bundled speech sample and synthetic
signals, resampled to mixed rates, re-encoded as wav and flac), in one run of several
rounds: each round runs every pipeline once, in a shuffled order, and each pipeline's
record is its median over the rounds (with each round's rate, to show the spread). Each
run is a process of its own, which first runs the pipeline on a few files untimed
(imports, JIT compilation, Ray's start), then the whole corpus timed: throughput, as in a
long run, rather than one process's start-up.

Measured for each: audio seconds per CPU second (the process and its workers, user +
system) and per wall second. Peers: the decode+resample floor (the same files decoded and
resampled only, by as many worker processes), fastmel's local and Ray engines, a plain
loop of librosa + ``np.save``, Hugging Face ``datasets.map`` with
``WhisperFeatureExtractor`` (padded to 30 s, as Whisper fine-tuning does), and Lhotse's
batched Whisper extraction; those not installed are skipped.

Each stage's share of the work is measured apart, in one process on one thread, with the
libraries and settings ``fastmel extract`` uses: decoding (soundfile), resampling to the
preset's rate (soxr, librosa's quality), the features (the preset's module) and writing
(``np.save``)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

RATES = (16000, 22050, 44100, 48000)


def make_corpus(root: Path, n_files: int = 200, seed: int = 0) -> list[Path]:
    """``n_files`` files of 1-12 s: the speech sample tiled and sliced, or a synthetic
    signal, resampled to a random rate of RATES, written as wav (16-bit) or flac."""
    import soxr

    from fastmel import load
    from tests.signals import make_signal

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory():
        from importlib import resources

        with resources.as_file(resources.files("fastmel") / "data" / "speech.wav") as p:
            speech, sr0 = load(p, sr=None)
    paths = []
    for i in range(n_files):
        sr = int(rng.choice(RATES))
        seconds = float(rng.uniform(1.0, 12.0))
        if rng.random() < 0.7:
            start = int(rng.integers(0, len(speech)))
            y = np.resize(np.roll(speech, -start), int(seconds * sr0))
            y = soxr.resample(y, sr0, sr)
        else:
            kind = str(rng.choice(["voiced", "chirp", "noise"]))
            y = 0.3 * make_signal(kind, sr, seconds, seed=i)
        ext = "flac" if rng.random() < 0.5 else "wav"
        path = root / f"d{i % 10}" / f"utt{i:05d}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, np.clip(y, -1, 1), sr, subtype="PCM_16")
        paths.append(path)
    return paths


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(fn: Callable[[], Any]) -> tuple[float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def _floor(paths: list[Path], jobs: int) -> None:
    """The files decoded and resampled to 16 kHz by the local engine's own workers (its
    decoding function, processes and start method), and nothing else."""
    from fastmel.corpus import local
    from fastmel.corpus.inputs import Item

    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=local._start, initargs=(16000.0, None)
    ) as pool:
        items = (Item(str(p), str(p)) for p in paths)
        list(pool.map(local._decode, items, chunksize=4))


def stages(paths: list[Path], out: Path, preset: str = "whisper") -> dict[str, float]:
    """CPU seconds of each stage of extracting ``paths`` with ``preset``, in this process."""
    import soxr
    import torch

    import fastmel
    from bench.timing import threads
    from fastmel.io import RESAMPLE_QUALITY

    module = fastmel.preset(preset)
    rate = fastmel.presets.PRESET_SPECS[preset].audio_rate
    spent = dict.fromkeys(("decode", "resample", "features", "write"), 0.0)

    def clock() -> float:
        return time.process_time()

    with threads(1), torch.inference_mode():
        for i, path in enumerate(paths):
            t0 = clock()
            y, sr = sf.read(path, dtype="float32", always_2d=True)
            y = y.mean(axis=1) if y.shape[1] > 1 else y[:, 0]
            t1 = clock()
            if sr != rate:
                y = soxr.resample(y, sr, rate, quality=RESAMPLE_QUALITY)
            t2 = clock()
            features = module(torch.from_numpy(np.ascontiguousarray(y, np.float32))).numpy()
            t3 = clock()
            np.save(out / f"{i}.npy", features)
            t4 = clock()
            for name, (a, b) in zip(spent, ((t0, t1), (t1, t2), (t2, t3), (t3, t4)), strict=True):
                spent[name] += b - a
    return spent


def file_cost(directory: Path, n: int = 200) -> float:
    """CPU microseconds to create, write (8 KB) and rename one file in ``directory``: what
    each .npy output costs the file system (it varies much between machines)."""
    directory.mkdir(parents=True, exist_ok=True)
    data = bytes(8192)
    start = time.process_time()
    for i in range(n):
        tmp = directory / f".tmp{i}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, directory / f"{i}.bin")
    return (time.process_time() - start) / n * 1e6


def first_output(corpus: Path, out: Path, jobs: int) -> float:
    """Seconds from starting ``fastmel extract`` (a new process) to its first .npy."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "fastmel", "extract", str(corpus), "-o", str(out)]
    cmd += ["--preset", "whisper", "--jobs", str(jobs), "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        features = out / "features"
        while not (features.exists() and next(features.rglob("*.npy"), None)):
            if proc.poll() is not None:
                raise RuntimeError(f"fastmel extract ended ({proc.returncode}) before an output")
            time.sleep(0.005)
        return time.perf_counter() - start
    finally:
        proc.kill()
        proc.wait()


def _librosa_loop(paths: list[Path], out: Path) -> None:
    import librosa

    for i, p in enumerate(paths):
        y, sr = librosa.load(p, sr=16000)
        np.save(
            out / f"{i}.npy",
            librosa.feature.melspectrogram(y=y, sr=sr, n_fft=400, hop_length=160, n_mels=80),
        )


def _datasets_map(paths: list[Path], out: Path, jobs: int | None) -> None:
    import datasets
    import librosa
    from transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor()

    def features(row: dict) -> dict:
        y, _ = librosa.load(row["path"], sr=16000)
        return {"input_features": extractor(y, sampling_rate=16000)["input_features"][0]}

    ds = datasets.Dataset.from_dict({"path": list(map(str, paths))})
    ds.map(features, num_proc=jobs, cache_file_name=str(out / "cache.arrow"))


def _lhotse(paths: list[Path], out: Path, jobs: int) -> None:
    from lhotse import CutSet, Recording, RecordingSet, WhisperFbank, WhisperFbankConfig

    recordings = RecordingSet.from_recordings(Recording.from_file(p) for p in paths)
    cuts = CutSet.from_manifests(recordings=recordings).resample(16000)
    cuts.compute_and_store_features_batch(
        extractor=WhisperFbank(WhisperFbankConfig(num_filters=80)),
        storage_path=str(out),
        num_workers=jobs,
        batch_duration=300,
    )


#: Files each pipeline's process runs untimed before its timed run.
WARM_UP = 3
#: The pipelines, in the report's order: (name, note; ``{jobs}`` is filled in).
PIPELINES = (
    ("decode+resample floor", "{jobs} processes"),
    ("fastmel extract (local)", "--jobs {jobs}, npy"),
    ("fastmel extract (local, parquet)", "--jobs {jobs}"),
    (
        "fastmel extract (ray)",
        "local Ray, started before timing; CPU of Ray's processes not counted",
    ),
    ("librosa loop + np.save", "one process"),
    ("datasets.map + WhisperFeatureExtractor", "num_proc={jobs}, padded to 30 s"),
    ("lhotse batched WhisperFbank", "num_workers={jobs}"),
)


def _pipeline(name: str, paths: list[Path], work: Path, jobs: int) -> Callable[[], Any]:
    """Pipeline ``name`` ready to run, warmed up here: its libraries imported (and Ray
    started) and its per-item work run in this process on WARM_UP files, so that the
    timed run pays no first-call costs (imports, JIT compilation) its forked workers
    would inherit warm in a long run. Spawned workers (fastmel's, the floor's) start
    inside the timed run, as in a user's."""
    out = work / name.split(" ")[0].replace("+", "-") / str(os.getpid())
    scratch = out.with_name(f"{out.name}-warm-up")
    out.mkdir(parents=True)
    scratch.mkdir()
    few = paths[:WARM_UP]
    if name == "decode+resample floor":  # (its workers are spawned: nothing to warm here)
        import fastmel.corpus.local  # noqa: F401

        return lambda: _floor(paths, jobs)
    if name.startswith("fastmel"):
        import fastmel

        ray = "ray" in name
        kw: dict[str, Any] = {"preset": "whisper", "progress": False}
        if "parquet" in name:
            kw["format"] = "parquet"
        if ray:
            kw["engine"] = "ray"
        # (in this process; Ray is started as the timed run's, with as many CPUs)
        fastmel.extract([str(p) for p in few], scratch, jobs=jobs if ray else 1, **kw)
        return lambda: fastmel.extract(work / "corpus", out, jobs=jobs, **kw)
    if name.startswith("librosa"):
        _librosa_loop(few, scratch)
        return lambda: _librosa_loop(paths, out)
    if name.startswith("datasets"):
        from bench.timing import threads

        # (in this process, which its workers fork from: on one thread, as a forked
        # OpenMP thread pool hangs the workers' torch ops)
        with threads(1):
            _datasets_map(few, scratch, None)
        return lambda: _datasets_map(paths, out, jobs)
    _lhotse(few, scratch, 0)
    return lambda: _lhotse(paths, out, jobs)


def _run_pipeline(name: str, paths: list[Path], work: Path, jobs: int) -> tuple[float, float]:
    """In a fresh process: pipeline ``name``'s wall and CPU seconds (imports not counted)."""
    fn = _pipeline(name, paths, work, jobs)
    return _measure(fn)


def _isolated(name: str, paths: list[Path], work: Path, jobs: int) -> tuple[float, float]:
    """Pipeline ``name`` measured in a process of its own (spawned): no pipeline inherits
    another's imports, threads (a fork after Ray's hangs) or heap."""
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_run_pipeline, name, paths, work, jobs).result()


def _ray_init_seconds(jobs: int) -> float:
    """Wall seconds of starting a local Ray as the Ray engine does (NaN: no Ray)."""
    try:
        import ray

        from fastmel.corpus.ray_engine import _init
    except ImportError:
        return float("nan")
    start = time.perf_counter()
    _init(jobs)
    seconds = time.perf_counter() - start
    ray.shutdown()
    return seconds


def run(
    n_files: int = 200, jobs: int | None = None, out: Path | None = None, rounds: int = 3
) -> dict:
    """Run every pipeline on one corpus, ``rounds`` times in a shuffled order each round,
    each run in a process of its own; returns the records (each pipeline's medians over
    the rounds; also written as JSON to ``out``)."""
    jobs = jobs or os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="fastmel-corpus-"))
    records: list[dict[str, Any]] = []
    try:
        paths = make_corpus(work / "corpus", n_files)
        audio = sum(sf.info(p).duration for p in paths)
        walls: dict[str, list[float]] = {name: [] for name, _ in PIPELINES}
        cpus: dict[str, list[float]] = {name: [] for name, _ in PIPELINES}
        skipped: dict[str, str] = {}
        order = [name for name, _ in PIPELINES]
        shuffle = random.Random(0).shuffle
        for _ in range(rounds):
            shuffle(order)
            for name in order:
                if name in skipped:
                    continue
                try:
                    wall, cpu = _isolated(name, paths, work, jobs)
                except Exception as e:  # (a peer that is not installed or fails: said, skipped)
                    skipped[name] = f"{type(e).__name__}: {e}"[:200]
                    continue
                walls[name].append(wall)
                cpus[name].append(cpu)
        for name, note in PIPELINES:
            if name in skipped:
                records.append({"name": name, "skipped": skipped[name]})
                continue
            cpu, wall = float(np.median(cpus[name])), float(np.median(walls[name]))
            records.append(
                {
                    "name": name,
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "audio_s_per_cpu_s": audio / cpu,
                    "audio_s_per_wall_s": audio / wall,
                    "rounds_audio_s_per_cpu_s": [audio / c for c in cpus[name]],
                    "note": note.format(jobs=jobs),
                }
            )
        stages_dir = work / "stages"
        stages_dir.mkdir()
        stage_s = stages(paths, stages_dir)
        create_us = file_cost(work / "files")
        ray_init_s = _ray_init_seconds(jobs)
        first_s = {n: first_output(work / "corpus", work / f"first{n}", n) for n in (1, jobs)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from bench.run import cpu_model, git_commit, versions

    versions_ = versions()
    for mod in ("datasets", "lhotse", "ray", "pyarrow"):
        try:
            versions_[mod] = __import__(mod).__version__
        except Exception:  # (not installed: its peer was skipped)
            pass
    result = {
        "files": n_files,
        "audio_s": audio,
        "jobs": jobs,
        "rounds": rounds,
        "records": records,
        "stages_cpu_s": stage_s,
        "first_output_s": first_s,
        "file_create_cpu_us": create_us,
        "ray_init_s": ray_init_s,
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count()},
        "versions": versions_,
        "commit": git_commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result


def report(result: dict) -> str:
    """The records as a Markdown table, with fastmel's ratios against each."""
    by_name = {r["name"]: r for r in result["records"] if "skipped" not in r}
    ours = by_name.get("fastmel extract (local)")
    rounds = result.get("rounds", 1)
    lines = [
        f"{result['files']} files, {result['audio_s'] / 3600:.2f} h of audio, "
        f"{result['jobs']} workers"
        + (
            f"; {rounds} rounds, each running every pipeline once in a shuffled order, "
            f"each run in a process of its own after {WARM_UP} untimed files: medians, and "
            "each round's rate"
            if rounds > 1
            else ""
        ),
        "",
        "fastmel's speed-up: its audio seconds per CPU second over the pipeline's.",
        "",
        "| pipeline | audio s / CPU s | each round | audio s / wall s | fastmel's speed-up "
        "| note |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["records"]:
        if "skipped" in r:
            lines.append(f"| {r['name']} | skipped | | | | {r['skipped']} |")
            continue
        ratio = ours["audio_s_per_cpu_s"] / r["audio_s_per_cpu_s"] if ours else float("nan")
        each = ", ".join(f"{v:.0f}" for v in r.get("rounds_audio_s_per_cpu_s", []))
        lines.append(
            f"| {r['name']} | {r['audio_s_per_cpu_s']:.0f} | {each} "
            f"| {r['audio_s_per_wall_s']:.0f} | {ratio:.2f}x | {r['note']} |"
        )
    spent = result.get("stages_cpu_s")
    if spent:
        total = sum(spent.values())
        lines += [
            "",
            "Each stage's share of the work (one process, one thread, whisper preset: "
            f"{result['audio_s'] / total:.0f} audio s per CPU s):",
            "",
            "| stage | CPU s | share |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {v:.2f} | {v / total:.0%} |" for k, v in spent.items()]
    create = result.get("file_create_cpu_us")
    if create is not None:
        lines += [
            "",
            f"Creating, writing (8 KB) and renaming one file in the output's file system took "
            f"{create:.0f} us of CPU in this run; each .npy output is one such file.",
        ]
    ray_init = result.get("ray_init_s")
    if ray_init is not None and ray_init == ray_init:  # (NaN: no Ray)
        lines += [
            "",
            f"Starting a local Ray (`ray.init`, not in the timings) took {ray_init:.1f} s.",
        ]
    first = result.get("first_output_s")
    if first:
        lines += [
            "",
            "First output (from starting `fastmel extract --preset whisper` to its first "
            ".npy): " + ", ".join(f"{v:.2f} s with --jobs {k}" for k, v in first.items()) + ".",
        ]
    return "\n".join(lines)
