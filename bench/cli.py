"""``python -m bench COMMAND``: run, report, parity, presets, soak, corpus, dropins, pipeline,
manifest, alternatives."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="time fastmel and its peers; write bench/results/<machine>.json")
    p.add_argument("--quick", action="store_true", help="fewer lengths and shorter timing")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.add_argument("--settings", nargs="*", help="subset of: wav2lip whisper hifigan")
    p.add_argument("--out", type=Path, help="results file (default: bench/results/<machine>.json)")
    p.add_argument("--report", action="store_true", help="also regenerate BENCHMARKS.md")
    sub.add_parser("report", help="regenerate BENCHMARKS.md and plots from bench/results")
    sub.add_parser(
        "parity", help="measure every function and preset against its reference; write PARITY.md"
    )
    sub.add_parser(
        "presets",
        help="regenerate the presets tables (README.md, docs/guides/presets.md) from the registry",
    )
    p = sub.add_parser(
        "soak", help="push an hour of audio through one stream; report latency and memory drift"
    )
    p.add_argument("--minutes", type=float, default=60.0, help="audio minutes (default: 60)")
    p.add_argument("--chunk-ms", type=float, default=40.0, help="chunk length (default: 40)")
    p.add_argument("--preset", default="wav2lip", help="the stream's preset (default: wav2lip)")
    p = sub.add_parser("corpus", help="fastmel extract against other corpus pipelines")
    p.add_argument("--files", type=int, default=200, help="files in the corpus (default: 200)")
    p.add_argument(
        "--rounds", type=int, default=3, help="rounds of every pipeline, medians (default: 3)"
    )
    p.add_argument("--jobs", type=int, help="workers (default: the CPU cores)")
    p.add_argument(
        "--out", type=Path, help="records (default: bench/results/corpus/<machine>.json)"
    )
    p = sub.add_parser("dropins", help="fastmel.transformers against transformers' extractors")
    p.add_argument(
        "--out", type=Path, help="records (default: bench/results/dropins/<machine>.json)"
    )
    p = sub.add_parser(
        "pipeline", help="each CPU scenario hot and between other work (a model, 32 MB of data)"
    )
    p.add_argument(
        "--out", type=Path, help="records (default: bench/results/pipeline/<machine>.json)"
    )
    p.add_argument(
        "--against", metavar="REV", help="also time fastmel at this commit, in the same run"
    )
    sub.add_parser(
        "alternatives", help="eager ops against a C++ extension and torch.compile (1 s, CPU)"
    )
    p = sub.add_parser("manifest", help="fastmel extract's peak memory against manifest length")
    p.add_argument(
        "--entries", type=int, nargs="+", help="manifest lengths (default: 10k, 100k and 1M)"
    )
    p.add_argument(
        "--out", type=Path, help="records (default: bench/results/manifest/<machine>.json)"
    )
    args = parser.parse_args(argv)
    if args.command == "alternatives":
        from bench.alternatives import run as run_alternatives

        print("\n".join(run_alternatives()))
        return 0
    if args.command == "manifest":
        from bench.manifest import ENTRIES
        from bench.manifest import report as report_manifest
        from bench.manifest import run as run_manifest
        from bench.report import RESULTS
        from bench.run import machine_name

        out = args.out or RESULTS / "manifest" / f"{machine_name('cpu')}.json"
        print(report_manifest(run_manifest(tuple(args.entries or ENTRIES), out)))
        print(f"wrote {out} (`python -m bench report` puts it in BENCHMARKS.md)")
        return 0
    if args.command == "pipeline":
        from bench.pipeline import report as report_pipeline
        from bench.pipeline import run as run_pipeline
        from bench.report import RESULTS
        from bench.run import machine_name

        out = args.out or RESULTS / "pipeline" / f"{machine_name('cpu')}.json"
        print(report_pipeline(run_pipeline(out, against=args.against)))
        print(f"wrote {out} (`python -m bench report` puts it in BENCHMARKS.md)")
        return 0
    if args.command == "dropins":
        from bench.dropins import report as report_dropins
        from bench.dropins import run as run_dropins
        from bench.report import RESULTS
        from bench.run import machine_name

        out = args.out or RESULTS / "dropins" / f"{machine_name('cpu')}.json"
        print(report_dropins(run_dropins(out)))
        print(f"wrote {out} (`python -m bench report` puts it in BENCHMARKS.md)")
        return 0
    if args.command == "corpus":
        from bench.corpus import report
        from bench.corpus import run as run_corpus
        from bench.report import RESULTS
        from bench.run import machine_name

        out = args.out or RESULTS / "corpus" / f"{machine_name('cpu')}.json"
        print(report(run_corpus(args.files, args.jobs, out, args.rounds)))
        print(f"wrote {out} (`python -m bench report` puts it in BENCHMARKS.md)")
        return 0
    if args.command == "soak":
        from bench.soak import report, soak

        print(report(soak(args.minutes, args.chunk_ms, args.preset)))
        return 0
    if args.command == "presets":
        from bench.presets_table import write as write_presets

        print(f"wrote {write_presets()}")
        return 0
    if args.command == "parity":
        from bench.parity import write as write_parity

        print(f"wrote {write_parity()}")
        return 0
    if args.command == "run":
        from bench.run import run

        path = run(quick=args.quick, device=args.device, out=args.out, settings=args.settings)
        print(f"wrote {path}")
        if not args.report:
            return 0
    from bench.report import write

    print(f"wrote {write()}")
    return 0
