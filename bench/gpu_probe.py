"""GPU probe: where one call's time goes (``python -m bench.gpu_probe``, CUDA only).

Prints the kernels of one eager call (torch.profiler), then the time per call of the eager
module, the CUDA-graph runner and the graph replay alone, from events over many calls.
"""

from __future__ import annotations

import torch

import fastmel
from bench.peers import SETTINGS


def per_call_us(fn, n: int = 2000) -> float:
    for _ in range(20):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(n):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / n


def main() -> None:
    s = SETTINGS["wav2lip"]
    mel = fastmel.MelSpectrogram(**s.kwargs()).cuda()
    for batch, seconds in ((1, 1.0), (64, 1.0), (60, 60.0)):
        shape = (batch, int(seconds * s.sr)) if batch > 1 else (int(seconds * s.sr),)
        y = torch.randn(shape, device="cuda")
        run = fastmel.cuda_graph(mel, y)
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            mel(y)
            torch.cuda.synchronize()
        print(f"\n== batch {batch} x {seconds:g} s: kernels of one eager call")
        for e in prof.key_averages():
            if e.device_time_total > 0:
                print(f"  {e.device_time_total:9.1f} us  {e.key[:90]}")
        print(
            f"  eager {per_call_us(lambda y=y: mel(y)):.1f} us/call, "
            f"runner {per_call_us(lambda y=y, run=run: run(y)):.1f} us/call, "
            f"replay only {per_call_us(run.graph.replay):.1f} us/call"
        )


if __name__ == "__main__":
    main()
