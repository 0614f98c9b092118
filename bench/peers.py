"""The implementations compared, each configured to compute librosa's mel spectrogram.

``build(name, setting, y, device)`` returns a zero-argument callable on pre-converted
input (so conversion is not timed) or raises ``Unavailable``; ``reference`` is what the
peer's output is compared with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

import fastmel


class Unavailable(Exception):
    """The peer cannot run here (not installed, or does not import)."""


@dataclasses.dataclass(frozen=True)
class Setting:
    """A model's front-end settings (librosa keywords)."""

    name: str
    sr: int
    n_fft: int
    hop_length: int
    n_mels: int
    fmin: float
    fmax: float

    def kwargs(self) -> dict:
        return dict(
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
        )


SETTINGS = {
    "wav2lip": Setting("wav2lip", 16000, 800, 200, 80, 55.0, 7600.0),
    "whisper": Setting("whisper", 16000, 400, 160, 80, 0.0, 8000.0),
    "hifigan": Setting("hifigan", 22050, 1024, 256, 80, 0.0, 8000.0),
}

PEERS = [
    "fastmel",
    "fastmel (CUDA graph)",
    "fastmel (torch.compile)",
    "fastmel.melspectrogram (NumPy)",
    "librosa",
    "torch recipe (eager)",
    "torch recipe (torch.compile)",
    "nnAudio",
    "torchaudio",
    "kaldi-native-fbank",
    "FFT floor",
]
# Peers whose framing differs from librosa's centred frames: compared with center=False.
UNCENTRED = {"kaldi-native-fbank"}
NOTES = {
    "kaldi-native-fbank": "OnlineFbank with is_librosa mel banks; snip_edges framing "
    "(= librosa center=False), one stream per batch item",
    "torch recipe (eager)": "the blog's recipe: torch.stft(pad_mode='constant') -> |.|**2 -> "
    "matmul with the cached librosa basis",
    "torch recipe (torch.compile)": "the same under torch.compile (default mode on CPU, "
    "mode='reduce-overhead' on CUDA)",
    "FFT floor": "torch.fft.rfft of the pre-framed, pre-windowed frames only (timing floor)",
    "fastmel (CUDA graph)": "fastmel.cuda_graph(MelSpectrogram): one captured graph replayed "
    "per call (GPU only)",
    "fastmel (torch.compile)": "torch.compile(MelSpectrogram, mode='reduce-overhead', "
    "fullgraph=True) (GPU only)",
    "fastmel.melspectrogram (NumPy)": "the librosa drop-in: NumPy in, NumPy out",
}


def reference(setting: Setting, y: np.ndarray, name: str) -> np.ndarray | None:
    """librosa's output for ``y`` with the framing the peer uses (None: too short for it)."""
    import librosa

    center = name not in UNCENTRED
    if not center and y.shape[-1] < setting.n_fft:
        return None
    return librosa.feature.melspectrogram(y=y, **setting.kwargs(), center=center)


