"""Presets equal their model's reference front end; the causal ones stream exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import fastmel
from fastmel import MelStream, ParameterError
from fastmel.presets import PRESET_SPECS
from tests import references as ref
from tests.checks import max_abs
from tests.conftest import PRESET_ATOL, make_signal


def _audio(sr: int, seconds: float = 2.0, batch: int = 0) -> torch.Tensor:
    kinds = ["speech", "voiced", "chirp", "noise"]
    if not batch:
        return torch.from_numpy(make_signal("speech", sr, seconds).astype(np.float32))
    return torch.from_numpy(
        np.stack([make_signal(kinds[i % 4], sr, seconds, seed=i) for i in range(batch)]).astype(
            np.float32
        )
    )


def assert_preset(name: str, ours, reference, what: str = "") -> float:
    err = max_abs(ours, reference)
    assert err <= PRESET_ATOL[name], (
        f"{name} {what}: max|ours - ref| = {err:.3g} > {PRESET_ATOL[name]}"
    )
    return err


def stream_in_sizes(stream: MelStream, y: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """All of ``stream``'s frames for ``y`` pushed in chunks of ``sizes`` (cycled), then flushed."""
    parts, pos, i = [], 0, 0
    while pos < y.shape[-1]:
        n = sizes[i % len(sizes)]
        parts.append(stream.push(y[..., pos : pos + n]))
        pos, i = pos + n, i + 1
    parts.append(stream.flush())
    return torch.cat(parts, dim=-1)


def reference_output(name: str, y: torch.Tensor, **kw) -> torch.Tensor | np.ndarray:
    """The preset's reference (the function of tests/references.py its record names)."""
    return getattr(ref, PRESET_SPECS[name].reference)(y, **kw)


# Presets whose reference is a transformers feature extractor itself (tests/test_extractors.py)
EXTRACTED = ("seamless", "ast", "gemma4", "gemma3n")
SR = {name: int(spec.audio_rate) for name, spec in PRESET_SPECS.items()}
CASES = [
    ("whisper", {}),
    ("whisper", {"n_mels": 128}),
    ("wav2lip", {}),
    ("wav2lip", {"pad_mode": "reflect"}),
    ("hifigan", {}),
    ("bigvgan", {}),
    ("cosyvoice", {}),
    ("vocos", {}),
    ("f5tts", {}),
    ("styletts2", {}),
    ("nemo", {}),
    ("nemo", {"normalize": None}),
    ("funasr", {}),
    ("speechbrain", {}),
    ("speechbrain", {"n_mels": 24}),
    ("speechbrain", {"top_db": None, "subtract_mean": False}),
]
# every case above and every registered preset's defaults, where they stream
STREAMING = [
    (n, kw)
    for n, kw in CASES + [(name, {}) for name in PRESET_SPECS if (name, {}) not in CASES]
    if fastmel.preset(n, **kw).causal
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}{kw}" for n, kw in CASES])
@pytest.mark.parametrize("signal", ["speech", "voiced", "chirp", "fullscale"])
def test_preset_equals_reference(name, kw, signal):
    y = torch.from_numpy(make_signal(signal, SR[name], 1.5).astype(np.float32))
    assert_preset(name, fastmel.preset(name, **kw)(y), reference_output(name, y, **kw), signal)


@pytest.mark.parametrize("name", PRESET_SPECS)
@pytest.mark.parametrize("signal", ["speech", "voiced"])
def test_every_registered_preset_equals_its_reference(name, signal):
    y = torch.from_numpy(make_signal(signal, SR[name], 1.5).astype(np.float32))
    assert_preset(name, fastmel.preset(name)(y), reference_output(name, y), signal)


FLOAT64 = [name for name, spec in PRESET_SPECS.items() if spec.reference64]


@pytest.mark.parametrize("name", FLOAT64)
@pytest.mark.parametrize("signal", ["speech", "voiced"])
def test_float64_presets_equal_their_float64_reference(name, signal):
    spec = PRESET_SPECS[name]
    y = torch.from_numpy(make_signal(signal, SR[name], 1.5))
    ours = fastmel.preset(name, dtype=torch.float64)(y)
    err = max_abs(ours, getattr(ref, spec.reference64)(y))
    assert err <= spec.tolerance.float64, f"{name}, {signal}: float64 {err:.3g}"


