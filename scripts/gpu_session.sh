#!/usr/bin/env bash
# What one call of the GPU device machine runs (not used by CI), in the repository root:
#   bash scripts/gpu_session.sh STEP...
# STEP, run in the order given, each under its own time limit (seconds):
#   probe (120)       python -m bench.gpu_probe: kernels of a runner call, per-call times
#   gemm (90)         python -m bench.gpu_probe gemm: the mel projection's formulations
#   cuda-tests (240)  the tests that need CUDA (and every test of the graph and kernel files)
#   tests (420, or $TESTS_LIMIT)  the whole test suite with CUDA present
#   quick (240)       python -m bench run --device cuda --quick
#   full (300)        the GPU benchmark, which also regenerates BENCHMARKS.md
# (pytest-xdist's 8 workers: the image has pytest-xdist.) Needs the wheels the image lacks
# or holds in other versions (librosa and its small dependencies, nnAudio, soundfile, soxr,
# openai-whisper, kaldi-native-fbank; transformers 5.25, which the extractor tests use, with
# the huggingface_hub it needs) in .whl/ (ignored via .git/info/exclude), fetched beforehand
# on the development machine for the image's Python 3.12:
#   pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
#     --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl \
#     librosa==0.11.0 audioread decorator pooch platformdirs soundfile cffi pycparser soxr \
#     nnAudio==0.3.4 more-itertools kaldi-native-fbank transformers==5.25.0 \
#     huggingface_hub==2.4.0 kernels tomlkit httpx2 httpcore2 truststore regex click hf-xet \
#     anyio h11 idna
# and openai-whisper (an sdist): pip wheel -q --no-deps -w .whl openai-whisper==20250625
# Logs and results go to $OUT (at most 8 files come back).
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
python3 -c "import torch, triton, librosa, torchaudio, transformers; print('torch', torch.__version__, 'triton', triton.__version__, 'librosa', librosa.__version__, 'torchaudio', torchaudio.__version__, 'transformers', transformers.__version__)" || true
tests_in() {  # tests_in SECONDS LOG [PYTEST ARGS...]
  local limit=$1 log=$2; shift 2
  OMP_NUM_THREADS=2 timeout "$limit" python3 -m pytest -n 8 -rs -p no:cacheprovider "$@" 2>&1 \
    | tee "$OUT/$log" | grep -v "^\s*$" | tail -40
}
for step in "$@"; do
  echo "== $step ($(date +%T))"
  case $step in
    probe) timeout 120 python3 -m bench.gpu_probe 2>&1 | tee "$OUT/probe.log" ;;
    gemm) timeout 90 python3 -m bench.gpu_probe gemm 2>&1 | tee "$OUT/gemm.log" ;;
    cuda-tests) tests_in 240 cuda-tests.log -k "cuda or graph or fused" ;;
    tests) tests_in "${TESTS_LIMIT:-420}" tests.log ;;
    quick) timeout 240 python3 -m bench run --device cuda --quick --out "$OUT/quick.json" 2>&1 \
        | tee "$OUT/bench.log" ;;
    full)
      timeout 300 python3 -m bench run --device cuda --report 2>&1 | tee "$OUT/bench.log"
      cp bench/results/*h200*.json bench/results/*h200*.png BENCHMARKS.md "$OUT"/ ;;
    *) echo "unknown step $step" ;;
  esac
done
echo "== done ($(date +%T))"
