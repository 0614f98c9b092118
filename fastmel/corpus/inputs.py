"""What ``fastmel extract`` reads: files, directories, globs and manifests, as items with a
unique key, read lazily (a manifest of a million rows is never held whole)."""

from __future__ import annotations

import csv
import dataclasses
import glob
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from fastmel.core.errors import ParameterError

__all__ = ["AUDIO_EXTENSIONS", "MANIFEST_EXTENSIONS", "Item", "collect"]

#: File extensions a directory or glob is searched for (what libsndfile reads).
AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".oga",
    ".opus",
    ".mp3",
    ".aiff",
    ".aif",
    ".au",
    ".w64",
    ".caf",
    ".sph",
    ".nist",
)
#: Extensions read as manifests (lists of inputs), and Kaldi's ``wav.scp`` by its name.
MANIFEST_EXTENSIONS = (".txt", ".csv", ".tsv", ".jsonl", ".scp")


@dataclasses.dataclass(frozen=True)
class Item:
    """One input: where its features are stored (``key``) and what audio they are of.

    Attributes
    ----------
    key : str
        Unique name: the relative path without its extension for files found in a
        directory or by a glob, the manifest's key otherwise.
    path : str
        The audio file.
    offset, duration : float, float or None
        The segment read, in seconds (``load``'s meaning).
    """

    key: str
    path: str
    offset: float = 0.0
    duration: float | None = None


def _key(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return Path(rel).with_suffix("").as_posix()


def _directory(root: str) -> Iterator[Item]:
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(AUDIO_EXTENSIONS):
                path = os.path.join(dirpath, name)
                yield Item(_key(path, root), path)


def _glob(pattern: str) -> Iterator[Item]:
    root = os.path.dirname(pattern.split("*")[0].split("?")[0].split("[")[0]) or "."
    for path in sorted(glob.iglob(pattern, recursive=True)):
        if os.path.isfile(path):
            yield Item(_key(path, root), path)


def _float(value: object, name: str, where: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{where}: {name}={value!r} is not a number of seconds") from None


def _row(fields: dict, base: str, where: str) -> Item:
    path = fields.get("path") or fields.get("audio") or fields.get("file")
    if not path:
        raise ParameterError(f"{where}: no path (a 'path' column or field)")
    path = str(path)
    full = path if os.path.isabs(path) else os.path.join(base, path)
    key = str(fields.get("key") or fields.get("id") or Path(path).with_suffix("").as_posix())
    offset = _float(fields.get("offset"), "offset", where) or 0.0
    return Item(key, full, offset, _float(fields.get("duration"), "duration", where))


def _segments(path: str) -> dict[str, list[tuple[str, float, float]]]:
    """Kaldi's ``segments`` beside a ``wav.scp``: recording -> [(utterance, start, end)]."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ParameterError(f"{path}:{number}: expected 'utterance recording start end'")
            utt, rec, start, end = parts
            s, e = (
                _float(start, "start", f"{path}:{number}"),
                _float(end, "end", f"{path}:{number}"),
            )
            assert s is not None and e is not None
            out.setdefault(rec, []).append((utt, s, e - s))
    return out


def _manifest(path: str) -> Iterator[Item]:
    base = os.path.dirname(os.path.abspath(path))
    ext = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8", newline="") as f:
        if ext in (".csv", ".tsv"):
            reader = csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ",")
            for number, fields in enumerate(reader, 2):
                yield _row(fields, base, f"{path}:{number}")
        elif ext == ".jsonl":
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        fields = json.loads(line)
                    except json.JSONDecodeError as e:
                        raise ParameterError(f"{path}:{number}: not JSON ({e.msg})") from None
                    yield _row(fields, base, f"{path}:{number}")
        elif ext == ".scp":  # Kaldi: "key path" per line, cut by a `segments` file beside it
            segments_path = os.path.join(base, "segments")
            segments = _segments(segments_path) if os.path.exists(segments_path) else None
            for number, line in enumerate(f, 1):
                parts = line.strip().split(maxsplit=1)
                if not parts:
                    continue
                if len(parts) != 2 or parts[1].endswith("|"):
                    raise ParameterError(
                        f"{path}:{number}: expected 'key path' (piped commands are not read)"
                    )
                key, audio = parts
                audio = audio if os.path.isabs(audio) else os.path.join(base, audio)
                if segments is None:
                    yield Item(key, audio)
                else:
                    for utt, start, duration in segments.get(key, []):
                        yield Item(utt, audio, start, duration)
        else:  # .txt: one path per line
            for line in f:
                if line.strip():
                    yield _row({"path": line.strip()}, base, path)


def _one(spec: str) -> Iterator[Item]:
    if os.path.isdir(spec):
        yield from _directory(spec)
    elif glob.has_magic(spec):
        yield from _glob(spec)
    elif spec.lower().endswith(MANIFEST_EXTENSIONS):
        yield from _manifest(spec)
    else:  # one audio file (missing or not: its row says so)
        yield Item(Path(spec).with_suffix("").name, spec)


def collect(
    inputs: Iterable[str | os.PathLike[str]], *, claim: Callable[[str], bool] | None = None
) -> Iterator[Item]:
    """Every item of ``inputs`` (files, directories searched recursively, globs, manifests:
    .txt, .csv/.tsv and .jsonl with a ``path`` and optional ``key``, ``offset`` and
    ``duration``, Kaldi's ``wav.scp`` with its ``segments``), lazily, in order.
    ``claim(key)`` records a key and says whether it is new (default: a set in memory).

    Raises
    ------
    ParameterError
        A key given twice (naming it), a manifest row without a path or with a bad number.
    """
    if claim is None:
        seen: set[str] = set()

        def claim(key: str) -> bool:
            if key in seen:
                return False
            seen.add(key)
            return True

    for spec in inputs:
        for item in _one(os.fspath(spec)):
            if not claim(item.key):
                raise ParameterError(f"the key {item.key!r} is given twice ({item.path})")
            yield item
