"""The output directory's record of what is done: a journal that each finished item's row
is appended to once its output is in place (so that a killed run resumes where it stopped,
without a duplicate), compacted into the manifest, one row per input."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

__all__ = ["JOURNAL_FILE", "MANIFEST_FILE", "Journal"]

JOURNAL_FILE = "journal.jsonl"
MANIFEST_FILE = "manifest.jsonl"


class Journal:
    """Rows appended to ``directory/journal.jsonl``, flushed to disk with each batch.

    Each row has ``key``, ``path``, ``status`` ("ok" or "error"), and either ``reason`` or
    ``sr``, ``seconds``, ``frames`` and where the features are (``file``, or ``shard`` and
    ``row``). Later rows of a key replace earlier ones (a retried failure).
    """

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, JOURNAL_FILE)
        self.manifest = os.path.join(directory, MANIFEST_FILE)
        self._file: Any = None

    def rows(self) -> dict[str, dict[str, Any]]:
        """The last row of each key journaled so far (a line cut short by a kill is
        skipped: its item was not done)."""
        out: dict[str, dict[str, Any]] = {}
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    out[row["key"]] = row
        except FileNotFoundError:
            pass
        return out

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append ``rows`` and flush them to disk."""
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            if self._file.tell():  # (a line cut short by a kill: end it)
                with open(self.path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        self._file.write("\n")
        for row in rows:
            self._file.write(json.dumps(row, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def compact(self, order: Iterable[str] | None = None) -> int:
        """Write the manifest: one row per key (its last), in ``order`` where given (the
        inputs' order) and then the rest; returns the number of rows."""
        self.close()
        rows = self.rows()
        tmp = f"{self.manifest}.tmp"
        count = 0
        with open(tmp, "w", encoding="utf-8") as f:
            for key in order if order is not None else rows:
                row = rows.pop(key, None)
                if row is not None:
                    f.write(json.dumps(row, sort_keys=True) + "\n")
                    count += 1
            for row in rows.values():
                f.write(json.dumps(row, sort_keys=True) + "\n")
                count += 1
        os.replace(tmp, self.manifest)
        return count