def test_every_registered_preset_has_a_reference_and_a_citation():
    for name, spec in PRESET_SPECS.items():
        assert callable(getattr(ref, spec.reference, None)), f"{name}: no {spec.reference}"
        assert spec.reference64 is None or callable(getattr(ref, spec.reference64, None)), name
        assert spec.model and spec.front_end.__doc__, name
        assert spec.streams == fastmel.preset(name).causal, name
        assert spec.streams or spec.why_not_streaming, name


@pytest.mark.parametrize(
    "name", ["hifigan", "bigvgan", "cosyvoice", "vocos", "styletts2", "wav2lip"]
)
def test_batched_preset_equals_each_item(name):
    y = _audio(SR[name], 1.0, batch=3)
    front = fastmel.preset(name)
    out = front(y)
    for i in range(3):
        assert_preset(name, out[i], reference_output(name, y[i]), f"item {i}")


def test_whisper_max_over_batch_or_item():
    y = _audio(16000, 1.0, batch=3) * torch.tensor([[1.0], [0.01], [0.3]])
    whole = fastmel.preset("whisper")(y)
    assert_preset("whisper", whole, ref.whisper_log_mel(y), "batch max as the reference")
    per_item = fastmel.preset("whisper", max_over="item")(y)
    for i in range(3):
        assert_preset("whisper", per_item[i], ref.whisper_log_mel(y[i]), f"item {i}")
    assert max_abs(per_item[1], whole[1]) > 0.1  # the quiet item is clamped differently


def test_whisper_against_openai_whisper_when_installed():
    whisper_audio = pytest.importorskip("whisper.audio", reason="openai-whisper not installed")
    y = _audio(16000, 3.0)
    for n_mels in (80, 128):
        theirs = whisper_audio.log_mel_spectrogram(y, n_mels=n_mels)
        assert_preset("whisper", fastmel.preset("whisper", n_mels=n_mels)(y), theirs, f"{n_mels}")
    for padding in (1, 480000):  # whisper.transcribe pads 30 s of zeros
        theirs = whisper_audio.log_mel_spectrogram(y, padding=padding)
        ours = fastmel.preset("whisper", padding=padding)(y)
        assert ours.shape == theirs.shape
        assert_preset("whisper", ours, theirs, f"padding={padding}")


def test_whisper_equals_transformers_whisper_feature_extractor():
    # Hugging Face's WhisperFeatureExtractor (how transformers' Whisper pipelines compute the
    # features; a second implementation, in torch where torch is installed): each item
    # padded or trimmed to 30 s and normalised by its own max, as max_over="item"
    transformers = pytest.importorskip("transformers", reason="transformers not installed")
    n = 480000  # 30 s, whisper.audio.N_SAMPLES
    items = [
        make_signal(kind, 16000, seconds).astype(np.float32)
        for kind, seconds in (("speech", 3.0), ("chirp", 12.0), ("noise", 31.0))
    ]
    y = torch.stack(
        [torch.nn.functional.pad(torch.from_numpy(x[:n]), (0, n - len(x[:n]))) for x in items]
    )
    for n_mels in (80, 128):
        extractor = transformers.WhisperFeatureExtractor(feature_size=n_mels)
        ours = fastmel.preset("whisper", n_mels=n_mels, max_over="item")(y)
        theirs = extractor(items, sampling_rate=16000, return_tensors="np")
        assert_preset("whisper", ours, theirs["input_features"], f"{n_mels} mels")


@pytest.mark.parametrize("padding", [0, 1, 159, 16000])
def test_whisper_padding_appends_zeros_as_the_reference(padding):
    y = torch.stack([_audio(16000, 1.0), 0.1 * _audio(16000, 1.0)])
    expected = ref.whisper_log_mel(torch.nn.functional.pad(y, (0, padding)))
    assert_preset("whisper", fastmel.preset("whisper", padding=padding)(y), expected, "padded")
    with pytest.raises(fastmel.ParameterError, match="padding=-1"):
        fastmel.preset("whisper", padding=-1)


