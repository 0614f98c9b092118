"""Command line: ``fastmel mel``, ``fastmel stream``, ``fastmel demo``.

Errors print one line on stderr naming the file and exit with status 1; outputs are checked
before any work and written all or none (:mod:`fastmel.outputs`), so a failure, SIGTERM or
SIGHUP leaves no partial file and never replaces an input.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any

import numpy as np

from fastmel.core.errors import ParameterError
from fastmel.core.memory import check_fits
from fastmel.core.padding import PAD_MODES
from fastmel.core.windows import WINDOWS
from fastmel.formats import ARRAY_FORMATS, array_format, save_array, save_columns
from fastmel.io import AudioBlocks, read_failure
from fastmel.outputs import OutputError, Outputs, check_outputs, exit_on_signals
from fastmel.plot import WIDTH, plot_format, require_matplotlib, save_plot
from fastmel.presets import PRESET_SPECS, PRESETS

SAMPLE = "speech.wav"
#: The picture ``fastmel demo`` writes where matplotlib is installed and no --plot is given.
DEMO_PLOT = "fastmel_demo.png"


class CLIError(Exception):
    """An error reported as one line on stderr."""


def _norm(value: str) -> Any:
    if value.lower() == "none":
        return "none"  # None means "not given"; _mel_kwargs maps this back
    if value == "slaney":
        return value
    try:
        return float(value)
    except ValueError:
        msg = f"invalid norm {value!r}: use slaney, none or a number"
        raise argparse.ArgumentTypeError(msg) from None


def _window(value: str) -> Any:
    """``"kaiser,8"`` -> ``("kaiser", 8.0)``: a scipy window name and its parameters."""
    name, *params = value.split(",")
    if not params:
        return name
    try:
        return (name, *(float(p) for p in params))
    except ValueError:
        msg = f"invalid window {value!r}: use a name, then numbers after commas (kaiser,8)"
        raise argparse.ArgumentTypeError(msg) from None


def _preset_arg(value: str) -> tuple[str, Any]:
    """``"max_over=item"`` -> ``("max_over", "item")``; ``"n_mels=128"`` -> ``("n_mels", 128)``."""
    name, sep, text = value.partition("=")
    if not sep or not name.strip().isidentifier():
        msg = f"invalid --preset-arg {value!r}: use NAME=VALUE (max_over=item)"
        raise argparse.ArgumentTypeError(msg)
    literal = {"true": True, "false": False, "none": None}.get(text.strip().lower(), text)
    if literal is text:
        try:
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            literal = text  # (a path or a name: a string)
    return name.strip(), literal


def _add_mel_options(p: argparse.ArgumentParser, *, segment: bool = True) -> None:
    g = p.add_argument_group(
        "mel spectrogram (librosa's keywords; defaults are librosa's, or the preset's)"
    )
    g.add_argument("--preset", choices=sorted(PRESETS), help="a model's front end (see the docs)")
    g.add_argument(
        "--preset-arg",
        type=_preset_arg,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one of the preset's own options, e.g. max_over=item (repeatable; the value is "
        "a Python literal or else a string)",
    )
    g.add_argument("--sr", type=float, help="resample to this rate (default: native, or preset's)")
    if segment:
        g.add_argument(
            "--offset",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="start reading this far in (default: 0)",
        )
        g.add_argument(
            "--duration",
            type=float,
            metavar="SECONDS",
            help="read at most this much (default: to the end)",
        )
    g.add_argument("--n-fft", type=int, help="FFT size (default: 2048)")
    g.add_argument("--hop-length", type=int, help="hop in samples (default: 512)")
    g.add_argument("--win-length", type=int, help="window length (default: n_fft)")
    g.add_argument(
        "--window",
        type=_window,
        metavar="NAME[,PARAM...]",
        help=f"window: {', '.join(WINDOWS[:5])}, or any other scipy.signal.get_window "
        "name, with its parameters after commas (kaiser,8; needs scipy) (default: "
        "hann)",
    )
    g.add_argument("--n-mels", type=int, help="mel bands (default: 128)")
    g.add_argument("--fmin", type=float, help="lowest frequency, Hz (default: 0)")
    g.add_argument("--fmax", type=float, help="highest frequency, Hz (default: sr/2)")
    g.add_argument("--power", type=float, help="magnitude exponent (default: 2)")
    g.add_argument("--htk", action="store_const", const=True, help="HTK mel scale, not Slaney's")
    g.add_argument("--norm", type=_norm, help="slaney, none or p (default: slaney)")
    g.add_argument("--pad-mode", choices=PAD_MODES, help="centre padding (default: constant)")
    g.add_argument(
        "--no-center",
        dest="center",
        action="store_const",
        const=False,
        help="frames start at sample 0",
    )


MEL_OPTIONS = (
    "n_fft",
    "hop_length",
    "win_length",
    "window",
    "n_mels",
    "fmin",
    "fmax",
    "power",
    "htk",
    "norm",
    "pad_mode",
    "center",
)


def _mel_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The mel options given on the command line (the others keep their defaults)."""
    kw = {k: getattr(args, k) for k in MEL_OPTIONS if getattr(args, k) is not None}
    if "norm" in kw and kw["norm"] == "none":
        kw["norm"] = None
    return kw


