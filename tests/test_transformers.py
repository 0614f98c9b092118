"""fastmel.transformers against transformers itself: the same keys, shapes, dtypes and
masks, and features within each preset's tolerance, over ragged batches, every padding
mode and both return types; saving and loading as the parent does."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")  # (the test extra installs it)

import fastmel.transformers as ft  # noqa: E402
from fastmel import ParameterError  # noqa: E402
from tests.conftest import PRESET_ATOL  # noqa: E402
from tests.signals import make_signal  # noqa: E402

# each drop-in: the preset it computes with, and the padding keywords its parent takes
CASES = {
    "WhisperFeatureExtractor": (
        "whisper",
        [
            {},
            {"padding": "longest"},
            {"padding": "max_length", "max_length": 24000, "truncation": True},
            {"padding": "longest", "pad_to_multiple_of": 1600},
            {"do_normalize": True},
        ],
    ),
    "ParakeetFeatureExtractor": (
        "nemo",
        [
            {},
            {"padding": "longest"},
            {"padding": "max_length", "max_length": 48000},
            {"padding": "max_length", "max_length": 16000, "truncation": True},
            {"pad_to_multiple_of": 4000},
        ],
    ),
    "ASTFeatureExtractor": ("ast", [{}]),
    "SeamlessM4TFeatureExtractor": (
        "seamless",
        [
            {},
            {"padding": "longest"},
            {"padding": "max_length", "max_length": 48000},
            {"padding": "max_length", "max_length": 16000, "truncation": True},
            {"pad_to_multiple_of": 2, "do_normalize_per_mel_bins": False},
        ],
    ),
    "Gemma3nAudioFeatureExtractor": (
        "gemma3n",
        [
            {},
            {"padding": "max_length", "max_length": 48000},
            {"pad_to_multiple_of": None},
            {"padding": "max_length", "max_length": 16000, "truncation": True},
        ],
    ),
    "Gemma4AudioFeatureExtractor": (
        "gemma4",
        [
            {},
            {"padding": "max_length", "max_length": 48000},
            {"pad_to_multiple_of": None},
            {"padding": "max_length", "max_length": 16000, "truncation": True},
        ],
    ),
}
PARAMS = [(name, i) for name, (_, options) in CASES.items() for i in range(len(options))]


def _batch(seed: int = 0) -> list[np.ndarray]:
    """Ragged speech-like items, 0.45 s to 2.7 s."""
    lengths = (1.3, 2.7, 0.45, 2.0)
    return [make_signal("speech", 16000, d, seed=seed + i) for i, d in enumerate(lengths)]


def _compare(ours, theirs, preset: str) -> None:
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        a, b = ours[key], theirs[key]
        assert type(a) is type(b), key
        a = a.numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
        b = b.numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (key, a.shape, b.shape)
        if key.endswith("mask"):
            np.testing.assert_array_equal(a, b)
        else:
            err = float(np.abs(a.astype(np.float64) - b).max())
            assert err <= PRESET_ATOL[preset], (key, err)


@pytest.mark.parametrize("return_tensors", ["np", "pt"])
@pytest.mark.parametrize(("name", "case"), PARAMS, ids=[f"{n}-{i}" for n, i in PARAMS])
def test_drop_ins_equal_their_parents(name, case, return_tensors):
    preset, options = CASES[name]
    kw = dict(options[case], sampling_rate=16000, return_tensors=return_tensors)
    if name != "ASTFeatureExtractor":
        kw["return_attention_mask"] = True
    if name.startswith("Gemma"):
        kw.pop("sampling_rate")  # (they take none)
    batch = _batch(case)
    theirs = getattr(transformers, name)()(batch, **kw)
    ours = getattr(ft, name)()(batch, **kw)
    _compare(ours, theirs, preset)


@pytest.mark.parametrize("name", list(CASES))
def test_one_item_and_lists_of_floats(name):
    preset = CASES[name][0]
    y = make_signal("speech", 16000, 1.1)
    for item in (y, y.tolist()):
        kw = dict(return_tensors="np")
        if not name.startswith("Gemma"):
            kw["sampling_rate"] = 16000
        try:
            theirs = getattr(transformers, name)()(item, **kw)
        except Exception as e:  # (Parakeet's takes no list of floats: neither does ours)
            with pytest.raises(type(e)):
                getattr(ft, name)()(item, **kw)
            continue
        _compare(getattr(ft, name)()(item, **kw), theirs, preset)


@pytest.mark.parametrize("name", list(CASES))
def test_saved_configurations_load_either_way(tmp_path, name):
    parent, drop_in = getattr(transformers, name), getattr(ft, name)
    kw = {"feature_size": 128} if name == "WhisperFeatureExtractor" else {}
    ours = drop_in(**kw)
    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "preprocessor_config.json").read_text())
    assert saved["feature_extractor_type"] == name and "_fastmel_modules" not in saved
    again = parent.from_pretrained(tmp_path / "ours")  # (loads without fastmel)
    assert type(again) is parent and again.to_dict() == ours.to_dict()
    again.save_pretrained(tmp_path / "theirs")
    loaded = drop_in.from_pretrained(tmp_path / "theirs")
    assert type(loaded) is drop_in and loaded.to_dict() == ours.to_dict()
    auto = ft.AutoFeatureExtractor.from_pretrained(tmp_path / "theirs")
    assert type(auto) is drop_in
    assert type(transformers.AutoFeatureExtractor.from_pretrained(tmp_path / "ours")) is parent
    y, kw = _batch(), {} if name.startswith("Gemma") else {"sampling_rate": 16000}
    _compare(auto(y, **kw), again(y, **kw), CASES[name][0])


def test_auto_hands_out_transformers_class_where_fastmel_has_none(tmp_path):
    transformers.Wav2Vec2FeatureExtractor().save_pretrained(tmp_path)
    auto = ft.AutoFeatureExtractor.from_pretrained(tmp_path)
    assert type(auto) is transformers.Wav2Vec2FeatureExtractor


def test_whisper_dither_draws_the_parents_noise():
    y, kw = _batch(), dict(sampling_rate=16000, return_tensors="np")
    torch.manual_seed(3)
    theirs = transformers.WhisperFeatureExtractor(dither=1e-4)(y, **kw)
    torch.manual_seed(3)
    ours = ft.WhisperFeatureExtractor(dither=1e-4)(y, **kw)
    _compare(ours, theirs, "whisper")


def test_the_wrong_rate_and_configurations_fastmel_cannot_compute_are_refused():
    with pytest.raises(ValueError, match="sampling rate"):
        ft.WhisperFeatureExtractor()(_batch(), sampling_rate=8000)
    with pytest.raises(ParameterError, match="WhisperFeatureExtractor: n_mels=64"):
        ft.WhisperFeatureExtractor(feature_size=64)


@pytest.mark.parametrize("name", ["Gemma3nAudioFeatureExtractor", "Gemma4AudioFeatureExtractor"])
def test_gemma_per_band_normalisation_dither_and_scale(name):
    bands = np.linspace(-1.0, 1.0, 128)
    kw = dict(per_bin_mean=bands, per_bin_stddev=2.0 + bands, dither=1e-4, input_scale_factor=0.5)
    y = _batch()
    np.random.seed(5)  # noqa: NPY002 (the parents draw from NumPy's global state)
    theirs = getattr(transformers, name)(**kw)(y, return_tensors="np")
    np.random.seed(5)  # noqa: NPY002 (the parents draw from NumPy's global state)
    ours = getattr(ft, name)(**kw)(y, return_tensors="np")
    _compare(ours, theirs, CASES[name][0])


@pytest.mark.parametrize(
    ("name", "option"),
    [
        ("Gemma3nAudioFeatureExtractor", {"frame_length_ms": 25.0}),
        ("Gemma3nAudioFeatureExtractor", {"preemphasis": 0.0}),
        ("Gemma4AudioFeatureExtractor", {"hop_length_ms": 20.0}),
        ("Gemma4AudioFeatureExtractor", {"fft_overdrive": True}),
    ],
)
def test_gemma_sizes_the_preset_does_not_compute_are_refused(name, option):
    with pytest.raises(ParameterError, match=f"{name}: .* is not supported"):
        getattr(ft, name)(**option)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["WhisperFeatureExtractor", "ParakeetFeatureExtractor"])
def test_device_cuda(name):
    y, kw = _batch(), dict(sampling_rate=16000, return_tensors="np")
    theirs = getattr(transformers, name)()(y, device="cuda", **kw)
    ours = getattr(ft, name)()(y, device="cuda", **kw)
    _compare(ours, theirs, CASES[name][0])