def test_vocos_filterbank_is_torchaudios_not_librosas():
    ours = fastmel.torchaudio_mel_filters(sr=24000, n_fft=1024, n_mels=100)
    theirs = ref.torchaudio_fbank(513, 0.0, 12000.0, 100, 24000).T
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-7)
    librosa_htk = fastmel.mel_filters(sr=24000, n_fft=1024, n_mels=100, htk=True, norm=None)
    assert np.abs(ours - librosa_htk).max() > 0  # close, not equal: why the preset exists


def test_vocos_filterbank_against_torchaudio_when_it_imports():
    try:
        import torchaudio.functional as taf
    except Exception:  # not installed, or built for another torch
        pytest.skip("torchaudio does not import here")
    fb = taf.melscale_fbanks(513, 0.0, 12000.0, 100, 24000).numpy().T
    np.testing.assert_allclose(
        fastmel.torchaudio_mel_filters(sr=24000, n_fft=1024, n_mels=100), fb, rtol=0, atol=1e-7
    )


def test_speechbrain_filterbank_is_its_own():
    # SpeechBrain's triangles are symmetric in Hz (right foot at centre + band, not at the
    # next point): close to torchaudio's HTK bank (the weights differ by up to 0.03), not it
    for n_mels, fmax in ((80, 8000.0), (24, 8000.0), (40, 6000.0)):
        ours = fastmel.speechbrain_mel_filters(sr=16000, n_fft=400, n_mels=n_mels, fmax=fmax)
        theirs = ref.speechbrain_bank(n_mels, fmax=fmax).T.numpy()
        np.testing.assert_array_equal(ours, theirs)
        htk = fastmel.torchaudio_mel_filters(sr=16000, n_fft=400, n_mels=n_mels, fmax=fmax)
        assert np.abs(ours - htk).max() > 0.01
    with pytest.raises(ParameterError, match="htk=True and norm=None"):
        fastmel.MelSpectrogram(sr=16000, filterbank="speechbrain", norm="slaney", htk=True)
    assert "filterbank='speechbrain'" in repr(fastmel.preset("speechbrain"))


def test_speechbrain_in_float64_and_per_item():
    # float64: SpeechBrain's steps in float64 with its float32 window and bank; a batch
    # floors and normalises each item by its own max and mean
    y = _audio(16000, 1.0, batch=2).double() * torch.tensor([[1.0], [0.01]], dtype=torch.float64)
    got = fastmel.preset("speechbrain", dtype=torch.float64)(y)
    for i in range(2):
        assert max_abs(got[i], ref.speechbrain_features(y[i])) <= 1e-9
    quiet = fastmel.preset("speechbrain")(y.float())[1]
    assert max_abs(quiet, ref.speechbrain_features(y[1].float())) <= PRESET_ATOL["speechbrain"]
    for bad, error in ((-1.0, ParameterError), (math.nan, ParameterError), ("80", TypeError)):
        with pytest.raises(error, match="top_db"):
            fastmel.preset("speechbrain", top_db=bad)
    with pytest.raises(TypeError, match="subtract_mean"):
        fastmel.preset("speechbrain", subtract_mean=1)
    with pytest.raises(ParameterError, match="SpeechBrain cannot stream: its top_db floor"):
        fastmel.MelStream(fastmel.preset("speechbrain", subtract_mean=False))


