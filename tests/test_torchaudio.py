"""fastmel.torchaudio against torchaudio's steps, transcribed in tests/references.py
(torchaudio does not install beside the torch tested on here); against torchaudio itself
where a matching pair is installed (the GPU machine's)."""

from __future__ import annotations

import math

import librosa
import numpy as np
import pytest
import torch

import fastmel
from fastmel import ParameterError
from fastmel import torchaudio as ta
from tests import references as ref
from tests.conftest import DB_ATOL, KALDI_ATOL32, assert_parity
from tests.signals import make_signal


def _speech(sr: int, seconds: float = 1.5, batch: int = 2) -> torch.Tensor:
    return torch.from_numpy(
        np.stack([make_signal("speech", sr, seconds, seed=i) for i in range(batch)])
    ).float()


MEL_GRID = [
    {},
    {"sample_rate": 22050, "n_fft": 1024, "hop_length": 256, "n_mels": 80},
    {"sample_rate": 24000, "n_fft": 1024, "win_length": 800, "hop_length": 200, "power": 1.0},
    {"n_fft": 512, "win_length": 400, "hop_length": 160, "norm": "slaney", "mel_scale": "slaney"},
    {"n_mels": 64, "f_min": 50.0, "f_max": 7000.0, "center": False},
    {"pad_mode": "constant", "normalized": True},
    {"normalized": "frame_length", "power": 1.0, "n_mels": 40},
    {"pad": 7, "n_mels": 80},
    {"sample_rate": 44100, "n_fft": 2048, "hop_length": 512, "norm": "slaney"},
    {"sample_rate": 11025, "n_fft": 256, "n_mels": 40},
]


@pytest.mark.parametrize("kw", MEL_GRID, ids=str)
def test_mel_spectrogram_is_torchaudios(kw):
    y = _speech(kw.get("sample_rate", 16000))
    ours = ta.transforms.MelSpectrogram(**kw)(y)
    theirs = ref.torchaudio_mel_spectrogram(y, **kw)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == torch.float32
    assert_parity(ours, theirs, np.float32, str(kw))


@pytest.mark.parametrize("kw", MEL_GRID[:4], ids=str)
def test_mel_spectrogram_streams(kw):
    module = ta.transforms.MelSpectrogram(**kw)
    y = _speech(kw.get("sample_rate", 16000), batch=1)[0]
    stream = fastmel.MelStream(module)
    out = torch.cat([stream.push(c) for c in y.split(1234)] + [stream.flush()], -1)
    assert_parity(out, module(y), np.float32)


def test_a_padded_mel_spectrogram_does_not_stream():
    with pytest.raises(ParameterError):
        fastmel.MelStream(ta.transforms.MelSpectrogram(pad=7))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"n_fft": 512, "win_length": 320, "hop_length": 100, "power": 1.0},
        {"power": None},
        {"normalized": True, "pad": 5},
        {"normalized": "frame_length", "center": False},
        {"onesided": False, "power": 1.0},
    ],
    ids=str,
)
def test_spectrogram_is_torchaudios_and_librosas(kw):
    y = _speech(16000)
    module = ta.transforms.Spectrogram(**kw)
    ours = module(y)
    n_fft, power = kw.get("n_fft", 400), kw.get("power", 2.0)
    win = kw.get("win_length", n_fft)
    hop = kw.get("hop_length", win // 2)
    theirs = ref.torchaudio_spectrogram(
        y, kw.get("pad", 0), torch.hann_window(win), n_fft, hop, win, power,
        kw.get("normalized", False), kw.get("center", True), "reflect", kw.get("onesided", True),
    )  # fmt: skip
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert_parity(ours, theirs, np.float32)
    if power == 2.0 and not kw.get("pad") and not kw.get("normalized"):  # an independent one
        X = librosa.stft(
            y.double().numpy(), n_fft=n_fft, hop_length=hop, win_length=win,
            window=torch.hann_window(win, dtype=torch.float64).numpy(), pad_mode="reflect",
        )  # fmt: skip
        assert_parity(ours, np.abs(X) ** 2, np.float32)


@pytest.mark.parametrize(
    "args",
    [
        (201, 0.0, 8000.0, 128, 16000, None, "htk"),
        (513, 0.0, 11025.0, 80, 22050, "slaney", "slaney"),
        (1025, 40.0, 12000.0, 100, 24000, None, "slaney"),
        (257, 20.0, 7600.0, 64, 16000, "slaney", "htk"),
        (129, 0.0, 5512.0, 40, 11025, None, "htk"),
    ],
    ids=str,
)
def test_melscale_fbanks_and_mel_scale_are_torchaudios(args):
    ours, theirs = ta.functional.melscale_fbanks(*args), ref.torchaudio_melscale_fbanks(*args)
    assert ours.shape == theirs.shape and ours.dtype == torch.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 * float(theirs.max()))
    n_freqs, f_min, f_max, n_mels, sr, norm, scale = args
    spec = ta.transforms.Spectrogram(n_fft=2 * (n_freqs - 1))(_speech(sr))
    mel = ta.transforms.MelScale(n_mels, sr, f_min, f_max, n_freqs, norm, scale)
    assert_parity(mel(spec), torch.matmul(spec.mT, theirs).mT, np.float32)
    assert "fb" in mel.state_dict()  # (a persistent buffer, as torchaudio's)


