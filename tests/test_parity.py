"""melspectrogram and MelSpectrogram against librosa 0.11 over a grid of parameters and signals."""

from __future__ import annotations

import functools
import sys

import librosa
import numpy as np
import pytest
import scipy.signal
import torch

import fastmel
from tests.conftest import DEVICES, RTOL, SIGNALS, assert_parity, make_signal, rel_err

GRID = {
    "sr": [8000, 16000, 22050, 44100, 48000],
    "n_fft": [256, 512, 1024, 2048, 400, 800, 1200, 1023, 511],
    "hop": ["quarter", 160, 200, "third"],
    "win": [None, "three_quarters", "odd"],
    "window": ["hann", "hamming", "blackman", "bartlett", "boxcar", "rectangular", "ones", "array"],
    "center": [True, False],
    "pad_mode": ["constant", "reflect", "edge", "symmetric", "linear_ramp"],
    "power": [2.0, 1.0, 1.5],
    "n_mels": [40, 64, 80, 128],
    "band": [(0.0, None), (55.0, 7600.0), (20.0, "below_nyquist"), (300.0, 3000.0)],
    "htk": [False, True],
    "norm": ["slaney", None],
    "dtype": [np.float32, np.float64],
    "signal": list(SIGNALS),
    "ndim": [1, 2, 3],
}
N_CASES = 108


def _cases() -> list[dict]:
    # Every value of every dimension appears (each dimension is cycled through a fresh
    # permutation); the combinations are a seeded random sample of the full product.
    rng = np.random.default_rng(2026)
    perms = {k: [] for k in GRID}
    cases = []
    for i in range(N_CASES):
        case = {}
        for k, values in GRID.items():
            if not perms[k]:
                perms[k] = list(rng.permutation(len(values)))
            case[k] = values[perms[k].pop()]
        case["id"] = i
        cases.append(case)
    return cases


def _kwargs(case: dict) -> dict:
    sr, n_fft = case["sr"], case["n_fft"]
    win = {None: None, "three_quarters": 3 * n_fft // 4, "odd": n_fft - 1 - (n_fft % 2)}[
        case["win"]
    ]
    win_len = win or n_fft
    hop = {"quarter": win_len // 4, "third": max(1, n_fft // 3)}.get(case["hop"], case["hop"])
    fmin, fmax = case["band"]
    if fmax == "below_nyquist":
        fmax = sr / 2 - 100
    window = case["window"]
    if window == "array":  # an explicit, asymmetric window
        window = scipy.signal.get_window(("kaiser", 6.0), win_len, fftbins=True) * np.linspace(
            0.8, 1.2, win_len
        )
    return dict(
        sr=sr,
        n_fft=n_fft,
        hop_length=hop,
        win_length=win,
        window=window,
        center=case["center"],
        pad_mode=case["pad_mode"],
        power=case["power"],
        n_mels=case["n_mels"],
        fmin=fmin,
        fmax=fmax,
        htk=case["htk"],
        norm=case["norm"],
        dtype=case["dtype"],
    )


def _audio(case: dict) -> np.ndarray:
    shape = {1: (), 2: (2,), 3: (2, 3)}[case["ndim"]]
    n_ch = int(np.prod(shape))
    kinds = [case["signal"]] + [
        SIGNALS[(SIGNALS.index(case["signal"]) + j) % len(SIGNALS)] for j in range(1, n_ch)
    ]
    y = np.stack([make_signal(k, case["sr"], seconds=1.0, seed=j) for j, k in enumerate(kinds)])
    return y.reshape(shape + y.shape[-1:]).astype(case["dtype"])


def _describe(case: dict) -> str:
    return "-".join(f"{k}={v.__name__ if isinstance(v, type) else v}" for k, v in case.items())


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[_describe(c) for c in CASES])
def test_melspectrogram_matches_librosa(case):
    kw, y = _kwargs(case), _audio(case)
    ref = librosa.feature.melspectrogram(y=y, **kw)

    ours = fastmel.melspectrogram(y=y, **kw)
    assert isinstance(ours, np.ndarray) and ours.dtype == ref.dtype and ours.shape == ref.shape
    assert_parity(ours, ref, case["dtype"], "numpy in")

    ours_t = fastmel.melspectrogram(y=torch.from_numpy(y), **kw)
    assert isinstance(ours_t, torch.Tensor)
    assert_parity(ours_t, ref, case["dtype"], "tensor in")

    module = fastmel.MelSpectrogram(**kw)
    assert_parity(module(torch.from_numpy(y)), ref, case["dtype"], "module")


