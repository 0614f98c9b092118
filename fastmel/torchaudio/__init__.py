"""torchaudio's mel transforms under torchaudio's names, computed by fastmel.

``fastmel.torchaudio`` mirrors the parts of torchaudio that compute mel features, with
torchaudio's argument names, defaults, dtypes and output layouts::

    from fastmel import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_mels=80)
    fbank = torchaudio.compliance.kaldi.fbank(waveform, num_mel_bins=80)

- :mod:`~fastmel.torchaudio.transforms`: ``MelSpectrogram``, ``MFCC``, ``Spectrogram``,
  ``MelScale``, ``AmplitudeToDB``;
- :mod:`~fastmel.torchaudio.functional`: ``melscale_fbanks``, ``create_dct``,
  ``amplitude_to_DB``;
- :mod:`~fastmel.torchaudio.compliance.kaldi`: ``fbank`` and ``mfcc``.

``MelSpectrogram`` is a :class:`~fastmel.FrontEnd` (so ``MelStream``, CUDA graphs and
export take it) and the Kaldi functions run the ``kaldi`` preset; ``Spectrogram`` and
``MelScale`` are torchaudio's own few operations. Arguments fastmel cannot honour raise a
:class:`~fastmel.ParameterError` naming them. torchaudio itself is not needed.
"""

from __future__ import annotations

from fastmel.torchaudio import compliance, functional, transforms

__all__ = ["compliance", "functional", "transforms"]
