"""fastmel: librosa-exact mel spectrograms and model front ends in PyTorch.

The public names are here. The package is layered (ARCHITECTURE.md): ``core`` (errors,
arrays, windows, filterbanks, padding, configuration, decibels), ``ops`` (the DFT, the mel
projection, CUDA kernels, precision), ``feature`` (MelSpectrogram, KaldiSpectrogram, MFCC,
FrontEnd), ``presets`` (model front ends and their registry) and ``runtime`` (streaming,
CUDA graphs), then ``io`` (load, AudioBlocks), ``outputs``, ``formats``, ``plot`` and
``streamfile`` (the command line's files), ``corpus`` (corpus extraction) and ``cli``.
"""

from fastmel.core.config import MelConfig
from fastmel.core.errors import ParameterError
from fastmel.core.filters import (
    fft_frequencies,
    hz_to_mel,
    kaldi_mel_filters,
    mel_filters,
    mel_frequencies,
    mel_to_hz,
    speechbrain_mel_filters,
    torchaudio_mel_filters,
)
from fastmel.core.scaling import amplitude_to_db, db_to_amplitude, db_to_power, power_to_db
from fastmel.core.windows import get_window
from fastmel.corpus import extract
from fastmel.feature.frontend import FrontEnd
from fastmel.feature.mfcc import MFCC, mfcc
from fastmel.feature.spectrogram import MelSpectrogram, melspectrogram
from fastmel.io import load
from fastmel.presets import PRESETS, preset
from fastmel.presets.wav2lip import MelWindows, mel_windows
from fastmel.runtime.graph import CUDAGraphRunner, CUDAGraphStream, cuda_graph
from fastmel.runtime.streaming import MelStream, StreamState

__version__ = "0.1.0"

__all__ = [
    "CUDAGraphRunner",
    "CUDAGraphStream",
    "MFCC",
    "PRESETS",
    "FrontEnd",
    "MelConfig",
    "MelSpectrogram",
    "MelStream",
    "MelWindows",
    "ParameterError",
    "StreamState",
    "amplitude_to_db",
    "clear_cache",
    "cuda_graph",
    "db_to_amplitude",
    "db_to_power",
    "extract",
    "fft_frequencies",
    "get_window",
    "hz_to_mel",
    "kaldi_mel_filters",
    "load",
    "mel_filters",
    "mel_frequencies",
    "mel_to_hz",
    "mel_windows",
    "melspectrogram",
    "mfcc",
    "power_to_db",
    "preset",
    "speechbrain_mel_filters",
    "torchaudio_mel_filters",
]


def clear_cache() -> None:
    """Empty every cache of constants (filterbanks, windows, modules used by functions)."""
    from fastmel.core import filters, windows
    from fastmel.feature import mfcc, spectrogram

    filters.clear_cache()
    windows.clear_cache()
    spectrogram.clear_cache()
    mfcc.clear_cache()