@pytest.mark.parametrize("case", CASES[:: len(CASES) // 12], ids=lambda c: f"case{c['id']}")
def test_each_channel_equals_its_own_computation(case):
    case = dict(case, ndim=3)
    kw, y = _kwargs(case), _audio(case)
    whole = fastmel.melspectrogram(y=y, **kw)
    for idx in np.ndindex(*y.shape[:-1]):
        assert_parity(whole[idx], fastmel.melspectrogram(y=y[idx], **kw), case["dtype"], f"ch{idx}")


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_defaults_match_librosa_on_each_signal(signal, dtype):
    y = make_signal(signal, 22050, seconds=2.0).astype(dtype)
    ref = librosa.feature.melspectrogram(y=y, sr=22050, dtype=dtype)
    assert_parity(fastmel.melspectrogram(y=y, sr=22050, dtype=dtype), ref, dtype, signal)


def test_float64_audio_with_default_float32_basis_matches_librosa():
    y = make_signal("speech", 16000)
    ref = librosa.feature.melspectrogram(y=y, sr=16000)  # float64 spectrum, float32 basis
    ours = fastmel.melspectrogram(y=y, sr=16000)
    assert ours.dtype == ref.dtype == np.float64
    assert_parity(ours, ref, np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [1.0, 2.0])
@pytest.mark.parametrize(
    "stft_n_fft,n_fft", [(800, 2048), (800, 800), (511, 511), (511, 510), (511, 2048), (513, 513)]
)
def test_precomputed_S_matches_librosa(dtype, power, stft_n_fft, n_fft):
    # librosa keeps n_fft where n_fft // 2 + 1 matches S's rows (so an odd n_fft stays odd,
    # which changes the filterbank) and otherwise infers 2 * (rows - 1).
    y = make_signal("voiced", 16000).astype(dtype)
    S = np.abs(librosa.stft(y, n_fft=stft_n_fft, hop_length=200)) ** power
    kw = dict(sr=16000, n_fft=n_fft, n_mels=64, fmin=55, fmax=7600, dtype=dtype)
    ref = librosa.feature.melspectrogram(S=S, **kw)
    assert_parity(fastmel.melspectrogram(S=S, **kw), ref, dtype, "numpy S")
    assert_parity(fastmel.melspectrogram(S=torch.from_numpy(S), **kw), ref, dtype, "tensor S")
    # given both, librosa uses S and ignores y
    assert_parity(fastmel.melspectrogram(y=y[:5000], S=S, **kw), ref, dtype, "y and S")


@pytest.mark.parametrize("win_length", [None, 1000, 301])
def test_hop_length_none_is_a_quarter_window_as_librosa(win_length):
    y = make_signal("speech", 16000, seconds=1.0).astype(np.float32)
    kw = dict(sr=16000, n_fft=2048, hop_length=None, win_length=win_length)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, np.float32, "function")
    assert_parity(fastmel.MelSpectrogram(**kw)(torch.from_numpy(y)), ref, np.float32, "module")
    assert_parity(fastmel.mfcc(y=y, **kw), librosa.feature.mfcc(y=y, **kw), np.float32, "mfcc")


@pytest.mark.parametrize("power", [0.1, 0.25, 0.5, 0.9])
@pytest.mark.parametrize("signal", ["chirp", "speech"])
@pytest.mark.parametrize("n_fft", [97, 512])
def test_powers_below_one_match_librosa_in_float32(power, signal, n_fft):
    # |X|^p with p < 1 magnifies rounding at near-zero bins, which a chirp has many of:
    # librosa windows and transforms in float64, and so must fastmel here.
    y = make_signal(signal, 8000, seconds=1.0).astype(np.float32)
    kw = dict(sr=8000, n_fft=n_fft, hop_length=n_fft // 4, n_mels=16, power=power)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    module = fastmel.MelSpectrogram(**kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, np.float32, "function")
    assert_parity(module(torch.from_numpy(y)), ref, np.float32, "module")
    stream = fastmel.MelStream(module)
    parts = [stream.push(c) for c in torch.from_numpy(y).split(331)] + [stream.flush()]
    assert_parity(torch.cat(parts, -1), ref, np.float32, "stream")


# (n_fft, hop, n): librosa reflects the right pad from the last `pad` samples only, which
# differs from reflecting the whole signal in the last sample (MelConfig.tail_slice).
LIBROSA_TAILS = [(1024, 512, 10240), (16, 8, 16000), (800, 400, 2800), (10, 5, 55), (16, 12, 1200)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft,hop,n", LIBROSA_TAILS)
def test_reflect_padding_of_the_right_edge_is_librosas(n_fft, hop, n, dtype):
    y = np.stack([make_signal(k, 16000, n / 16000) for k in ("speech", "noise")]).astype(dtype)
    kw = dict(sr=16000, n_fft=n_fft, hop_length=hop, pad_mode="reflect", n_mels=8, fmax=4000)
    assert fastmel.MelConfig.make(**kw).tail_slice(n) == n_fft // 2
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, dtype, "function")
    module = fastmel.MelSpectrogram(**kw, dtype=dtype)
    ref = librosa.feature.melspectrogram(y=y, **kw, dtype=dtype)
    assert_parity(module(torch.from_numpy(y)), ref, dtype, "module")
    for chunk in (1, 37, n):
        stream = fastmel.MelStream(module)
        parts = [stream.push(c) for c in torch.from_numpy(y).split(chunk, -1)]
        assert_parity(torch.cat(parts + [stream.flush()], -1), ref, dtype, f"stream {chunk}")


@pytest.mark.parametrize("n_fft,hop", [(512, 128), (15, 4), (1024, 512)])
@pytest.mark.parametrize("n", [1, 2, 7, "pad"])
def test_signals_no_longer_than_the_reflect_pad_as_numpy_reflects_them(n_fft, hop, n):
    # np.pad reflects a signal of at most n_fft // 2 samples over and over (torch refuses)
    n = n_fft // 2 if n == "pad" else n
    y = np.stack([make_signal(k, 16000, 0.1)[:n] for k in ("speech", "noise")])
    kw = dict(sr=16000, n_fft=n_fft, hop_length=hop, pad_mode="reflect", n_mels=8, fmax=4000)
    ref = librosa.feature.melspectrogram(y=y, **kw, dtype=np.float64)
    assert_parity(fastmel.melspectrogram(y=y, **kw, dtype=np.float64), ref, np.float64, "function")
    module = fastmel.MelSpectrogram(**kw, dtype=torch.float64)
    assert_parity(module(torch.from_numpy(y)), ref, np.float64, "module")
    for chunk in (1, 3):
        stream = fastmel.MelStream(module)
        parts = [stream.push(c) for c in torch.from_numpy(y).split(chunk, -1)]
        assert_parity(torch.cat(parts + [stream.flush()], -1), ref, np.float64, f"stream {chunk}")


WINDOW_SPECS = {
    "function": scipy.signal.windows.hann,  # called as window(win_length): symmetric
    "partial": functools.partial(scipy.signal.windows.kaiser, beta=8.0, sym=False),
    "list": list(scipy.signal.get_window("blackman", 400, fftbins=True)),
}


@pytest.mark.parametrize("spec", WINDOW_SPECS)
def test_window_functions_and_lists_as_librosa(spec):
    window = WINDOW_SPECS[spec]
    y = make_signal("speech", 16000, seconds=1.0).astype(np.float32)
    kw = dict(sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=64, window=window)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, np.float32, spec)
    assert_parity(fastmel.MelSpectrogram(**kw)(torch.from_numpy(y)), ref, np.float32, spec)


# Windows fastmel does not build, which librosa takes from scipy.signal.get_window: names,
# (name, *parameters) tuples, a number (a Kaiser beta), an unhashable spec (not cached).
SCIPY_WINDOWS = [
    "flattop",
    "nuttall",
    "blackmanharris",
    "triang",
    "cosine",
    "parzen",
    "bohman",
    "barthann",
    "tukey",
    "lanczos",
    "taylor",
    "han",
    ("tukey", 0.25),
    ("kaiser", 8.0),
    14.0,
    ("gaussian", 60.0),
    ("general_gaussian", 1.5, 80.0),
    ("dpss", 3.0),
    ("chebwin", 80.0),
    ("exponential", None, 50.0),
    ("general_cosine", [0.5, 0.3, 0.2]),
]


@pytest.mark.parametrize("window", SCIPY_WINDOWS, ids=str)
def test_scipy_windows_as_librosa(window):
    y = make_signal("speech", 16000, seconds=1.0).astype(np.float32)
    kw = dict(sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=64, window=window)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, np.float32, str(window))
    mel = fastmel.MelSpectrogram(**kw)
    assert_parity(mel(torch.from_numpy(y)), ref, np.float32, str(window))
    np.testing.assert_array_equal(
        fastmel.get_window(window, 400), scipy.signal.get_window(window, 400, fftbins=True)
    )