def test_styletts2_bands_are_placed_for_16_khz_on_24_khz_audio():
    # StyleTTS 2 leaves torchaudio's sample_rate at 16000 for its 24 kHz audio: the bank is
    # the 16 kHz one (up to 8 kHz in its terms), whatever the audio's rate is
    front = fastmel.preset("styletts2")
    assert type(front).audio_rate() == 24000 and front.mel.config.sr == 16000
    assert front.mel.config.fmax == 8000
    np.testing.assert_allclose(
        front.mel.mel_basis.numpy(),
        ref.torchaudio_fbank(1025, 0.0, 8000.0, 80, 16000).T,
        rtol=0,
        atol=1e-7,
    )
    y = _audio(24000, 1.0)
    out = front(y)
    assert max_abs(fastmel.preset("styletts2", sr=48000)(y), out) == 0  # sr: the audio's rate
    out64 = fastmel.preset("styletts2", dtype=torch.float64)(y.double())
    assert max_abs(out64, ref.styletts2_mel(y.double())) <= 1e-9  # (its float32 bank and window)
    # what a port that passes the audio's rate to the bank computes: not the model's features
    assert max_abs(fastmel.preset("styletts2", sample_rate=24000)(y), out) > 0.1
    for bad in (0, -24000.0, float("nan"), float("inf")):
        with pytest.raises(ParameterError, match="sr="):
            fastmel.preset("styletts2", sr=bad)
    with pytest.raises(TypeError, match="sr must be a real number"):
        fastmel.preset("styletts2", sr="24k")


@pytest.mark.parametrize("name,kw", STREAMING, ids=[f"{n}{kw}" for n, kw in STREAMING])
@pytest.mark.parametrize("sizes", [[640], [1], [257, 0, 1023, 5], [4096]], ids=str)
def test_causal_presets_stream_exactly(name, kw, sizes):
    front = fastmel.preset(name, **kw)
    y = _audio(SR[name], 1.0, batch=2)
    streamed = stream_in_sizes(MelStream(front), y, sizes)
    offline = front(y)
    assert streamed.shape == offline.shape
    assert max_abs(streamed, offline) <= 1e-4, "stream differs from offline"
    assert_preset(name, streamed[0], reference_output(name, y[0], **kw), "streamed")


@pytest.mark.parametrize("name", ["whisper", "nemo"])
def test_presets_normalised_over_the_whole_input_refuse_to_stream(name):
    with pytest.raises(ParameterError, match="cannot stream"):
        MelStream(fastmel.preset(name))


@pytest.mark.parametrize("name", ["wav2lip", "kaldi"])
def test_pushes_under_inference_mode_mix_with_others(name):
    # (the README suggests inference_mode for CPU streams; these presets work in place)
    y = _audio(SR[name], 1.0, batch=2)
    front, stream = fastmel.preset(name), MelStream(fastmel.preset(name))
    chunks = list(y.split(640, dim=-1))
    parts = []
    for i, chunk in enumerate(chunks):
        if i % 3 == 1:
            parts.append(stream.push(chunk))
        else:
            with torch.inference_mode():
                parts.append(stream.push(chunk))
    parts.append(stream.flush())
    assert max_abs(torch.cat(parts, dim=-1), front(y)) <= 1e-4


def test_preset_errors_and_registry():
    assert sorted(fastmel.PRESETS) == [
        "ast",
        "bigvgan",
        "campplus",
        "cosyvoice",
        "f5tts",
        "funasr",
        "gemma3n",
        "gemma4",
        "hifigan",
        "kaldi",
        "nemo",
        "seamless",
        "speechbrain",
        "styletts2",
        "vocos",
        "wav2lip",
        "wespeaker",
        "whisper",
    ]
    with pytest.raises(ParameterError, match="preset 'tacotron'"):
        fastmel.preset("tacotron")
    with pytest.raises(ParameterError, match="n_mels"):
        fastmel.preset("whisper", n_mels=64)
    with pytest.raises(ParameterError, match="max_over"):
        fastmel.preset("whisper", max_over="frame")
    with pytest.raises(ParameterError, match="hop_length"):
        fastmel.preset("hifigan", hop_length=0)
    for name, cls in fastmel.PRESETS.items():  # each docstring cites its reference
        assert cls.__doc__ and any(
            w in cls.__doc__
            for w in (
                "audio.py",
                "meldataset",
                "Vocos",
                "compute-fbank-feats",
                "features.py",
                "feature_extraction",
            )
        ), name


def test_presets_follow_device_and_dtype():
    front = fastmel.preset("hifigan", dtype=torch.float64)
    y = _audio(22050, 0.5).double()
    out = front(y)
    assert out.dtype == torch.float64
    err = max_abs(out, ref.hifigan_mel(y[None], 1024, 80, 22050, 256, 1024, 0, 8000)[0])
    assert err <= PRESET_ATOL["hifigan"]
