#!/usr/bin/env bash
# The test suite against another torch / NumPy / Python (not used by CI):
#   bash scripts/compat.sh PYTHON TORCH_SPEC [EXTRA_SPEC...]
# e.g. bash scripts/compat.sh python3.11 torch==2.1.2 numpy==1.24.4 scipy==1.13.1 "matplotlib<3.9"
# Builds a throwaway virtual environment under $TMPDIR, installs the given torch (from the
# package index: on Linux x86_64 that is a CUDA build, several GB with its NVIDIA packages;
# it runs on the CPU where there is no GPU), the given extras, fastmel with its test extra
# (less Triton when the torch build brings its own) and openai-whisper (--no-deps, as
# `make test`), then runs the whole suite on 2 workers and prints the versions it ran with.
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,9p "$0"; exit 2; }
python=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
env=$(mktemp -d)/venv
"$python" -m venv "$env"
pip() { "$env/bin/python" -m pip -q "$@"; }
pip install "$@" pytest-xdist
# The test extra's own requirements, less the Triton pin (each torch build brings its own).
pip install -e "$root" librosa">=0.11,<0.12" pytest hypothesis scipy matplotlib ruff \
  tqdm more-itertools tiktoken "$@"
pip install --no-deps openai-whisper==20250625
cd "$root"
"$env/bin/python" -c "import sys, torch, numpy, scipy, librosa; print('python', sys.version.split()[0], 'torch', torch.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__, 'librosa', librosa.__version__)"
"$env/bin/python" -m pytest -n 2 -p no:cacheprovider -rs | grep -v "^\s*$" | tail -15
