"""Corpus extraction: every input is read (files, directories, globs, manifests), every good
file's features equal ``load`` + the module's bit for bit, every bad one gets its row and
stops nothing, reruns resume, and kills lose nothing and duplicate nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
import torch

import fastmel
from fastmel import ParameterError
from fastmel.cli import main
from fastmel.corpus import collect, extract, iter_features
from tests.signals import make_signal

GOOD = {  # key: (signal, rate, seconds, format)
    "speech": ("speech", 16000, 1.3, "wav"),
    "sub/chirp": ("chirp", 22050, 0.9, "flac"),
    "sub/deep/noise": ("noise", 8000, 0.7, "ogg"),
    "voiced": ("voiced", 44100, 0.5, "wav"),
}
BAD = {  # key: (what the file holds, the reason's words)
    "bad/text": ("this is not audio\n", "cannot read audio"),
    "bad/empty": (None, "no audio"),
    "bad/truncated": ("truncated", "truncated"),
    "bad/nan": ("nan", "finite"),
}


def _write_corpus(root) -> None:
    for key, (kind, sr, seconds, ext) in GOOD.items():
        path = root / f"{key}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, 0.5 * make_signal(kind, sr, seconds), sr)
    (root / "bad").mkdir()
    (root / "bad/text.wav").write_text(BAD["bad/text"][0])
    sf.write(root / "bad/empty.wav", np.zeros(0), 16000)
    data = (root / "speech.wav").read_bytes()
    (root / "bad/truncated.wav").write_bytes(data[: len(data) // 2])
    y = make_signal("speech", 16000, 0.5)
    y[100] = np.nan
    sf.write(root / "bad/nan.wav", y, 16000, subtype="FLOAT")
    (root / "notes.md").write_text("not an audio extension: not an input")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    _write_corpus(root)
    return root


def _manifest(out) -> dict[str, dict]:
    rows = [json.loads(line) for line in open(out / "manifest.jsonl")]
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys)), "a key twice in the manifest"
    return {r["key"]: r for r in rows}


def _expected(corpus, key: str, one_thread: bool = True, **config) -> np.ndarray:
    kind, sr, seconds, ext = GOOD[key]
    preset = config.get("preset")
    rate = fastmel.presets.PRESET_SPECS[preset].audio_rate if preset else config.get("sr")
    y, sr = fastmel.load(corpus / f"{key}.{ext}", sr=rate)
    module = fastmel.preset(preset) if preset else fastmel.MelSpectrogram(sr=sr, n_mels=40)
    threads = torch.get_num_threads()
    # (as extract computes: on one torch thread, whatever --jobs; iter_features computes
    # with the caller's threads)
    torch.set_num_threads(1 if one_thread else threads)
    try:
        return module(torch.from_numpy(y)).numpy()
    finally:
        torch.set_num_threads(threads)


def test_inputs_from_directories_globs_and_manifests(corpus, tmp_path):
    keys = [i.key for i in collect([corpus])]
    assert keys == [i.key for i in collect([corpus])] and set(GOOD) | set(BAD) == set(keys)
    assert [i.key for i in collect([str(corpus / "sub" / "**" / "*.flac")])] == ["chirp"]
    (tmp_path / "list.txt").write_text(f"{corpus}/speech.wav\n\n{corpus}/voiced.wav\n")
    assert [i.path for i in collect([tmp_path / "list.txt"])][1] == f"{corpus}/voiced.wav"
    (tmp_path / "m.csv").write_text(f"key,path,offset,duration\na,{corpus}/speech.wav,0.25,0.5\n")
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": f"{corpus}/voiced.wav", "key": "b"}))
    items = list(collect([tmp_path / "m.csv", tmp_path / "m.jsonl"]))
    assert [(i.key, i.offset, i.duration) for i in items] == [("a", 0.25, 0.5), ("b", 0.0, None)]
    kaldi = tmp_path / "kaldi"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"rec1 {corpus}/speech.wav\n")
    (kaldi / "segments").write_text("utt1 rec1 0.0 0.5\nutt2 rec1 0.5 1.2\n")
    items = list(collect([kaldi / "wav.scp"]))
    assert [(i.key, i.offset, round(i.duration, 6)) for i in items] == [
        ("utt1", 0.0, 0.5),
        ("utt2", 0.5, 0.7),
    ]
    with pytest.raises(ParameterError, match="'a' is given twice"):
        list(collect([tmp_path / "m.csv", tmp_path / "m.csv"]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_good_files_equal_load_and_the_module_and_bad_ones_get_their_row(corpus, tmp_path, jobs):
    out = tmp_path / "out"
    summary = extract(corpus, out, jobs=jobs, n_mels=40)
    assert (summary.done, summary.failed, summary.skipped) == (len(GOOD), len(BAD), 0)
    rows = _manifest(out)
    assert set(rows) == set(GOOD) | set(BAD)
    for key in GOOD:
        assert rows[key]["status"] == "ok" and rows[key]["file"] == f"features/{key}.npy"
        got = np.load(out / rows[key]["file"])
        np.testing.assert_array_equal(got, _expected(corpus, key))  # (bit for bit)
        assert rows[key]["frames"] == got.shape[1] and rows[key]["rows"] == 40
    for key, (_, words) in BAD.items():
        assert rows[key]["status"] == "error" and words in rows[key]["reason"], rows[key]
        assert not (out / "features" / f"{key}.npy").exists()
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".fastmel-")]
    assert leftovers == []
    config = json.loads((out / "config.json").read_text())
    assert config["options"] == {"n_mels": 40} and set(config["versions"]) == {
        "fastmel",
        "torch",
        "libsndfile",
        "soxr",
    }


@pytest.mark.parametrize("jobs", [2, 6])  # (2: computed by the calling thread; 6: two threads)
def test_outputs_are_the_same_with_one_or_more_workers(corpus, tmp_path, jobs):
    for fmt in ("npy", "parquet"):
        for n in (1, jobs):
            extract(corpus, tmp_path / f"{fmt}{n}", jobs=n, format=fmt, preset="wav2lip")
        one, more = tmp_path / f"{fmt}1", tmp_path / f"{fmt}{jobs}"
        files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(more) for p in more.rglob("*") if p.is_file())
        for rel in files:
            if rel.name != "journal.jsonl":  # (its rows are in the order items finished)
                assert (one / rel).read_bytes() == (more / rel).read_bytes(), rel


def test_parquet_is_read_without_fastmel(corpus, tmp_path):
    import datasets
    import pandas as pd

    out = tmp_path / "out"
    extract(corpus, out, format="parquet", preset="whisper", shard_bytes=40_000, jobs=1)
    rows = _manifest(out)
    shards = sorted((out / "shards").glob("*.parquet"))
    assert len(shards) >= 2  # (bounded shards)
    frame = pd.concat([pd.read_parquet(s) for s in shards])
    assert sorted(frame["key"]) == sorted(GOOD)
    for key in GOOD:
        row = frame[frame["key"] == key].iloc[0]
        features = np.stack(row["features"]).T  # (frames-major in the file)
        np.testing.assert_array_equal(features, _expected(corpus, key, preset="whisper"))
        assert rows[key]["shard"].startswith("shards/part-") and row["frames"] == features.shape[1]
    dataset = datasets.load_dataset("parquet", data_files=[str(s) for s in shards], split="train")
    assert dataset.num_rows == len(GOOD) and len(dataset[0]["features"][0]) == 80


def test_reruns_resume_retry_and_refuse_another_configuration(corpus, tmp_path):
    out = tmp_path / "out"
    extract(corpus, out, jobs=1, n_mels=40)
    stamp = {p: p.stat().st_mtime_ns for p in (out / "features").rglob("*.npy")}
    again = extract(corpus, out, jobs=1, n_mels=40)
    assert (again.done, again.skipped, again.failed) == (0, len(GOOD), len(BAD))
    assert stamp == {p: p.stat().st_mtime_ns for p in (out / "features").rglob("*.npy")}
    retried = extract(corpus, out, jobs=1, n_mels=40, retry_failed=True)
    assert (retried.done, retried.skipped, retried.failed) == (0, len(GOOD), len(BAD))
    with pytest.raises(ParameterError, match="another configuration .*options"):
        extract(corpus, out, jobs=1, n_mels=80)
    fresh = extract(corpus, out, jobs=1, n_mels=80, overwrite=True)
    assert fresh.done == len(GOOD) and len(_manifest(out)) == len(GOOD) + len(BAD)


def test_the_manifest_follows_the_inputs_order_across_reruns_and_keeps_no_index(corpus, tmp_path):
    # The run's keys and rows live in an index on disk (memory flat over any manifest):
    # the manifest lists this run's inputs in their order, then earlier runs' other keys;
    # a key given twice is refused; the index file goes when the run ends, and one left by
    # a killed run is removed.
    out = tmp_path / "out"
    (tmp_path / "m.csv").write_text(
        "key,path\nb," + str(corpus / "voiced.wav") + "\na," + str(corpus / "speech.wav") + "\n"
    )
    (tmp_path / "n.csv").write_text(
        "key,path\nc," + str(corpus / "bad/text.wav") + "\na," + str(corpus / "speech.wav") + "\n"
    )
    extract(tmp_path / "m.csv", out, jobs=1, n_mels=40)
    assert list(_manifest(out)) == ["b", "a"]
    (out / ".fastmel-index-stale.db").write_text("left by a killed run")
    again = extract(tmp_path / "n.csv", out, jobs=1, n_mels=40)
    assert (again.done, again.skipped, again.failed) == (0, 1, 1)
    rows = _manifest(out)
    assert list(rows) == ["c", "a", "b"] and rows["c"]["status"] == "error"
    assert not list(out.glob(".fastmel-index-*"))
    (tmp_path / "twice.csv").write_text("key,path\na,x.wav\nb,y.wav\na,z.wav\n")
    with pytest.raises(ParameterError, match="'a' is given twice"):
        extract(tmp_path / "twice.csv", tmp_path / "out2", jobs=1, n_mels=40)
    assert not list((tmp_path / "out2").glob(".fastmel-index-*"))


def test_the_command_line_reports_failures_and_its_exit_status(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["extract", str(corpus), "-o", str(out), "--n-mels", "40", "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    assert f"{len(GOOD)} done" in captured.out and f"{len(BAD)} failed" in captured.out
    assert "failed: bad/text: cannot read audio" in captured.err
    allowed = ["--max-failed", "0.5", "--n-mels", "40", "--jobs", "1"]
    assert main(["extract", str(corpus), "-o", str(out), *allowed]) == 0
    strict = tmp_path / "strict"
    assert main(["extract", str(corpus), "-o", str(strict), "--strict", "--jobs", "1"]) == 1
    assert sum(r["status"] == "error" for r in _manifest(strict).values()) == 1
    assert main(["extract", str(corpus), "-o", str(out), "--preset", "kaldi", "--htk"]) == 1
    assert "does not take --htk" in capsys.readouterr().err


def test_iter_features_for_pipelines_of_your_own(corpus):
    got = {key: (features, meta) for key, features, meta in iter_features(corpus, n_mels=40)}
    np.testing.assert_array_equal(got["speech"][0], _expected(corpus, "speech", False))
    assert got["bad/empty"][0] is None and "no audio" in got["bad/empty"][1]["reason"]


KILLS = 20


def _run(corpus, out, fmt):
    args = [
        "extract",
        str(corpus),
        "-o",
        str(out),
        "--jobs",
        "1",
        "--format",
        fmt,
        "--preset",
        "wav2lip",
        "--shard-mb",
        "0.05",
        "--max-failed",
        "1",
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "fastmel", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_at_any_moment_then_a_rerun_equals_an_uninterrupted_run(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(24):  # (enough files for kills to land between them)
        sf.write(root / f"f{i:02d}.wav", 0.3 * make_signal("speech", 16000, 1.0, seed=i), 16000)
    (root / "broken.wav").write_text("not audio")
    rng = random.Random(0)
    for fmt in ("npy", "parquet"):
        reference, killed = tmp_path / f"ref-{fmt}", tmp_path / f"killed-{fmt}"
        assert _run(root, reference, fmt).wait() == 0
        for _ in range(KILLS // 2):
            process = _run(root, killed, fmt)
            time.sleep(rng.uniform(1.0, 3.5))  # (the interpreter's start, then some files)
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert _run(root, killed, fmt).wait() == 0
        assert _manifest(killed).keys() == _manifest(reference).keys()
        if fmt == "npy":
            for path in (reference / "features").rglob("*.npy"):
                rel = path.relative_to(reference)
                assert (killed / rel).read_bytes() == path.read_bytes(), rel
        else:
            import pyarrow.parquet as pq

            def table(d):
                t = pq.read_table(sorted((d / "shards").glob("*.parquet"))).to_pydict()
                return dict(zip(t["key"], t["features"], strict=True))

            a, b = table(reference), table(killed)
            assert sorted(a) == sorted(b)  # (no duplicate key: dict sizes equal row counts)
            assert sum(
                1 for _ in pq.read_table(list((killed / "shards").glob("*.parquet"))).column(0)
            ) == len(b)
            assert all(a[k] == b[k] for k in a)
        leftovers = [p for p in killed.rglob("*") if p.name.startswith(".fastmel-")]
        assert leftovers == []


def test_the_ray_engine_writes_what_the_local_engine_writes(corpus, tmp_path):
    pytest.importorskip("ray.data", reason="the test extra installs Ray Data")
    import ray

    for fmt in ("npy", "parquet"):
        local, distributed = tmp_path / f"local-{fmt}", tmp_path / f"ray-{fmt}"
        extract(corpus, local, format=fmt, preset="wav2lip", jobs=1)
        try:
            summary = extract(
                corpus, distributed, format=fmt, preset="wav2lip", engine="ray", jobs=1
            )
        finally:
            if fmt == "parquet":
                ray.shutdown()
        assert (summary.done, summary.failed) == (len(GOOD), len(BAD))
        assert _manifest(local) == _manifest(distributed)
        for path in local.rglob("*"):
            rel = path.relative_to(local)
            if path.is_file() and rel.name not in ("journal.jsonl", "config.json"):
                assert (distributed / rel).read_bytes() == path.read_bytes(), rel


def test_the_ray_engine_decodes_in_cpu_tasks_beside_gpu_actors(capsys):
    # With GPUs the features' actors must not decode: Ray Data fuses a map into the
    # actors after it when their resources match, so the plan is read from Ray itself.
    pytest.importorskip("ray.data", reason="the test extra installs Ray Data")
    import ray

    from fastmel.corpus.config import ExtractConfig
    from fastmel.corpus.ray_engine import _dataset

    if not hasattr(ray.data.Dataset, "explain"):
        pytest.skip("this Ray does not print its plans (Dataset.explain)")
    rows = [{"key": "a", "path": "a.wav", "offset": 0.0, "duration": -1.0}]
    config = ExtractConfig(preset="whisper")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        plans = {}
        for cuda in (True, False):
            capsys.readouterr()
            _dataset(rows, config, 2, cuda=cuda).explain()
            plans[cuda] = capsys.readouterr().out.split("Physical Plan (Optimized)")[-1]
    finally:
        ray.shutdown()
    assert "TaskPoolMapOperator[MapBatches(decode_batch)]" in plans[True]
    assert "ActorPoolMapOperator[MapBatches(FeatureBatch)]" in plans[True]
    fused = "ActorPoolMapOperator[MapBatches(decode_batch)->MapBatches(FeatureBatch)]"
    assert fused in plans[False]  # (on CPUs the actors decode too, as documented)


def test_the_ray_stages_compute_what_load_and_the_module_give(corpus):
    # the two map_batches stages as plain calls on a numpy batch (as Ray Data calls them)
    import io

    from fastmel.corpus import FeatureBatch, decode_batch

    keys = [*GOOD, *BAD]
    paths = [str(next(corpus.glob(f"{k}.*"))) for k in keys]
    batch = {
        "key": np.array(keys),
        "path": np.array(paths),
        "offset": np.zeros(len(keys)),
        "duration": np.full(len(keys), -1.0),
    }
    decoded = decode_batch(batch, rate=16000.0)
    status = dict(zip(keys, decoded["status"], strict=True))
    assert all(status[k] == "audio" for k in GOOD) and all(status[k] == "error" for k in BAD)
    for k, reason in zip(keys, decoded["reason"], strict=True):
        assert (BAD[k][1] in reason) if k in BAD else reason == ""
    # a file past long_samples is left to the feature stage, which reads it itself
    long = decode_batch(batch, rate=16000.0, long_samples=16000)
    assert long["status"][0] == "long" and long["audio"][0] == b""
    stage = FeatureBatch({"preset": "wav2lip"})
    for given in (decoded, long, batch):  # (and rows no stage decoded)
        out = stage(given)
        assert "audio" not in out and list(out["key"]) == keys
        for j, k in enumerate(keys):
            if k in BAD:
                assert out["status"][j] == "error" and BAD[k][1] in out["reason"][j]
                continue
            assert out["status"][j] == "ok"
            got = np.load(io.BytesIO(out["npy"][j]))
            assert np.array_equal(got, _expected(corpus, k, preset="wav2lip"))
    code = (
        "import sys, numpy as np\n"
        "from fastmel.corpus.ray_engine import decode_batch\n"
        f"b = {{'key': np.array(['a']), 'path': np.array([{paths[0]!r}]),"
        " 'offset': np.zeros(1), 'duration': np.full(1, -1.0)}\n"
        "out = decode_batch(b, rate=16000.0)\n"
        "print(out['status'][0], 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["audio", "False"], done.stderr


@pytest.mark.parametrize(
    ("preset", "float16"), [("wav2lip", False), ("wav2lip", True), ("whisper", False)]
)
def test_long_files_stream_to_their_npy_in_bounded_memory(
    corpus, tmp_path, monkeypatch, preset, float16
):
    from fastmel import streamfile

    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    extract(corpus, whole, jobs=1, preset=preset, float16=float16)
    monkeypatch.setattr(streamfile, "STREAM_SAMPLES", 1000)  # (every file is "long" now)
    monkeypatch.setattr(fastmel.io, "BLOCK_SIZE", 4096)
    summary = extract(corpus, streamed, jobs=1, preset=preset, float16=float16)
    assert (summary.done, summary.failed) == (len(GOOD), len(BAD))
    a, b = _manifest(whole), _manifest(streamed)
    for key in GOOD:
        assert {k: v for k, v in a[key].items()} == b[key]
        x, y = np.load(whole / a[key]["file"]), np.load(streamed / b[key]["file"])
        assert y.dtype == (np.float16 if float16 else np.float32) and y.flags.f_contiguous
        np.testing.assert_allclose(
            y.astype(np.float32), x.astype(np.float32), atol=2e-3 if float16 else 1e-4
        )
    for key, (_, words) in BAD.items():
        assert b[key]["status"] == "error" and words in b[key]["reason"], b[key]
    assert [p for p in streamed.rglob("*") if p.name.startswith(".fastmel-")] == []
    if preset == "whisper":  # (with workers, which leave long files to this process)
        extract(corpus, tmp_path / "workers", jobs=2, preset=preset, float16=float16)
        c = _manifest(tmp_path / "workers")
        assert c == b
        for key in GOOD:
            got = (tmp_path / "workers" / c[key]["file"]).read_bytes()
            assert got == (streamed / b[key]["file"]).read_bytes()


def test_the_decoding_workers_never_import_torch(corpus):
    # (each worker would pay torch's import, over a second of CPU, for nothing)
    code = (
        "import sys\n"
        "from fastmel.corpus import local\n"
        "from fastmel.corpus.inputs import Item\n"
        "local._start(16000.0, None)\n"
        f"item, (y, sr) = local._decode(Item('speech', {str(corpus / 'speech.wav')!r}))\n"
        "print(y.shape[0] > 0, sr, 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "16000.0", "False"], done.stderr
    done = subprocess.run(
        [sys.executable, "-c", "import sys, fastmel; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_script_without_the_main_guard_is_told_why_its_workers_die(corpus, tmp_path):
    # Spawned workers import the caller's script: one calling extract at its top level
    # makes each worker die as it starts. That is said at once, not reported as every
    # file's failure.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import fastmel\n"
        f"fastmel.extract({str(corpus)!r}, {str(tmp_path / 'out')!r}, jobs=2, progress=False)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "if __name__ == " in done.stderr.splitlines()[-1], done.stderr[-2000:]
    assert not (tmp_path / "out" / "manifest.jsonl").exists() or not any(
        '"error"' in line for line in open(tmp_path / "out" / "manifest.jsonl")
    )


def test_the_device_is_checked_and_recorded(corpus, tmp_path):
    with pytest.raises(ParameterError, match="device='nope' is not a torch device"):
        extract(corpus, tmp_path / "a", device="nope")
    with pytest.raises(ParameterError, match="device='meta' must be a CPU or CUDA device"):
        extract(corpus, tmp_path / "a", device="meta")
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="device='cuda': torch sees no CUDA device"):
            extract(corpus, tmp_path / "a", device="cuda")
        assert main(["extract", str(corpus), "-o", str(tmp_path / "b"), "--device", "cuda"]) == 1
    extract([corpus / "speech.wav"], tmp_path / "c", n_mels=40, device="cpu")
    assert json.loads((tmp_path / "c" / "config.json").read_text())["device"] == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("jobs", [1, 2])
def test_features_computed_on_the_gpu_are_the_modules_there(corpus, tmp_path, jobs):
    out = tmp_path / "out"
    summary = extract(corpus, out, jobs=jobs, preset="whisper", device="cuda")
    assert (summary.done, summary.failed) == (len(GOOD), len(BAD))
    module = fastmel.preset("whisper").to("cuda")
    for key, (_, _, _, ext) in GOOD.items():
        y, _ = fastmel.load(corpus / f"{key}.{ext}", sr=16000)
        expected = module(torch.from_numpy(y).cuda()).cpu().numpy()
        np.testing.assert_array_equal(np.load(out / "features" / f"{key}.npy"), expected)


def test_the_progress_bar_counts_files_and_hours(corpus, tmp_path, capsys):
    extract(corpus, tmp_path / "out", n_mels=40, jobs=1, progress=True)
    err = capsys.readouterr().err
    n = len(GOOD) + len(BAD)
    assert f"{n}/{n}" in err and "h audio" in err and "real time" in err
    assert f"{len(BAD)} failed" in err
    extract(corpus, tmp_path / "quiet", n_mels=40, jobs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_a_worker_that_dies_fails_its_item_alone(corpus, tmp_path, monkeypatch):
    # A decoder that crashes the process (as a native library may on a bad file), here
    # on any file named crash*: a sitecustomize that only the spawned workers run.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os\n"
        "import soundfile\n"
        "_read = soundfile.SoundFile.read\n"
        "def read(self, *args, **kwargs):\n"
        "    if os.path.basename(str(self.name)).startswith('crash'):\n"
        "        os._exit(3)\n"
        "    return _read(self, *args, **kwargs)\n"
        "soundfile.SoundFile.read = read\n"
    )
    monkeypatch.setenv("PYTHONPATH", f"{hooks}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for key, (_, _, _, ext) in GOOD.items():
        (inputs / f"{key}.{ext}").parent.mkdir(parents=True, exist_ok=True)
        (inputs / f"{key}.{ext}").write_bytes((corpus / f"{key}.{ext}").read_bytes())
    (inputs / "crash.wav").write_bytes((corpus / "speech.wav").read_bytes())
    out = tmp_path / "out"
    summary = extract(inputs, out, jobs=2, n_mels=40)
    rows = _manifest(out)
    assert summary.failed == 1 and "died" in rows["crash"]["reason"], rows["crash"]
    good = [k for k in rows if k != "crash"]
    assert summary.done == len(good) == len(GOOD)
    for key in good:
        assert rows[key]["status"] == "ok"
        np.testing.assert_array_equal(np.load(out / rows[key]["file"]), _expected(corpus, key))
