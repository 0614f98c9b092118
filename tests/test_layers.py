"""The package's layers import only downward (ARCHITECTURE.md), and never bench/ or tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fastmel"
# Each layer's rank; a module may import its own layer and lower ranks only. presets and
# runtime share a rank and must not import each other. "files" are the package's own files
# that read and write files; "top" the command line and the public names.
RANK = {
    "core": 1,
    "ops": 2,
    "feature": 3,
    "presets": 4,
    "runtime": 4,
    "files": 5,
    "corpus": 6,
    "drop-ins": 6,
}
TOP = 7  # cli, __init__, __main__
FILE_MODULES = {"io", "outputs", "formats", "plot", "streamfile"}
# each computes another library's API with fastmel
DROP_IN_MODULES = {"transformers", "torchaudio", "lhotse", "nemo"}


def _layer(module: str) -> str:
    """The layer of a dotted module name under fastmel."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in RANK:
        return parts[1]
    if len(parts) >= 2 and parts[1] in DROP_IN_MODULES:
        return "drop-ins"
    return "files" if len(parts) >= 2 and parts[1] in FILE_MODULES else "top"


def _imports(path: Path) -> list[str]:
    """The absolute modules ``path`` imports (relative imports resolved)."""
    module = "fastmel." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            out.append(name)
            # `from fastmel.presets import whisper` names a module too
            out += [f"{name}.{alias.name}" for alias in node.names if name == "fastmel.presets"]
    return out


FILES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_import_only_their_layer_and_below(path):
    own = _layer("fastmel." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    rank = RANK.get(own, TOP)
    for name in _imports(path):
        root = name.split(".")[0]
        assert root not in ("bench", "tests"), f"{path.name} imports {name}"
        if root != "fastmel" or name == "fastmel":
            continue
        layer = _layer(name)
        other = RANK.get(layer, TOP)
        assert other <= rank, f"{path.relative_to(PACKAGE)} ({own}) imports {name} ({layer})"
        if other == rank and own != layer:
            pytest.fail(f"{path.relative_to(PACKAGE)} ({own}) imports {name} ({layer})")


def test_every_layer_is_checked():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - DROP_IN_MODULES == set(RANK) - {"files", "drop-ins"}
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"cli", "__init__", "__main__"}
    assert modules | (folders & DROP_IN_MODULES) == FILE_MODULES | DROP_IN_MODULES, (
        "a new top-level module: give it a layer"
    )
