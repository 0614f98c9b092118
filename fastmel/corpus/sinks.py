"""Where features are stored: a tree of .npy files named by the items' keys, or Parquet
shards of bounded size. Each output is written to a temporary name and renamed into place
before its rows are journaled, so that a killed run leaves no partial file and a rerun no
duplicate key."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from typing import Any

import numpy as np

from fastmel.corpus.compute import Features

__all__ = ["FEATURES_DIR", "SHARDS_DIR", "NpySink", "ParquetSink", "sink"]

FEATURES_DIR = "features"
SHARDS_DIR = "shards"


def _row(f: Features) -> dict[str, Any]:
    item = f.item
    return {
        "key": item.key,
        "path": item.path,
        "offset": item.offset,
        "duration": item.duration,
        "status": "ok",
        "sr": f.sr,
        "seconds": f.seconds,
        "rows": f.shape[0],
        "frames": f.shape[1],
    }


class NpySink:
    """``directory/features/<key>.npy``, each ``(rows, frames)`` as the module returns it."""

    def __init__(self, directory: str) -> None:
        self.root = os.path.join(directory, FEATURES_DIR)
        self._made: set[str] = set()  # (directories made by this run: once each)

    def write(self, f: Features) -> list[dict[str, Any]]:
        """Store ``f``; returns its journal row (stored as soon as this returns)."""
        rel = f"{f.item.key}.npy"
        path = os.path.join(self.root, rel)
        parent = os.path.dirname(path)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        tmp = f.file or os.path.join(parent, f".fastmel-{secrets.token_hex(6)}.npy")
        try:
            if f.data is not None:
                with open(tmp, "wb") as out:
                    np.save(out, f.data)
            os.replace(tmp, path)  # (a streamed file was spooled in the same file system)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return [{**_row(f), "file": f"{FEATURES_DIR}/{rel}"}]

    def flush(self) -> list[dict[str, Any]]:
        return []

    def clean(self, shards: set[str]) -> None:
        """Remove temporary files a killed run left."""
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                if name.startswith(".fastmel-"):
                    os.unlink(os.path.join(dirpath, name))


class ParquetSink:
    """``directory/shards/part-NNNNN.parquet``: one row per item (key, path, offset,
    duration, sr, seconds, rows, frames and ``features``, a list of frames, each a list of
    ``rows`` values: frames-major, as a trainer reads a sequence), up to about
    ``shard_bytes`` of features per shard. Readable by pyarrow, pandas, Ray and
    ``datasets.load_dataset("parquet", ...)`` without fastmel."""

    def __init__(self, directory: str, shard_bytes: int = 256 << 20) -> None:
        self.root = os.path.join(directory, SHARDS_DIR)
        self.shard_bytes = shard_bytes
        self._pending: list[Features] = []
        self._bytes = 0

    def write(self, f: Features) -> list[dict[str, Any]]:
        """Buffer ``f``; returns the journal rows of a shard once one is written."""
        assert f.data is not None  # (Parquet rows are computed whole)
        self._pending.append(f)
        self._bytes += f.data.nbytes
        return self.flush() if self._bytes >= self.shard_bytes else []

    def _next_name(self) -> str:
        os.makedirs(self.root, exist_ok=True)
        numbers = [int(m.group(1)) for n in os.listdir(self.root) if (m := _SHARD.match(n))]
        return f"part-{max(numbers, default=-1) + 1:05d}.parquet"

    def flush(self) -> list[dict[str, Any]]:
        """Write the buffered items as a shard; returns their journal rows."""
        if not self._pending:
            return []
        import pyarrow as pa
        import pyarrow.parquet as pq

        pending, self._pending, self._bytes = self._pending, [], 0
        name = self._next_name()
        rows = [_row(f) for f in pending]
        columns: dict[str, Any] = {
            k: [r[k] for r in rows]
            for k in ("key", "path", "offset", "duration", "sr", "seconds", "rows", "frames")
        }
        # features: one list of frames per item, each frame a list of its `rows` values,
        # built from the arrays' memory without Python lists of numbers
        arrays = [f.data for f in pending if f.data is not None]
        values = np.concatenate([a.T.ravel() for a in arrays])
        width = np.repeat([a.shape[0] for a in arrays], [a.shape[1] for a in arrays])
        inner = np.concatenate([[0], np.cumsum(width)]).astype(np.int32)
        outer = np.concatenate([[0], np.cumsum([a.shape[1] for a in arrays])])
        frames = pa.ListArray.from_arrays(pa.array(inner), pa.array(values))
        columns["features"] = pa.ListArray.from_arrays(pa.array(outer.astype(np.int32)), frames)
        table = pa.table(columns)
        path = os.path.join(self.root, name)
        tmp = os.path.join(self.root, f".fastmel-{secrets.token_hex(6)}.parquet")
        try:
            # (no dictionary or statistics for the features: a dictionary of floats is
            # built and then dropped, and statistics of every value serve no reader; both
            # made writing a shard more than twice as costly)
            pq.write_table(
                table,
                tmp,
                use_dictionary=False,
                write_statistics=[c for c in columns if c != "features"],
            )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return [{**r, "shard": f"{SHARDS_DIR}/{name}", "row": i} for i, r in enumerate(rows)]

    def clean(self, shards: set[str]) -> None:
        """Remove temporary files and the shards no journal row points to (``shards``:
        those it does; the others were written by a run killed before it journaled them,
        and their items are computed again)."""
        if not os.path.isdir(self.root):
            return
        kept = shards
        for name in os.listdir(self.root):
            if name.startswith(".fastmel-") or (
                _SHARD.match(name) and f"{SHARDS_DIR}/{name}" not in kept
            ):
                os.unlink(os.path.join(self.root, name))


_SHARD = re.compile(r"part-(\d+)\.parquet$")


def sink(fmt: str, directory: str, **options: Any) -> NpySink | ParquetSink:
    """The sink of the format ``fmt``."""
    return NpySink(directory) if fmt == "npy" else ParquetSink(directory, **options)
