"""fastmel as it was at another commit, importable beside the working tree's, so that one
interleaved run times both (``python -m bench pipeline --against REV``)."""

from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load(rev: str) -> ModuleType:
    """The package ``fastmel`` of commit ``rev``, imported as ``fastmel_at_<commit>``.

    Its sources are read with ``git archive`` and their imports of ``fastmel`` renamed;
    nothing in the working tree changes.
    """
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    name = f"fastmel_at_{commit}"
    if name in sys.modules:
        return sys.modules[name]
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "fastmel"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    ).stdout
    where = Path(tempfile.mkdtemp(prefix="fastmel-rev-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    package = where / name
    (where / "fastmel").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(re.sub(r"\bfastmel\b", name, path.read_text()))
    sys.path.insert(0, str(where))  # (kept: its submodules import lazily)
    return importlib.import_module(name)
