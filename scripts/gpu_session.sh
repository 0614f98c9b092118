#!/usr/bin/env bash
# What one call of the GPU device machine runs (not used by CI): the CUDA tests, the probe,
# and the GPU benchmark. Usage there: bash scripts/gpu_session.sh [quick|full]
# Needs the wheels the image lacks (librosa and its small dependencies, nnAudio, soundfile,
# soxr) in .whl/, and writes logs and results under $OUT.
set -uo pipefail
mode=${1:-quick}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
python3 -c "import torch, librosa, nnAudio, torchaudio, numpy; print('torch', torch.__version__, 'librosa', librosa.__version__, 'torchaudio', torchaudio.__version__, 'numpy', numpy.__version__)"
python3 -m pytest -q -p no:cacheprovider -s tests/test_cuda_graph.py tests/test_graph_stream.py \
  tests/test_module.py tests/test_streaming.py tests/test_parity.py fastmel/graph.py -k "cuda or graph or worst" \
  2>&1 | tee "$OUT/tests.log" | grep -v "^\s*$" | tail -40
python3 -m bench.gpu_probe 2>&1 | tee "$OUT/probe.log"
if [ "$mode" = full ]; then
  python3 -m bench run --device cuda --report 2>&1 | tee "$OUT/bench.log"
  cp bench/results/*h100*.json bench/results/*h200*.json bench/results/*h100*.png \
    bench/results/*h200*.png BENCHMARKS.md "$OUT"/ 2>/dev/null
else
  python3 -m bench run --device cuda --quick --out "$OUT/quick.json" 2>&1 | tee "$OUT/bench.log"
fi