@pytest.mark.parametrize("shape", [(2, 80, 50), (2, 3, 80, 50), (80, 50), (4, 1, 2, 8, 9)])
@pytest.mark.parametrize(
    ("stype", "top_db"), [("power", None), ("power", 80.0), ("magnitude", 40.0)]
)
def test_amplitude_to_db_is_torchaudios_with_its_per_item_top_db(shape, stype, top_db):
    x = torch.rand(shape) ** 8 * torch.logspace(0, 6, shape[-1])  # (a wide range of levels)
    x.view(-1, *shape[-2:])[0] *= 1e-6  # (items of different peaks)
    ours = ta.transforms.AmplitudeToDB(stype, top_db)(x)
    multiplier = 10.0 if stype == "power" else 20.0
    theirs = ref.torchaudio_amplitude_to_db(x, multiplier, 1e-10, 0.0, top_db)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=DB_ATOL[np.dtype(np.float32)])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"n_mfcc": 13, "melkwargs": {"n_fft": 400, "hop_length": 160, "n_mels": 23}},
        {"n_mfcc": 20, "log_mels": True, "melkwargs": {"n_mels": 64, "mel_scale": "slaney"}},
        {"sample_rate": 22050, "n_mfcc": 30, "norm": None, "melkwargs": {"n_fft": 1024}},
    ],
    ids=str,
)
def test_mfcc_is_torchaudios(kw):
    y = _speech(kw.get("sample_rate", 16000))
    ours = ta.transforms.MFCC(**kw)(y)
    theirs = ref.torchaudio_mfcc(y, **kw)
    assert ours.shape == theirs.shape and ours.dtype == torch.float32
    # (the DCT sums n_mels dB values: their float32 rounding, scaled by the DCT's norm)
    scale = float(
        ref.torchaudio_create_dct(ours.shape[-2], theirs.shape[-2], kw.get("norm", "ortho"))
        .abs()
        .max()
    )
    n_mels = kw.get("melkwargs", {}).get("n_mels", 128)
    atol = DB_ATOL[np.dtype(np.float32)] * scale * n_mels
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol)


KALDI_GRID = [
    {},
    {"num_mel_bins": 80},
    {"num_mel_bins": 80, "snip_edges": False, "window_type": "hamming"},
    {"sample_frequency": 8000.0, "num_mel_bins": 40, "frame_length": 32.0, "frame_shift": 16.0},
    {"use_power": False, "window_type": "hanning", "preemphasis_coefficient": 0.0},
    {"round_to_power_of_two": False, "remove_dc_offset": False, "window_type": "rectangular"},
    {"low_freq": 64.0, "high_freq": -400.0, "subtract_mean": True, "window_type": "blackman"},
    {"num_mel_bins": 128, "sample_frequency": 16000.0},
]


