"""The one error type fastmel raises for bad parameters or bad audio."""

__all__ = ["ParameterError"]


class ParameterError(ValueError):
    """A parameter or an audio buffer is invalid (as librosa's ``ParameterError``, a ValueError)."""