def _front_end(args: argparse.Namespace) -> tuple[AudioBlocks, Any]:
    """Open the input and build the module (a preset or a MelSpectrogram) that analyses it:
    the file's blocks at the module's rate, and the module."""
    from fastmel.feature.spectrogram import MelSpectrogram
    from fastmel.presets import preset

    kw = _mel_kwargs(args)
    if not args.preset:
        if args.preset_arg:
            raise CLIError("--preset-arg needs --preset")
        blocks = _open(args.input, args.sr, offset=args.offset, duration=args.duration)
        try:
            return blocks, MelSpectrogram(sr=blocks.sr, **kw)
        except (ParameterError, TypeError) as e:
            raise CLIError(f"{args.input}: {e}") from None
    options = _preset_options(args.preset, kw, args.preset_arg, args.sr)
    sr = options.get("sr", args.sr or PRESETS[args.preset].audio_rate())
    blocks = _open(args.input, sr, offset=args.offset, duration=args.duration)
    try:
        return blocks, preset(args.preset, **options)
    except (ParameterError, TypeError, ValueError) as e:
        raise CLIError(f"--preset {args.preset}: {e}") from None


def _preset_options(
    name: str, mel: dict[str, Any], given: list[tuple[str, Any]], sr: float | None
) -> dict[str, Any]:
    """The keywords of ``preset(name, ...)``: the mel options given and the --preset-arg
    values, each one the preset documents as its own (else a CLIError naming them)."""
    spec = PRESET_SPECS[name]
    options = {**mel, **dict(given)}
    if sr is not None:
        if "sr" in spec.options:
            options.setdefault("sr", sr)
        elif sr != spec.audio_rate:
            raise CLIError(
                f"--preset {name} takes {spec.audio_rate:g} Hz audio; drop --sr {sr:g} "
                "(files are resampled to its rate)"
            )
    foreign = [k for k in options if k not in spec.options]
    if foreign:
        takes = ", ".join(spec.options) or "no options"
        flags = ", ".join(f"--{k.replace('_', '-')}" if k in mel else k for k in foreign)
        raise CLIError(f"--preset {name} does not take {flags} (it takes: {takes})")
    return options


@contextlib.contextmanager
def _reading(path: str) -> Iterator[None]:
    """Turn a failure to read ``path`` into a CLIError naming it."""
    try:
        yield
    except Exception as e:
        reason = read_failure(e)
        if reason is None:
            raise  # (torch's out of memory: reported as such by main)
        # (load names the file where an error is about it)
        raise CLIError(reason if path in reason else f"{path}: {reason}") from None


def _open(path: str, sr: float | None, **kwargs: Any) -> AudioBlocks:
    """``AudioBlocks(path, sr=sr, **kwargs)``; any failure is a CLIError naming the file."""
    with _reading(path):
        return AudioBlocks(path, sr=sr, **kwargs)


