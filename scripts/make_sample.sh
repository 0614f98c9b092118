#!/usr/bin/env bash
# Regenerates fastmel/data/speech.wav, the speech sample `fastmel demo` analyses.
# Needs espeak-ng (Debian: apt-get install espeak-ng). Output: mono 16-bit PCM at 22050 Hz.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
espeak-ng -v en-us -s 150 -w "$here/fastmel/data/speech.wav" \
  "The quick brown fox jumps over the lazy dog. Fast mel spectrograms, exactly like librosa."
