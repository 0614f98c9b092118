"""A run's bookkeeping on disk, so that its memory stays flat whatever the number of
inputs: the inputs' keys in their order (a key given twice is refused) and the last
journal row of each key, in an SQLite file (Python's own ``sqlite3``) beside the outputs,
removed when the run ends. Nothing in it must survive a kill: the journal is the record,
and a rerun builds the index again from it."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["Index"]

# Statements per transaction: one each would sync nothing (journal and sync are off) but
# still pay a commit each.
BATCH = 10_000
PREFIX = ".fastmel-index-"


class Index:
    """The keys of a run's inputs, in order, and the last journal row of each key."""

    def __init__(self, directory: str) -> None:
        for name in os.listdir(directory):  # (left by a killed run)
            if name.startswith(PREFIX):
                os.unlink(os.path.join(directory, name))
        fd, self.path = tempfile.mkstemp(prefix=PREFIX, suffix=".db", dir=directory)
        os.close(fd)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4096"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE inputs (pos INTEGER PRIMARY KEY, key TEXT UNIQUE)")
        self._db.execute("CREATE TABLE rows (key TEXT PRIMARY KEY, shard TEXT, line TEXT)")
        self._db.execute("BEGIN")
        self._statements = 0

    def _tick(self) -> None:
        self._statements += 1
        if self._statements >= BATCH:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._statements = 0

    def claim(self, key: str) -> bool:
        """Record ``key`` as the next input's; False if it was given before."""
        try:
            self._db.execute("INSERT INTO inputs (key) VALUES (?)", (key,))
        except sqlite3.IntegrityError:
            return False
        self._tick()
        return True

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Journal rows; a key's later row replaces its earlier one."""
        for row in rows:
            self._db.execute(
                "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
                (row["key"], row.get("shard"), json.dumps(row, sort_keys=True)),
            )
            self._tick()

    def row(self, key: str) -> dict[str, Any] | None:
        """The last journal row of ``key``, if any."""
        found = self._db.execute("SELECT line FROM rows WHERE key = ?", (key,)).fetchone()
        return None if found is None else json.loads(found[0])

    def shards(self) -> set[str]:
        """The Parquet shards journal rows point to."""
        query = "SELECT DISTINCT shard FROM rows WHERE shard IS NOT NULL"
        return {shard for (shard,) in self._db.execute(query)}

    def lines(self) -> Iterator[str]:
        """Each key's last row, as a JSON line: the inputs' in their order, then the rest
        (keys of earlier runs that this run's inputs do not name)."""
        yield from (
            line
            for (line,) in self._db.execute(
                "SELECT rows.line FROM inputs JOIN rows USING (key) ORDER BY inputs.pos"
            )
        )
        yield from (
            line
            for (line,) in self._db.execute(
                "SELECT line FROM rows WHERE key NOT IN (SELECT key FROM inputs) ORDER BY rowid"
            )
        )

    def close(self) -> None:
        self._db.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