def _recipe(setting: Setting, device: str) -> Callable[[torch.Tensor], torch.Tensor]:
    import librosa

    basis = torch.from_numpy(
        librosa.filters.mel(**{k: v for k, v in setting.kwargs().items() if k != "hop_length"})
    ).to(device)
    window = torch.hann_window(setting.n_fft, device=device)

    def recipe(y: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            y,
            setting.n_fft,
            setting.hop_length,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        return basis @ spec.abs() ** 2

    return recipe


def build(name: str, setting: Setting, y: np.ndarray, device: str = "cpu") -> Callable[[], object]:
    """A zero-argument callable computing ``name``'s mel spectrogram of ``y`` (shape (..., n))."""
    kw = setting.kwargs()
    yt = torch.from_numpy(y).to(device)
    if name == "fastmel":
        module = fastmel.MelSpectrogram(**kw).to(device)
        module.native = False  # (as shipped: the native op is built on request only)
        return lambda: module(yt)
    if name == "fastmel (CUDA graph)":
        if not device.startswith("cuda"):
            raise Unavailable("CUDA only")
        runner = fastmel.cuda_graph(fastmel.MelSpectrogram(**kw).to(device), yt)
        return lambda: runner(yt)
    if name == "fastmel (torch.compile)":
        if not device.startswith("cuda"):
            raise Unavailable("GPU scenarios only")
        module = fastmel.MelSpectrogram(**kw).to(device)
        compiled = torch.compile(module, mode="reduce-overhead", fullgraph=True, dynamic=False)
        return lambda: compiled(yt)
    if name == "fastmel.melspectrogram (NumPy)":
        if device != "cpu":
            raise Unavailable("NumPy path is CPU only")
        return lambda: fastmel.melspectrogram(y=y, **kw)
    if name == "librosa":
        if device != "cpu":
            raise Unavailable("CPU only")
        import librosa

        return lambda: librosa.feature.melspectrogram(y=y, **kw)
    if name == "torch recipe (eager)":
        recipe = _recipe(setting, device)
        return lambda: recipe(yt)
    if name == "torch recipe (torch.compile)":
        mode = "reduce-overhead" if device.startswith("cuda") else None
        compiled_recipe = torch.compile(_recipe(setting, device), mode=mode, dynamic=False)
        return lambda: compiled_recipe(yt)
    if name == "nnAudio":
        try:
            from nnAudio.features import MelSpectrogram  # pyright: ignore[reportMissingImports]
        except ImportError as e:
            raise Unavailable(f"nnAudio: {e}") from None
        layer = MelSpectrogram(
            sr=setting.sr,
            n_fft=setting.n_fft,
            n_mels=setting.n_mels,
            hop_length=setting.hop_length,
            window="hann",
            center=True,
            pad_mode="constant",
            power=2.0,
            htk=False,
            fmin=setting.fmin,
            fmax=setting.fmax,
            norm=1,
            verbose=False,
        ).to(device)
        flat = yt.reshape(-1, yt.shape[-1])
        return lambda: layer(flat).reshape(yt.shape[:-1] + (setting.n_mels, -1))
    if name == "torchaudio":
        try:
            import torchaudio  # pyright: ignore[reportMissingImports]
        except Exception as e:  # ImportError or an ABI mismatch with this torch
            raise Unavailable(f"torchaudio does not import: {type(e).__name__}") from None
        t = torchaudio.transforms.MelSpectrogram(
            sample_rate=setting.sr,
            n_fft=setting.n_fft,
            hop_length=setting.hop_length,
            f_min=setting.fmin,
            f_max=setting.fmax,
            n_mels=setting.n_mels,
            power=2.0,
            center=True,
            pad_mode="constant",
            norm="slaney",
            mel_scale="slaney",
        ).to(device)
        return lambda: t(yt)
    if name == "kaldi-native-fbank":
        if device != "cpu":
            raise Unavailable("CPU only")
        try:
            import kaldi_native_fbank as knf  # pyright: ignore[reportMissingImports]
        except ImportError as e:
            raise Unavailable(f"kaldi-native-fbank: {e}") from None
        if y.shape[-1] < setting.n_fft:  # (timing a call that returns nothing compares nothing)
            raise Unavailable(f"no frame: snip_edges framing needs n_fft = {setting.n_fft} samples")
        opts = knf.FbankOptions()
        f = opts.frame_opts
        f.samp_freq = setting.sr
        f.frame_length_ms = setting.n_fft * 1000.0 / setting.sr
        f.frame_shift_ms = setting.hop_length * 1000.0 / setting.sr
        f.dither, f.remove_dc_offset, f.preemph_coeff = 0.0, False, 0.0
        f.window_type, f.round_to_power_of_two, f.snip_edges = "hann", False, True
        m = opts.mel_opts
        m.num_bins, m.low_freq, m.high_freq = setting.n_mels, setting.fmin, setting.fmax
        m.is_librosa, m.norm = True, "slaney"
        opts.use_log_fbank, opts.use_power, opts.use_energy = False, True, False
        items = y.reshape(-1, y.shape[-1])

        def run() -> np.ndarray:
            outs = []
            for item in items:
                fb = knf.OnlineFbank(opts)
                fb.accept_waveform(setting.sr, item)  # pyright: ignore[reportArgumentType]
                fb.input_finished()
                frames = [fb.get_frame(i) for i in range(fb.num_frames_ready)]
                outs.append(np.stack(frames, 1) if frames else np.zeros((setting.n_mels, 0)))
            return np.stack(outs).reshape(y.shape[:-1] + outs[0].shape)

        return run
    if name == "FFT floor":
        module = fastmel.MelSpectrogram(**kw).to(device)
        pad = setting.n_fft // 2
        frames = torch.nn.functional.pad(yt, (pad, pad)).unfold(
            -1, setting.n_fft, setting.hop_length
        )
        frames = (frames * module.window).contiguous()
        return lambda: torch.fft.rfft(frames)
    raise ValueError(f"unknown peer {name!r}")


def as_numpy(out: object) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        return out.detach().cpu().numpy()
    return np.asarray(out)
