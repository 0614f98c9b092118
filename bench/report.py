"""Regenerate BENCHMARKS.md and bench/results/*.png from bench/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path

from bench.peers import NOTES, PEERS, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HEADLINE = "wav2lip"


def _fmt_us(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} us"


def _fmt_err(err) -> str:
    return "n/a" if err is None else f"{err:.1e}"


def _length(s: float) -> str:
    return f"{s * 1000:g} ms" if s < 1 else f"{s:g} s"


def offline_table(records: list[dict], setting: str, threads: int, batch: int) -> list[str]:
    rows = [
        r
        for r in records
        if r["setting"] == setting and r["threads"] == threads and r["batch"] == batch
    ]
    lengths = sorted({r["seconds"] for r in rows})
    peers = [p for p in PEERS if any(r["peer"] == p and "median_us" in r for r in rows)]
    head = "| audio | " + " | ".join(peers) + " |"
    lines = [head, "|" + "---|" * (len(peers) + 1)]
    for s in lengths:
        cells = []
        for p in peers:
            r = next((r for r in rows if r["seconds"] == s and r["peer"] == p), None)
            if r is None or "skipped" in r:
                cells.append("does not run")
                continue
            ratio = "" if p == "fastmel" else f" (x{r['ratio_to_fastmel']:.2f})"
            err = "" if p == "FFT floor" else f"<br>err {_fmt_err(r['max_rel_err'])}"
            cells.append(f"{_fmt_us(r['median_us'])}{ratio}<br>p90 {_fmt_us(r['p90_us'])}{err}")
        lines.append(f"| {_length(s)} | " + " | ".join(cells) + " |")
    return lines


def bars(records: list[dict]) -> list[str]:
    """The CPU bars of the benchmark issue, evaluated on this run (1 thread, batch 1)."""

    def med(peer, seconds):
        r = next(
            (
                r
                for r in records
                if r["setting"] == HEADLINE
                and r["threads"] == 1
                and r["batch"] == 1
                and r["seconds"] == seconds
                and r["peer"] == peer
                and "median_us" in r
            ),
            None,
        )
        return r["median_us"] if r else None

    lines = [
        "| audio | fastmel / eager recipe | bar | fastmel / librosa | bar | fastmel / FFT floor |",
        "|---|---|---|---|---|---|",
    ]
    for seconds, bar_recipe, bar_librosa in ((1.0, 0.6, 0.15), (10.0, 0.7, 0.5)):
        f, rec, lib, floor = (
            med(p, seconds) for p in ("fastmel", "torch recipe (eager)", "librosa", "FFT floor")
        )
        if f is None or rec is None or lib is None or floor is None:
            continue
        a, b = f / rec, f / lib
        verdict_a = "met" if a <= bar_recipe else "NOT met"
        verdict_b = "met" if b <= bar_librosa else "NOT met"
        lines.append(
            f"| {_length(seconds)} | {a:.2f} | <= {bar_recipe} {verdict_a} "
            f"| {b:.3f} | <= {bar_librosa} {verdict_b} | {f / floor:.2f} |"
        )
    return lines


def gpu_bars(result: dict) -> list[str]:
    """The GPU bars of the GPU issue, evaluated on this run."""

    def med(peer, seconds, batch, table="offline"):
        key = "seconds" if table == "offline" else "batch"
        for r in result[table]:
            if r["peer"] == peer and r.get(key) == seconds and r["batch"] == batch:
                return r.get("median_us")
        return None

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = ["| bar | measured | verdict |", "|---|---|---|"]
    graph, compiled = (
        med("fastmel (CUDA graph)", 1.0, 1),
        med("torch recipe (torch.compile)", 1.0, 1),
    )
    if graph is not None:
        lines.append(f"| 1 s, batch 1, runner <= 25 us | {graph:.1f} us | {verdict(graph <= 25)} |")
    if graph is not None and compiled:
        ratio = graph / compiled
        lines.append(
            f"| 1 s, runner <= 0.2x recipe under reduce-overhead | {ratio:.3f}x "
            f"({compiled:.1f} us) | {verdict(ratio <= 0.2)} |"
        )
    push = med("fastmel cuda_graph(MelStream).push", 64, 64, "streaming")
    if push is not None:
        lines.append(
            f"| 64 streams, one 40 ms push <= 50 us | {push:.1f} us | {verdict(push <= 50)} |"
        )
    hours = [r for r in result["offline"] if r["seconds"] * r["batch"] >= 3600 and "median_us" in r]
    shortest = min((r["seconds"] * r["batch"] for r in hours), default=0)  # one hour exactly
    for r in hours:
        if (
            r["peer"] in ("fastmel", "fastmel (CUDA graph)")
            and r["seconds"] * r["batch"] == shortest
        ):
            lines.append(
                f"| {shortest / 3600:g} h of audio ({r['batch']} x {r['seconds']:g} s) in batch "
                f"<= 20 ms ({r['peer']}) | {r['median_us'] / 1000:.2f} ms | "
                f"{verdict(r['median_us'] <= 20_000)} |"
            )
    errs = [
        r["max_rel_err"]
        for r in result["offline"] + result["streaming"]
        if r["peer"].startswith("fastmel") and r.get("max_rel_err") is not None
    ]
    if errs:
        lines.append(
            f"| parity with librosa <= 1e-5 (max over fastmel rows) | {max(errs):.1e} | "
            f"{verdict(max(errs) <= 1e-5)} |"
        )
    return lines


def stream_table(streams: list[dict]) -> list[str]:
    lines = [
        "| streams (B) | implementation | median | p90 | p99 | x fastmel | max err vs librosa |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in streams:
        lines.append(
            f"| {r['batch']} | {r['peer']} | {_fmt_us(r['median_us'])} | "
            f"{_fmt_us(r['p90_us'])} | {_fmt_us(r['p99_us'])} | "
            f"{r['ratio_to_fastmel']:.2f} | {_fmt_err(r['max_rel_err'])} |"
        )
    return lines


def frontends_table(records: list[dict]) -> list[str]:
    """Each preset against its model's own front end (bench/frontends.py), and against any
    other implementation timed with it: one row per peer."""
    lines = [
        "| preset | audio | fastmel preset | implementation | its time | x fastmel "
        "| max abs diff |",
        "|---|---|---|---|---|---|---|",
    ]
    keys = dict.fromkeys((r["preset"], r["seconds"]) for r in records)
    for name, seconds in keys:
        group = [r for r in records if (r["preset"], r["seconds"]) == (name, seconds)]
        ours = next((r for r in group if r["peer"] == "fastmel preset"), None)
        mine = (
            ""
            if ours is None
            else (f"{_fmt_us(ours['median_us'])} (p90 {_fmt_us(ours['p90_us'])})")
        )
        for r in group:
            if r is ours:
                continue
            what = r.get("code") or r["peer"]
            if "skipped" in r or ours is None:
                lines.append(
                    f"| {name} | {_length(seconds)} | {mine} | {r['peer']} | does not "
                    f"run: {r.get('skipped', '')} | | |"
                )
                continue
            lines.append(
                f"| {name} | {_length(seconds)} | {mine} | {what} | {_fmt_us(r['median_us'])} "
                f"(p90 {_fmt_us(r['p90_us'])}) | {r['ratio_to_fastmel']:.2f} "
                f"| {r['max_abs_diff']:.1e} |"
            )
    return lines


def push_table(records: list[dict]) -> list[str]:
    """One push into B streams: median, p90, p99, the ratio to fastmel and the largest
    difference between the two streams' outputs over the whole signal."""
    lines = [
        "| streams (B) | implementation | median | p90 | p99 | x fastmel | max abs diff |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        if "skipped" in r:
            lines.append(f"| {r['batch']} | {r['peer']} | does not run: {r['skipped']} | | | | |")
            continue
        lines.append(
            f"| {r['batch']} | {r['peer']} | {_fmt_us(r['median_us'])} | {_fmt_us(r['p90_us'])} "
            f"| {_fmt_us(r['p99_us'])} | {r['ratio_to_fastmel']:.2f} | {r['max_abs_diff']:.1e} |"
        )
    return lines


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [r for r in result["offline"] if r["setting"] == HEADLINE and "median_us" in r]
    # one panel per (threads, batch) with several lengths (the one-hour batch is a table row)
    combos = sorted(
        c
        for c in {(r["threads"], r["batch"]) for r in records}
        if len({r["seconds"] for r in records if (r["threads"], r["batch"]) == c}) > 1
    )
    fig, axes = plt.subplots(
        1, len(combos), figsize=(5 * len(combos), 5.0), squeeze=False, layout="constrained"
    )
    for ax, (threads, batch) in zip(axes[0], combos, strict=True):
        for peer in PEERS:
            pts = sorted(
                (r["seconds"], r["median_us"])
                for r in records
                if r["peer"] == peer and r["threads"] == threads and r["batch"] == batch
            )
            if pts:
                xs, ys = zip(*pts, strict=True)
                style = dict(lw=2.5, color="k") if peer == "fastmel" else dict(lw=1.2)
                ax.plot(
                    xs, ys, marker="o", label=peer, ls=":" if peer == "FFT floor" else "-", **style
                )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="audio length (s)",
            ylabel="time per call (us)",
            title=f"{HEADLINE}, {threads} thread(s), batch {batch}",
        )
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8)
    fig.suptitle(f"{result['machine']['name']} ({result['device']})")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def section(result: dict, json_path: Path) -> list[str]:
    m, v = result["machine"], result["versions"]
    png = json_path.with_suffix(".png")
    plot(result, png)
    out = [
        f"## {m['name']} ({result['device']})",
        "",
        f"- Hardware: {m['gpu'] or m['cpu']}, {m['cpu_count']} CPU cores; {m['platform']}",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- Run: `{result['command']}` on {result['date']} ({result['duration_s']} s), "
        f"commit {result.get('commit') or 'not recorded'}; "
        f"raw data: `{json_path.relative_to(ROOT)}`",
        "",
        f"![time per call]({png.relative_to(ROOT)})",
        "",
    ]
    records = result["offline"]
    if result["device"] == "cpu":
        out += ["### CPU bars (Wav2Lip settings, 1 thread, batch 1)", ""] + bars(records) + [""]
    else:
        out += ["### GPU bars (Wav2Lip settings)", ""] + gpu_bars(result) + [""]
    if result["streaming"]:
        s = result["streaming"][0]
        out += [f"### Streaming: one push of {s['chunk']} samples (Wav2Lip settings, 1 thread)", ""]
        out += stream_table(result["streaming"]) + [""]
    if result.get("frontends"):
        out += (
            [
                "### Model front ends: each preset against its model's code (1 thread, batch 1)",
                "",
                "Inputs: the speech sample at the preset's rate. Whisper and NeMo are also "
                "timed against the feature extractor transformers' pipelines run. `max abs "
                "diff`: the largest difference between that implementation's output and the "
                "preset's, in the preset's output units (log or dB scale); the tests hold each "
                "preset to the tolerance in its record (`fastmel.presets.PRESET_SPECS`).",
                "",
            ]
            + frontends_table(result["frontends"])
            + [""]
        )
    if result.get("frontend_stream"):
        r = result["frontend_stream"][0]
        out += (
            [
                f"### Kaldi fbank streams: one push of {r['chunk']} samples (16 kHz, 1 thread)",
                "",
                "B streams pushed together: one `MelStream` fed `(B, chunk)`, or B `OnlineFbank` "
                "objects fed in turn. Both emit each frame once its samples have arrived; `max "
                "abs diff`: the largest difference between their outputs over 30 s of pushes "
                "(log units).",
                "",
            ]
            + push_table(result["frontend_stream"])
            + [""]
        )
    skipped = sorted({(r["peer"], r["skipped"]) for r in records if "skipped" in r})
    for setting in SETTINGS:
        sel = [r for r in records if r["setting"] == setting]
        if not sel:
            continue
        st = SETTINGS[setting]
        out += [
            f"### {setting}: {st.sr} Hz, n_fft {st.n_fft}, hop {st.hop_length}, "
            f"{st.n_mels} mels, {st.fmin:g}-{st.fmax:g} Hz",
            "",
        ]
        for threads in sorted({r["threads"] for r in sel}):
            for batch in sorted({r["batch"] for r in sel}):
                out += [f"{threads} thread(s), batch {batch}:", ""]
                out += offline_table(records, setting, threads, batch) + [""]
    if skipped:
        out += ["Not run here: " + "; ".join(f"{p} ({why})" for p, why in skipped), ""]
    return out


