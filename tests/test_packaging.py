"""`python -m build` makes a wheel and an sdist: the wheel holds the package, its data and
its license, with the metadata of pyproject.toml and the one version; the sdist holds every
tracked file its tests, benchmarks and docs need, so that its test suite runs."""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import fastmel

ROOT = Path(__file__).resolve().parent.parent


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        pytest.skip("not a git checkout")
    return [p for p in out.stdout.splitlines() if (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    pytest.importorskip("build", reason="the test extra installs build")
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    wheel, sdist = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheel) == len(sdist) == 1
    return wheel[0], sdist[0]


def test_the_wheel_holds_the_package_its_data_and_license(dist):
    wheel, _ = dist
    names = zipfile.ZipFile(wheel).namelist()
    package = {p for p in _tracked() if p.startswith("fastmel/")}
    assert package <= set(names)
    assert {"fastmel/py.typed", "fastmel/data/speech.wav"} <= set(names)
    info = f"fastmel-{fastmel.__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "docs/"))]
    meta = email.message_from_bytes(zipfile.ZipFile(wheel).read(f"{info}/METADATA"))
    assert meta["Version"] == fastmel.__version__ and meta["License-Expression"] == "MIT"
    assert meta.get_all("Classifier") and meta["Keywords"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Repository", "Changelog"} <= set(urls)
    requires = meta.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    assert sorted(r.split(">")[0] for r in core) == ["numpy", "soundfile", "soxr", "torch"]


def test_the_sdist_holds_what_its_tests_need(dist, tmp_path):
    _, sdist = dist
    with tarfile.open(sdist) as tar:
        root = tar.getnames()[0].split("/")[0]
        names = {n.removeprefix(f"{root}/") for n in tar.getnames()}
        tar.extractall(tmp_path, filter="data")
    missing = [p for p in _tracked() if p not in names and not p.startswith(".git")]
    assert missing == []
    # its tests import their conftest, references and signals from the sdist itself
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_layers.py",
            "tests/test_filters.py",
            "tests/test_docs.py",
        ],
        cwd=tmp_path / root,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def test_the_version_is_written_once():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and f'"{fastmel.__version__}"' not in text
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{fastmel.__version__}]" in changelog
