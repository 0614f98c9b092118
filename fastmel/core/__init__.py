"""The core: what every computation is configured from and checked against.

``errors`` (ParameterError and the checks of scalars), ``arrays`` (NumPy in, NumPy out; the
checks of a signal), ``windows`` (librosa's and Kaldi's windows), ``filters`` (mel scales
and every filterbank builder), ``padding`` (np.pad's modes in torch), ``config`` (MelConfig)
and ``scaling`` (decibels). Nothing here imports the layers above.
"""