def _finite(path: str) -> Callable[[np.ndarray], None]:
    """A check of each block: non-finite audio is refused, as librosa refuses it (a module
    would return NaN frames)."""
    from fastmel.feature.spectrogram import _check_audio

    def check(block: np.ndarray) -> None:
        if block.size:
            try:
                _check_audio(block)
            except ParameterError as e:
                raise CLIError(f"{path}: {e}") from None

    return check


def _read(path: str, blocks: AudioBlocks) -> np.ndarray:
    """The whole input (``load``'s samples); a failure is a CLIError naming the file. An
    empty file is left to the length check, which says what length is needed."""
    check = _finite(path)
    with _reading(path):
        y = np.concatenate([np.zeros(0, np.float32), *blocks])
    check(y)
    return y


def _load(path: str, sr: float | None, **kwargs: Any) -> tuple[np.ndarray, float]:
    """``load(path, sr=sr, **kwargs)``; any failure is a CLIError naming the file."""
    blocks = _open(path, sr, **kwargs)
    return _read(path, blocks), blocks.sr


def _to_db(M: np.ndarray, power: float) -> np.ndarray:
    # power_to_db of the power spectrum: for power 1 this is librosa's amplitude_to_db.
    from fastmel.core.scaling import power_to_db

    return power_to_db(M if power == 2.0 else M ** (2.0 / power))


