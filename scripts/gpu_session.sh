#!/usr/bin/env bash
# What one call of the GPU device machine runs (not used by CI), in the repository root:
#   bash scripts/gpu_session.sh [tests] [probe] [gemm] [quick|full]
# tests: the whole test suite with CUDA present (8 pytest-xdist workers); probe:
# python -m bench.gpu_probe; gemm: python -m bench.gpu_probe gemm (the GEMM formulations of
# the mel projection); quick/full: the GPU benchmark
# (full also regenerates BENCHMARKS.md). Needs the wheels the image lacks or may lack (librosa and its
# small dependencies, nnAudio, soundfile, soxr, openai-whisper, hypothesis) in .whl/ (ignored via .git/info/exclude),
# fetched beforehand on the development machine for the image's Python 3.12:
#   pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl \
#     librosa==0.11.0 audioread decorator pooch platformdirs soundfile cffi pycparser soxr \
#     nnAudio==0.3.4 more-itertools hypothesis attrs sortedcontainers
# and openai-whisper (an sdist): pip wheel -q --no-deps -w .whl openai-whisper==20250625
# Logs and results go to $OUT.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
python3 -c "import torch, triton, librosa, torchaudio; print('torch', torch.__version__, 'triton', triton.__version__, 'librosa', librosa.__version__, 'torchaudio', torchaudio.__version__)"
for step in "$@"; do
  case $step in
    tests)
      python3 -m pytest -n 8 -rs -p no:cacheprovider 2>&1 | tee "$OUT/tests.log" \
        | grep -v "^\s*$" | tail -40 ;;
    probe) python3 -m bench.gpu_probe 2>&1 | tee "$OUT/probe.log" ;;
    gemm) python3 -m bench.gpu_probe gemm 2>&1 | tee "$OUT/gemm.log" ;;
    quick) python3 -m bench run --device cuda --quick --out "$OUT/quick.json" 2>&1 \
        | tee "$OUT/bench.log" ;;
    full)
      python3 -m bench run --device cuda --report 2>&1 | tee "$OUT/bench.log"
      cp bench/results/*h100*.json bench/results/*h200*.json bench/results/*h100*.png \
        bench/results/*h200*.png BENCHMARKS.md "$OUT"/ 2>/dev/null ;;
  esac
done