@pytest.mark.parametrize("kw", KALDI_GRID, ids=str)
def test_kaldi_fbank_is_torchaudios(kw):
    sr = int(kw.get("sample_frequency", 16000))
    wave = _speech(sr, batch=2)
    ours = ta.compliance.kaldi.fbank(wave, **kw)
    theirs = ref.torchaudio_kaldi_fbank(wave[0], **kw)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == torch.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=KALDI_ATOL32)
    again = ta.compliance.kaldi.fbank(wave.double(), channel=1, **kw)
    assert again.dtype == torch.float64
    np.testing.assert_allclose(again, ref.torchaudio_kaldi_fbank(wave[1].double(), **kw),
                               rtol=0, atol=KALDI_ATOL32)  # fmt: skip


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"num_ceps": 20, "num_mel_bins": 40, "cepstral_lifter": 0.0},
        {"htk_compat": True, "num_mel_bins": 26},
        {"subtract_mean": True, "snip_edges": False, "window_type": "hamming"},
        {"sample_frequency": 8000.0, "num_ceps": 13, "num_mel_bins": 23, "high_freq": 3800.0},
    ],
    ids=str,
)
def test_kaldi_mfcc_is_torchaudios(kw):
    sr = int(kw.get("sample_frequency", 16000))
    wave = _speech(sr, batch=1)
    ours = ta.compliance.kaldi.mfcc(wave, **kw)
    theirs = ref.torchaudio_kaldi_mfcc(wave[0], **kw)
    assert ours.shape == theirs.shape and ours.dtype == torch.float32
    # (the fbank's tolerance through the orthonormal DCT and the lifter, up to 1 + L / 2)
    n_mels = kw.get("num_mel_bins", 23)
    atol = KALDI_ATOL32 * math.sqrt(n_mels) * (1 + kw.get("cepstral_lifter", 22.0) / 2)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol)


def test_kaldi_min_duration_gives_an_empty_tensor():
    assert ta.compliance.kaldi.fbank(_speech(16000, 0.1), min_duration=0.5).numel() == 0


@pytest.mark.parametrize(
    ("fn", "kw", "name"),
    [
        (ta.compliance.kaldi.fbank, {"dither": 1.0}, "dither"),
        (ta.compliance.kaldi.fbank, {"use_energy": True}, "use_energy"),
        (ta.compliance.kaldi.fbank, {"use_log_fbank": False}, "use_log_fbank"),
        (ta.compliance.kaldi.mfcc, {"vtln_warp": 0.9}, "vtln_warp"),
        (
            ta.compliance.kaldi.fbank,
            {"window_type": "blackman", "blackman_coeff": 0.5},
            "blackman_coeff",
        ),
        (ta.compliance.kaldi.fbank, {"window_type": "sine"}, "window_type"),
        (ta.transforms.MelSpectrogram, {"onesided": False}, "onesided"),
        (ta.transforms.MelSpectrogram, {"power": None}, "power"),
        (ta.transforms.MelSpectrogram, {"mel_scale": "kaldi"}, "mel_scale"),
        (ta.transforms.MFCC, {"dct_type": 3}, "dct_type"),
        (ta.transforms.MFCC, {"n_mfcc": 200}, "n_mfcc"),
        (ta.transforms.AmplitudeToDB, {"stype": "energy"}, "stype"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_fastmel_cannot_honour_is_refused_by_name(fn, kw, name):
    with pytest.raises(ParameterError, match=name):
        if fn in (ta.compliance.kaldi.fbank, ta.compliance.kaldi.mfcc):
            fn(_speech(16000), **kw)
        else:
            fn(**kw)


def _torchaudio():
    try:
        import torchaudio
    except Exception:  # (its wheels are tied to one torch version: often it fails to load)
        return None
    return torchaudio


REAL = _torchaudio()


@pytest.mark.skipif(REAL is None, reason="torchaudio does not import with this torch")
@pytest.mark.parametrize("kw", MEL_GRID, ids=str)
def test_against_torchaudio_itself(kw):
    y = _speech(kw.get("sample_rate", 16000))
    assert_parity(
        ta.transforms.MelSpectrogram(**kw)(y), REAL.transforms.MelSpectrogram(**kw)(y), np.float32
    )
    wave = _speech(16000, batch=1)
    np.testing.assert_allclose(
        ta.compliance.kaldi.fbank(wave, num_mel_bins=80),
        REAL.compliance.kaldi.fbank(wave, num_mel_bins=80),
        rtol=0,
        atol=KALDI_ATOL32,
    )


def test_kaldi_functions_build_their_constants_once_per_configuration(monkeypatch):
    from fastmel.feature.spectrogram import MelSpectrogram

    wave = _speech(16000, batch=1)
    ta.compliance.kaldi.fbank(wave, num_mel_bins=31)  # (built here)
    ta.compliance.kaldi.mfcc(wave, num_mel_bins=31)
    built = []
    original = MelSpectrogram._build_constants
    monkeypatch.setattr(
        MelSpectrogram, "_build_constants", lambda *a: built.append(1) or original(*a)
    )
    for _ in range(3):
        ta.compliance.kaldi.fbank(wave, num_mel_bins=31)
        ta.compliance.kaldi.mfcc(wave, num_mel_bins=31)
    assert not built
