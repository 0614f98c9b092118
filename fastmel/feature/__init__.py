"""The features as torch modules and librosa-style functions.

``spectrogram`` (MelSpectrogram, melspectrogram), ``kaldi`` (KaldiSpectrogram: Kaldi's
framing on the same pipeline), ``mfcc`` (MFCC, mfcc) and ``frontend`` (FrontEnd:
pre-emphasis, a spectrogram and post-processing, which every preset is).
"""
