"""The output directory's record of what is done: a journal that each finished item's row
is appended to once its output is in place (so that a killed run resumes where it stopped,
without a duplicate), compacted into the manifest, one row per input."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastmel.corpus.index import Index

__all__ = ["JOURNAL_FILE", "MANIFEST_FILE", "Journal"]

JOURNAL_FILE = "journal.jsonl"
MANIFEST_FILE = "manifest.jsonl"
#: The longest the journal's rows wait to be synced to disk.
SYNC_SECONDS = 1.0


class Journal:
    """Rows appended to ``directory/journal.jsonl`` as items finish.

    Each row has ``key``, ``path``, ``status`` ("ok" or "error"), and either ``reason`` or
    ``sr``, ``seconds``, ``frames`` and where the features are (``file``, or ``shard`` and
    ``row``). Later rows of a key replace earlier ones (a retried failure).
    """

    def __init__(self, directory: str, index: Index) -> None:
        self.path = os.path.join(directory, JOURNAL_FILE)
        self.manifest = os.path.join(directory, MANIFEST_FILE)
        self.index = index  # (each row journaled is also indexed)
        self._file: Any = None
        self._synced = time.monotonic()

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows journaled so far, oldest first (a line cut short by a kill is skipped:
        its item was not done)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        continue
        except FileNotFoundError:
            pass

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append ``rows``: handed to the OS at once (a killed process loses none), synced
        to disk at most every :data:`SYNC_SECONDS` and at the end (a power cut loses at most
        that much, which a rerun computes again)."""
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
            if self._file.tell():  # (a line cut short by a kill: end it)
                with open(self.path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        self._file.write("\n")
        rows = list(rows)
        for row in rows:
            self._file.write(json.dumps(row, sort_keys=True) + "\n")
        self._file.flush()
        self.index.add(rows)
        if time.monotonic() - self._synced > SYNC_SECONDS:
            os.fsync(self._file.fileno())
            self._synced = time.monotonic()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    def compact(self) -> int:
        """Write the manifest: one row per key (its last), in the inputs' order and then
        the keys of earlier runs' inputs (from the index); returns the number of rows."""
        self.close()
        tmp = f"{self.manifest}.tmp"
        count = 0
        with open(tmp, "w", encoding="utf-8") as f:
            for line in self.index.lines():
                f.write(line + "\n")
                count += 1
        os.replace(tmp, self.manifest)
        return count
