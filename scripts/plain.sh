#!/usr/bin/env bash
# A user's first run: a fresh venv with torch and a plain `pip install .` (no extras: no
# matplotlib, no librosa), then `fastmel --version` and `fastmel demo`, which must succeed,
# say what it skipped and write nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
TORCH="${TORCH:-torch==2.13.0}"
VENV="${VENV:-.venv-plain}"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
# shellcheck disable=SC2086  # (TORCH may hold pip options, e.g. an index URL)
"$VENV/bin/python" -m pip install -q $TORCH
"$VENV/bin/python" -m pip install -q .
for module in matplotlib librosa; do
    if "$VENV/bin/python" -c "import $module" 2>/dev/null; then
        echo "plain install: $module is installed, which a plain install must not need" >&2
        exit 1
    fi
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$VENV/bin/fastmel" --version
(cd "$work" && "$OLDPWD/$VENV/bin/fastmel" demo --repeat 3) | tee "$work.out"
grep -q "comparison skipped (pip install librosa)" "$work.out"
grep -q "picture skipped (pip install 'fastmel\[plot\]')" "$work.out"
if [ -n "$(ls -A "$work")" ]; then
    echo "plain install: the demo wrote $(ls "$work") without matplotlib" >&2
    exit 1
fi
rm -f "$work.out"
echo "plain install: the demo ran without matplotlib and librosa"
