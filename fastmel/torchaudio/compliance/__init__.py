"""``torchaudio.compliance``: Kaldi's features (:mod:`fastmel.torchaudio.compliance.kaldi`)."""

from __future__ import annotations

from fastmel.torchaudio.compliance import kaldi

__all__ = ["kaldi"]