def cmd_mel(args: argparse.Namespace) -> None:
    import torch

    from fastmel import streamfile

    check_outputs([args.output] + ([args.plot] if args.plot else []), [args.input])
    try:  # (every output checked before any work)
        fmt = array_format(args.output)
        if args.plot:
            plot_format(args.plot)
            require_matplotlib()
    except (ParameterError, ImportError) as e:
        raise CLIError(str(e)) from None
    if args.db and args.preset:
        raise CLIError("--db does not apply to --preset: presets output their own log features")
    blocks, module = _front_end(args)
    sr = blocks.sr
    c = (module.mel if args.preset else module).config
    rows = c.n_mels * getattr(module, "lfr_m", 1)  # (funasr: frames stacked, lfr_m per row)
    if args.plot and rows != c.n_mels:
        raise CLIError(
            f"{args.input}: --plot draws one band per row; --preset {args.preset}'s "
            f"rows stack {rows // c.n_mels} frames of {c.n_mels} bands"
        )
    # A long input streams to a column-written .npy in bounded memory (other formats are
    # then written from it a block at a time; a preset's whole-input step takes passes
    # over its stored frames); otherwise the whole input and output are held.
    long = blocks.n_samples > streamfile.STREAM_SAMPLES
    streamed = long and streamfile.streams(module)
    name = "features" if args.preset else "mel"
    with Outputs() as outputs, contextlib.ExitStack() as files:  # (all outputs, or none)
        edges = None
        if streamed:
            target = outputs.path(args.output)
            spool = files.enter_context(
                open(target, "w+b")  # noqa: SIM115
                if fmt == ".npy"  # (else an unnamed file beside it, gone on any exit)
                else tempfile.TemporaryFile(dir=os.path.dirname(os.path.abspath(target)))
            )
            with _reading(args.input):
                result = streamfile.stream_to_npy(
                    blocks,
                    module,
                    spool,
                    power=c.power,
                    db=args.db,
                    features=bool(args.preset),
                    width=WIDTH if args.plot else None,
                    check=_finite(args.input),
                )
            if fmt != ".npy":
                save_columns(target, result.columns, fmt=fmt, name=name)
            shape, dtype, image, edges = result.shape, "float32", result.image, result.edges
        else:
            try:  # (the samples and the features held: refused before reading if too large)
                n = blocks.n_samples
                check_fits(4 * (n + rows * (n // c.hop_length + 1)), f"{args.input}'s features")
            except ParameterError as e:
                raise CLIError(str(e)) from None
            y = _read(args.input, blocks)
            try:
                M = module(torch.from_numpy(y)).numpy()
            except ParameterError as e:
                raise CLIError(f"{args.input}: {e}") from None
            if args.db:
                M = _to_db(M, c.power)
            image = M if args.db or args.preset else _to_db(M, c.power)
            shape, dtype = M.shape, str(M.dtype)
        if args.plot:
            assert image is not None
            save_plot(
                outputs.path(args.plot),
                image,
                sr=sr,
                hop_length=c.hop_length,
                fmin=c.fmin,
                fmax=c.fmax,
                htk=c.htk,
                title=os.path.basename(args.input),
                label=f"{args.preset} features" if args.preset else "dB",
                bank_sr=c.sr,
                frame_edges=edges,
            )
        if not streamed:
            save_array(outputs.path(args.output), M, fmt=fmt, name=name)
    what = f"{args.preset} features" if args.preset else "mel spectrogram"
    print(f"{args.output}: {what} {tuple(shape)} {dtype} (sr={sr:g})")


def _median_time(fn: Any, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def cmd_demo(args: argparse.Namespace) -> None:
    from fastmel.core.scaling import power_to_db
    from fastmel.feature.spectrogram import melspectrogram

    if args.repeat < 1:
        raise CLIError(f"--repeat must be at least 1, got {args.repeat}")
    plot = args.plot
    try:
        if plot:  # (asked for: it must be written)
            plot_format(plot)
            require_matplotlib()
        else:  # (the default picture, where matplotlib is installed)
            try:
                require_matplotlib()
                plot = DEMO_PLOT
            except ImportError:
                pass
    except (ParameterError, ImportError) as e:
        raise CLIError(str(e)) from None
    if plot:
        check_outputs([plot])
    sample = resources.files("fastmel") / "data" / SAMPLE
    with resources.as_file(sample) as path:
        y, sr = _load(str(path), None)
    M = melspectrogram(y=y, sr=sr)
    print(f"sample: {SAMPLE} ({y.shape[0] / sr:.2f} s at {sr:g} Hz)")
    print(f"mel spectrogram: shape {M.shape} {M.dtype} (n_fft 2048, hop 512, 128 mels)")
    t_ours = _median_time(lambda: melspectrogram(y=y, sr=sr), args.repeat)
    print(f"fastmel: {t_ours * 1e3:.3f} ms per call (median of {args.repeat})")
    try:
        import librosa
    except ImportError:
        print("librosa is not installed: comparison skipped (pip install librosa)")
    else:
        ref = librosa.feature.melspectrogram(y=y, sr=sr)
        err = np.abs(M - ref).max()
        print(
            f"max |fastmel - librosa| = {err:.3g} ({err / np.abs(ref).max():.3g} of max |librosa|)"
        )
        t_ref = _median_time(lambda: librosa.feature.melspectrogram(y=y, sr=sr), args.repeat)
        print(
            f"librosa: {t_ref * 1e3:.3f} ms per call (median of {args.repeat}); "
            f"fastmel takes {t_ours / t_ref:.2f}x librosa's time"
        )
    if not plot:
        print("matplotlib is not installed: picture skipped (pip install 'fastmel[plot]')")
        return
    with Outputs() as outputs:
        save_plot(
            outputs.path(plot),
            power_to_db(M),
            sr=sr,
            hop_length=512,
            fmin=0.0,
            fmax=sr / 2,
            htk=False,
            title=f"fastmel demo: {SAMPLE}",
        )
    print(f"wrote {plot}")


# Streamed output must equal offline output within the float32 parity tolerance.
STREAM_RTOL = 1e-5


def cmd_stream(args: argparse.Namespace) -> None:
    import torch

    from fastmel.runtime.streaming import MelStream

    if not (math.isfinite(args.chunk_ms) and args.chunk_ms > 0):
        raise CLIError(f"--chunk-ms must be a positive finite number, got {args.chunk_ms:g}")
    if args.threads < 0:
        raise CLIError(f"--threads must be 0 (torch's default) or more, got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    blocks, module = _front_end(args)
    y, sr = _read(args.input, blocks), blocks.sr
    if args.preset and not module.causal:
        raise CLIError(
            f"--preset {args.preset} cannot stream: "
            f"{module.whole_input_statistic} needs the whole input"
        )
    audio = torch.from_numpy(y)
    chunk = max(1, round(args.chunk_ms * sr / 1000))
    stream = MelStream(module)
    parts, latencies = [], []
    period = chunk / sr
    start = time.perf_counter()
    for i, piece in enumerate(audio.split(chunk)):
        if args.realtime:  # wait until this chunk would have been recorded
            time.sleep(max(0.0, start + (i + 1) * period - time.perf_counter()))
        t0 = time.perf_counter()
        parts.append(stream.push(piece))
        latencies.append(time.perf_counter() - t0)
    try:
        parts.append(stream.flush())
        offline = module(audio)
    except ParameterError as e:
        raise CLIError(f"{args.input}: {e}") from None
    streamed = torch.cat(parts, dim=-1)
    err = float((streamed - offline).abs().max() / offline.abs().max().clamp_min(1e-30))
    p50, p90, p99 = np.percentile(np.array(latencies) * 1e6, [50, 90, 99])
    print(
        f"{args.input}: {y.shape[0] / sr:.2f} s at {sr:g} Hz, {len(latencies)} chunks of "
        f"{chunk} samples ({args.chunk_ms:g} ms), {torch.get_num_threads()} thread(s)"
    )
    print(f"frames: {streamed.shape[-1]} streamed, {offline.shape[-1]} offline")
    print(f"max |stream - offline| / max |offline| = {err:.3g}")
    print(f"push latency: p50 {p50:.1f} us, p90 {p90:.1f} us, p99 {p99:.1f} us")
    if streamed.shape != offline.shape or not err <= STREAM_RTOL:
        raise CLIError(f"{args.input}: streamed output differs from offline ({err:.3g})")


def _version() -> str:
    """fastmel's version, and torch's and Python's (read without importing torch)."""
    from importlib import metadata

    from fastmel import __version__

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = "not installed"
    python = ".".join(map(str, sys.version_info[:3]))
    return f"fastmel {__version__} (torch {torch_version}, Python {python})"


def cmd_extract(args: argparse.Namespace) -> int:
    from fastmel.corpus import extract

    if not 0.0 <= args.max_failed <= 1.0:
        raise CLIError(f"--max-failed must be a fraction from 0 to 1, got {args.max_failed:g}")
    if args.jobs is not None and args.jobs < 1:
        raise CLIError(f"--jobs must be at least 1, got {args.jobs}")
    if args.shard_mb <= 0:
        raise CLIError(f"--shard-mb must be positive, got {args.shard_mb:g}")
    kw = _mel_kwargs(args)
    if args.preset:
        if args.db:
            raise CLIError("--db does not apply to --preset: presets output their own features")
        options, sr = _preset_options(args.preset, kw, args.preset_arg, args.sr), None
    elif args.preset_arg:
        raise CLIError("--preset-arg needs --preset")
    else:
        options, sr = kw, args.sr
    try:
        summary = extract(
            args.inputs,
            args.output,
            preset=args.preset,
            sr=sr,
            db=args.db,
            format=args.format,
            float16=args.float16,
            device=args.device,
            engine=args.engine,
            jobs=args.jobs,
            overwrite=args.overwrite,
            retry_failed=args.retry_failed,
            strict=args.strict,
            progress=args.progress,
            shard_bytes=int(args.shard_mb * 2**20),
            **options,
        )
    except ParameterError as e:
        raise CLIError(str(e)) from None
    print(f"{args.output}: {summary}")
    for key, reason in summary.failures:
        print(f"failed: {key}: {reason}", file=sys.stderr)
    if summary.failed > len(summary.failures):
        print(f"failed: ... ({summary.failed} in all: see {summary.manifest})", file=sys.stderr)
    failed = summary.failed / summary.total if summary.total else 0.0
    if args.strict and summary.failed:
        return 1
    return 1 if failed > args.max_failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastmel", description="librosa-exact mel spectrograms in PyTorch."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "mel",
        help="mel spectrogram of an audio file to an array file",
        description="Read an audio file like librosa.load (mono, native rate unless "
        "--sr), compute librosa.feature.melspectrogram (or, with --preset, a model's "
        "features), save it as .npy, .npz, .pt or .safetensors (by the extension of -o).",
    )
    p.add_argument("input", help="audio file (wav, flac, ogg, mp3: anything libsndfile reads)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help=f"output file, shape (n_mels, frames); its extension sets the format: "
        f"{', '.join(ARRAY_FORMATS)}",
    )
    _add_mel_options(p)
    p.add_argument(
        "--db",
        action="store_true",
        help="save decibels (power_to_db; amplitude_to_db for --power 1)",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also write an image, .png, .pdf or .svg (dB, or the preset's features)",
    )
    p.set_defaults(func=cmd_mel)

    p = sub.add_parser(
        "stream",
        help="stream a file through MelStream and check it against offline",
        description="Feed an audio file through fastmel.MelStream in fixed-size chunks, "
        "as a real-time source would; check the frames against the offline "
        "computation and print frame counts, the max difference and push latency "
        "percentiles. Exits non-zero if they differ.",
    )
    p.add_argument("input", help="audio file")
    p.add_argument("--chunk-ms", type=float, default=40.0, help="chunk duration (default: 40)")
    p.add_argument("--realtime", action="store_true", help="pace chunks at the audio's rate")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    _add_mel_options(p)
    p.set_defaults(func=cmd_stream)

    p = sub.add_parser(
        "extract",
        help="features of many files into a directory (resumable)",
        description="Compute the features of every input (audio files, directories searched "
        "recursively, globs, manifests: .txt, .csv, .tsv or .jsonl lists of paths with "
        "optional key, offset and duration, Kaldi's wav.scp with its segments) into OUTDIR: "
        "config.json, manifest.jsonl (one row per input: ok with where its features are, or "
        "the error) and features/<key>.npy or shards/part-NNNNN.parquet. A rerun skips what "
        "is done; a bad file gets its row and never stops the others.",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="files, directories, globs, manifests"
    )
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    _add_mel_options(p, segment=False)
    p.add_argument("--db", action="store_true", help="store decibels (power_to_db)")
    p.add_argument("--format", choices=("npy", "parquet"), default="npy", help="(default: npy)")
    p.add_argument("--float16", action="store_true", help="store float16")
    p.add_argument(
        "--device", default="cpu", help="where features are computed: cpu or cuda (default: cpu)"
    )
    p.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="(default: local processes)"
    )
    p.add_argument("--jobs", type=int, help="worker processes (default: the CPU cores)")
    p.add_argument("--overwrite", action="store_true", help="start afresh in OUTDIR")
    p.add_argument("--retry-failed", action="store_true", help="compute earlier failures again")
    p.add_argument("--strict", action="store_true", help="stop at the first failure")
    p.add_argument(
        "--max-failed",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="exit 0 if at most this fraction of the inputs failed (default: 0)",
    )
    p.add_argument(
        "--shard-mb", type=float, default=256.0, help="Parquet shard size (default: 256)"
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal)",
    )
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "demo",
        help="analyse the bundled speech sample and compare with librosa",
        description="Compute the mel spectrogram of a speech sample shipped with "
        "fastmel; print its shape, the difference from librosa and the time per "
        "call of both (when librosa is installed); write a PNG.",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help=f"image to write, .png, .pdf or .svg (default: {DEMO_PLOT} where matplotlib "
        "is installed, else none)",
    )
    p.add_argument("--repeat", type=int, default=50, help="timed calls (default: 50)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        with exit_on_signals():  # (SIGTERM/SIGHUP: outputs are cleaned up as for an error)
            return args.func(args) or 0
    except (CLIError, OutputError) as e:
        print(f"fastmel: error: {e}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError) as e:  # e.g. frames or a filterbank that cannot fit
        if isinstance(e, RuntimeError) and "memory" not in str(e).lower():
            raise  # (torch's allocators raise RuntimeError "... can't allocate memory ...")
        where = f"{args.input}: " if getattr(args, "input", None) else ""
        print(f"fastmel: error: {where}out of memory", file=sys.stderr)
        return 1