def _run_section(title: str, command: str, record: dict, json_path: Path, body: str) -> list[str]:
    """A section of a run recorded as JSON: its title, versions, command, date, commit,
    raw data, then ``body``."""
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    return [
        f"## {title}",
        "",
        f"- Versions: {versions}",
        f"- Run: `{command}` on {record['date']}, commit {record['commit']}; "
        f"raw data: `{json_path.relative_to(ROOT)}`",
        "",
        body,
        "",
    ]


def corpus_section(result: dict, json_path: Path) -> list[str]:
    """A corpus extraction run (``python -m bench corpus``) as its section."""
    from bench.corpus import report

    machine = result["machine"]
    title = f"Corpus extraction: {machine['cpu']}, {machine['cores']} cores"
    command = f"python -m bench corpus --files {result['files']}"
    if result.get("rounds", 1) != 3:
        command += f" --rounds {result.get('rounds', 1)}"
    return _run_section(title, command, result, json_path, report(result))


def dropins_section(record: dict, json_path: Path) -> list[str]:
    """A drop-ins run (``python -m bench dropins``) as its section."""
    from bench.dropins import report

    title = f"Drop-ins against the code they replace: {record['cpu']}"
    return _run_section(title, "python -m bench dropins", record, json_path, report(record))


def manifest_section(record: dict, json_path: Path) -> list[str]:
    """A manifest-memory run (``python -m bench manifest``) as its section."""
    from bench.manifest import report

    title = f"Extraction memory against manifest length: {record['cpu']}"
    return _run_section(title, "python -m bench manifest", record, json_path, report(record))