def test_scipy_windows_without_scipy(monkeypatch):
    kw = dict(sr=16000, n_fft=512, window="nuttall")  # a name scipy computes
    y = torch.from_numpy(make_signal("speech", 16000, seconds=0.5))
    mel, ref = fastmel.MelSpectrogram(**kw), fastmel.MelSpectrogram(**kw, dtype=np.float64)(y)
    fastmel.clear_cache()
    monkeypatch.setitem(sys.modules, "scipy.signal", None)  # import scipy.signal fails
    with pytest.raises(fastmel.ParameterError, match=r"window='flattop' needs scipy"):
        fastmel.MelSpectrogram(sr=16000, n_fft=512, window="flattop")
    # a module keeps its window's values: it rebuilds (dtype, device) without scipy
    torch.testing.assert_close(mel.double()(y), ref, rtol=0, atol=0)
    fastmel.MelSpectrogram(sr=16000, n_fft=512, window="hann")  # built by fastmel


def test_short_signals_and_single_frame():
    for n in (1, 5, 511, 512, 513):
        y = make_signal("noise", 16000, seconds=n / 16000)
        y = np.resize(y, n).astype(np.float32)
        ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=128)
        assert_parity(
            fastmel.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=128),
            ref,
            np.float32,
            f"n={n}",
        )
    y = make_signal("chirp", 16000, seconds=512 / 16000).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, center=False)
    assert ref.shape[-1] == 1
    assert_parity(fastmel.melspectrogram(y=y, sr=16000, n_fft=512, center=False), ref, np.float32)


