"""fastmel: librosa-exact mel spectrograms in PyTorch.

Modules: ``filters`` (mel scale, windows, filterbank), ``spectrogram`` (MelSpectrogram,
melspectrogram), ``streaming`` (MelStream), ``scaling`` (decibels), ``io`` (load),
``cli`` (command line).
"""

from .errors import ParameterError
from .filters import fft_frequencies, get_window, hz_to_mel, mel_filters, mel_frequencies, mel_to_hz
from .scaling import amplitude_to_db, power_to_db
from .spectrogram import MelConfig, MelSpectrogram, melspectrogram
from .streaming import MelStream

__version__ = "0.1.0"

__all__ = [
    "MelConfig",
    "MelSpectrogram",
    "MelStream",
    "ParameterError",
    "amplitude_to_db",
    "clear_cache",
    "fft_frequencies",
    "get_window",
    "hz_to_mel",
    "mel_filters",
    "mel_frequencies",
    "mel_to_hz",
    "melspectrogram",
    "power_to_db",
]


def clear_cache() -> None:
    """Empty every cache of constants (filterbanks, windows, modules used by functions)."""
    from . import filters, spectrogram

    filters.clear_cache()
    spectrogram.clear_cache()