def pipeline_section(record: dict, json_path: Path) -> list[str]:
    """An in-pipeline run (``python -m bench pipeline``) as its section."""
    from bench.pipeline import plot, report

    png = json_path.with_suffix(".png")
    plot(record, png)
    title = f"Hot and in a pipeline: {record['cpu']}"
    command = "python -m bench pipeline" + (
        f" --against {record['against'].removeprefix('fastmel at ')}"
        if record.get("against")
        else ""
    )
    body = f"![hot and in a pipeline]({png.relative_to(ROOT)})\n\n" + report(record)
    return _run_section(title, command, record, json_path, body)


def write() -> Path:
    files = sorted(RESULTS.glob("*.json"))
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m bench report` from `bench/results/*.json` (written by "
        "`python -m bench run`); do not edit by hand.",
        "",
        "Every cell: median time per call, the ratio to fastmel in the same run (`x2.00`: "
        "twice fastmel's time), the 90th percentile, and the output's max |peer - librosa| / "
        "max |librosa| on the same input (`err`). Peers take turns in shuffled order within "
        "each scenario (`bench/timing.py`); inputs are the bundled speech sample, tiled; "
        "fastmel runs as `MelSpectrogram` on a tensor, librosa on NumPy.",
        "",
        "Peers: " + "; ".join(f"**{p}**: {n}" for p, n in NOTES.items()),
        "",
    ]
    for f in files:
        lines += section(json.loads(f.read_text()), f)
    for f in sorted((RESULTS / "corpus").glob("*.json")):
        lines += corpus_section(json.loads(f.read_text()), f)
    for f in sorted((RESULTS / "manifest").glob("*.json")):
        lines += manifest_section(json.loads(f.read_text()), f)
    for f in sorted((RESULTS / "pipeline").glob("*.json")):
        lines += pipeline_section(json.loads(f.read_text()), f)
    for f in sorted((RESULTS / "dropins").glob("*.json")):
        lines += dropins_section(json.loads(f.read_text()), f)
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(lines))
    return out