@pytest.mark.parametrize("pad_mode", ["wrap", "mean", "empty"])
def test_pad_mode_is_ignored_without_centring_as_librosa(pad_mode):
    y = make_signal("speech", 16000, seconds=0.5).astype(np.float32)
    kw = dict(sr=16000, n_fft=512, hop_length=128, center=False, pad_mode=pad_mode)
    ref = librosa.feature.melspectrogram(y=y, **kw)
    assert_parity(fastmel.melspectrogram(y=y, **kw), ref, np.float32, pad_mode)
    stream = fastmel.MelStream(**kw)
    parts = [stream.push(c) for c in torch.from_numpy(y).split(300)] + [stream.flush()]
    frames = torch.cat(parts, -1)
    assert_parity(frames, ref, np.float32, f"stream {pad_mode}")
    with pytest.raises(fastmel.ParameterError, match=f"pad_mode='{pad_mode}'"):
        fastmel.MelSpectrogram(**dict(kw, center=True))  # librosa refuses these when centring


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # librosa's, on (0, ...)
@pytest.mark.parametrize("case", CASES[:: len(CASES) // 12], ids=lambda c: f"case{c['id']}")
def test_an_empty_batch_gives_librosas_empty_shape(case):
    # A batch of zero signals (the tail of a filtered data loader) is no error for librosa.
    kw = _kwargs(case)
    y = np.zeros((0, 2, int(kw["sr"])), dtype=case["dtype"])
    ref = librosa.feature.melspectrogram(y=y, **kw)
    out = fastmel.melspectrogram(y=y, **kw)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    S = np.zeros((0, 1 + kw["n_fft"] // 2, 7), dtype=case["dtype"])
    kw_S = {k: v for k, v in kw.items() if k in ("sr", "n_mels", "fmin", "fmax", "htk", "norm")}
    assert (
        fastmel.melspectrogram(S=S, **kw_S).shape
        == librosa.feature.melspectrogram(S=S, **kw_S).shape
    )


@pytest.mark.parametrize("device", DEVICES)
def test_an_empty_batch_through_every_module_gives_an_empty_result(device):
    y0, y1 = torch.zeros(0, 24000, device=device), torch.zeros(1, 24000, device=device)
    modules = {
        f"pad_mode={p}": fastmel.MelSpectrogram(sr=16000, pad_mode=p)
        for p in fastmel.core.padding.PAD_MODES
    }
    modules |= {name: fastmel.preset(name) for name in fastmel.PRESETS}
    modules["mfcc"] = fastmel.MFCC(sr=16000)
    for name, module in modules.items():
        module = module.to(device)
        out = module(y0)
        assert out.shape == (0,) + module(y1).shape[1:], name
    mel = modules["pad_mode=reflect"]
    stream = fastmel.MelStream(mel)
    parts = [stream.push(c) for c in y0.split(640, dim=-1)] + [stream.flush()]
    assert torch.cat(parts, -1).shape == (0,) + mel(y1).shape[1:]
    S0 = np.zeros((0, 80, 7), dtype=np.float32)
    for to_db in (fastmel.power_to_db, fastmel.amplitude_to_db):
        assert to_db(S0, ref=np.max).shape == S0.shape
        assert to_db(torch.from_numpy(S0), ref=torch.amax).shape == S0.shape


def _layouts(y: np.ndarray, tmp_path) -> dict:
    stereo = np.stack([y, y[::-1]], axis=-1)  # (n, 2), as soundfile reads it
    path = tmp_path / "y.npy"
    np.save(path, y)
    return {
        "reversed": y[::-1],
        "every_other": y[::-2],
        "channels_last.T": stereo.T,
        "fortran": np.asfortranarray(np.stack([y, -y])),
        "big_endian": y.astype(y.dtype.newbyteorder(">")),
        "read_only": np.frombuffer(y.tobytes(), dtype=y.dtype).reshape(y.shape),
        "memmap_read_only": np.load(path, mmap_mode="r"),
    }


@pytest.mark.filterwarnings("error")  # torch warns on a read-only array it is handed as is
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout",
    [
        "reversed",
        "every_other",
        "channels_last.T",
        "fortran",
        "big_endian",
        "read_only",
        "memmap_read_only",
    ],
)
def test_numpy_arrays_in_any_layout_librosa_takes(layout, dtype, tmp_path):
    # Each layout gives librosa's result for the same values in a plain array. (librosa
    # itself returns float32 for big-endian float64 audio: its dtype table lists native
    # dtypes only. fastmel keeps float64.)
    plain = make_signal("voiced", 16000, seconds=0.5).astype(dtype)
    y = _layouts(plain, tmp_path)[layout]
    kw = dict(sr=16000, n_fft=512, hop_length=128, n_mels=64)
    ref = librosa.feature.melspectrogram(y=np.array(y, dtype=dtype), **kw)
    ours = fastmel.melspectrogram(y=y, **kw)
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    assert_parity(ours, ref, dtype, layout)
    S = np.abs(librosa.stft(plain, n_fft=512, hop_length=128)) ** 2
    ref_S = librosa.feature.melspectrogram(S=S, **kw)
    for name in ("big_endian", "read_only"):
        S_layout = _layouts(S, tmp_path)[name]
        assert_parity(fastmel.melspectrogram(S=S_layout, **kw), ref_S, dtype, f"S, {name}")
    ref_mfcc = librosa.feature.mfcc(y=np.array(y, dtype=dtype), sr=16000, n_mfcc=13)
    assert_parity(fastmel.mfcc(y=y, sr=16000, n_mfcc=13), ref_mfcc, dtype, f"mfcc, {layout}")


@pytest.mark.parametrize("device", DEVICES)
def test_errors_over_the_grid_stay_within_rtol_on_each_device(device):
    # the function with a tensor on that device, and the module moved there
    worst = {np.float32: 0.0, np.float64: 0.0}
    for case in CASES:
        kw, y = _kwargs(case), _audio(case)
        ref = librosa.feature.melspectrogram(y=y, **kw)
        yt = torch.from_numpy(y).to(device)
        outs = [fastmel.melspectrogram(y=yt, **kw), fastmel.MelSpectrogram(**kw).to(device)(yt)]
        for out in outs:
            assert out.device.type == device
            worst[case["dtype"]] = max(worst[case["dtype"]], rel_err(out, ref))
    assert worst[np.float32] <= RTOL[np.dtype(np.float32)], worst
    assert worst[np.float64] <= RTOL[np.dtype(np.float64)], worst


def test_keywords_and_defaults_are_librosas():
    # librosa's names and defaults, written once (MelConfig's fields) and read by every
    # signature: filters.mel's for the bank's keywords, melspectrogram's for the others
    import inspect

    ours = {
        "function": inspect.signature(fastmel.melspectrogram).parameters,
        "module": inspect.signature(fastmel.MelSpectrogram).parameters,
        "config": inspect.signature(fastmel.MelConfig.make).parameters,
    }
    theirs = dict(inspect.signature(librosa.filters.mel).parameters)
    theirs.update(inspect.signature(librosa.feature.melspectrogram).parameters)
    names = [
        "n_fft",
        "hop_length",
        "win_length",
        "window",
        "center",
        "pad_mode",
        "power",
        "n_mels",
        "fmin",
        "fmax",
        "htk",
        "norm",
    ]
    for where, params in ours.items():
        for name in names:
            assert params[name].kind == inspect.Parameter.KEYWORD_ONLY, (where, name)
            assert params[name].default == theirs[name].default, (where, name)
    assert ours["function"]["sr"].default == theirs["sr"].default == 22050
