"""Frames per second of a video: a network's one pass a frame against the optimisation.

    python benchmarks/video_network.py               # 24 frames at 256 px
    python benchmarks/video_network.py --frames 48 --steps 20

Both runs go through the library the command uses, :func:`tf_style.batch.stylize_video`,
on the same generated clip (:func:`tf_style.video.clips.make_clip`, a pan) and style,
so the plumbing (manifest, flows for the warping error, PNG frames, video.mp4,
preview.gif) is in both timings:

- network: the Magenta TensorFlow Lite pair from ``../shared`` (``--network`` takes
  any other), loaded by :func:`tf_style.fast.load_network`; independent frames.
- optimisation: the ``fast`` preset at the clip's size with ``--steps`` L-BFGS
  iterations a frame (the preset's budget is 90 at 256 px; fewer keep the run
  short), Ruder et al.'s flow mode (warped start and temporal term).

Frames per second are counted from the first frame's start to the last frame's end
(``fps``) and over the frames after the first (``warm_fps``: the first pays for
tracing and allocation); loading the model is timed apart. Both include what every
frame costs besides the painting: reading it, writing its PNG and the optical flow
of its pair (the network's for the warping error only; the optimisation's feeds its
start and temporal term too). Writes
``benchmarks/results/video_network.json`` with the machine: the CPU model and
whether its flags hold ``avx512_bf16`` or ``amx_bf16`` (bfloat16 in hardware, which
the fast preset uses where present).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tf_style.batch import stylize_video
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import VideoConfig
from tf_style.device import cpu_flags, cpu_name, describe_device
from tf_style.fast import load_network
from tf_style.presets import preset

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "video_network.json"
STYLE = ROOT / "tf_style" / "data" / "starry_night.jpg"
TFLITE_PAIR = ROOT.parent / "shared" / "models" / "magenta_arbitrary_stylization"


def write_clip(folder: Path, frames: int, size: int) -> Path:
    """A generated pan, ``size`` px wide and 3/4 as tall, as numbered PNGs."""
    from tf_style.video.clips import make_clip

    clip = make_clip("pan", frames, (size * 3 // 4, size), speed=2.0, seed=0)
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(clip.frames):
        pixels = np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"frame_{number:03d}.png")
    return folder


class FrameClock:
    """An ``on_progress`` callback noting when each frame starts and ends."""

    def __init__(self):
        self.started: float | None = None
        self.done: list[float] = []

    def __call__(self, event) -> None:
        if event.kind == "start":  # the model is ready; the first frame next
            self.started = time.perf_counter()
        if event.kind == "done":
            self.done.append(time.perf_counter())

    def rates(self) -> dict:
        frames, seconds = len(self.done), self.done[-1] - self.started
        warm = self.done[-1] - self.done[0]
        return {
            "frames": frames,
            "seconds": round(seconds, 3),
            "fps": round(frames / seconds, 3),
            "warm_fps": round((frames - 1) / warm, 3) if frames > 1 else None,
        }


def run(clip: Path, output: Path, **options) -> dict:
    """One video run; its frame rates, warping errors and wall time."""
    clock = FrameClock()
    started = time.perf_counter()
    result = stylize_video(clip, STYLE, output=output, on_progress=clock, **options)
    return {
        **clock.rates(),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "warping_error": result.warping_error,
        "input_warping_error": result.input_warping_error,
    }


def machine() -> dict:
    flags = cpu_flags()
    return {
        "device": describe_device(),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "avx512_bf16": "avx512_bf16" in flags,
        "amx_bf16": "amx_bf16" in flags,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=int, default=256, help="the clip's width, px")
    parser.add_argument("--steps", type=int, default=10, help="L-BFGS steps a frame")
    parser.add_argument("--network", default=str(TFLITE_PAIR))
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args()
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as scratch:
        clip = write_clip(Path(scratch) / "clip", args.frames, args.size)
        started = time.perf_counter()
        model = load_network(args.network)
        load_seconds = time.perf_counter() - started
        sized = StyleTransferConfig(max_dim=args.size)
        network = run(clip, Path(scratch) / "network", config=sized, model=model)
        config = preset("fast", max_dim=args.size, scale_steps=(args.steps,))
        optimised = run(clip, Path(scratch) / "optimisation", config=config)
    record = {
        "machine": machine() | {"tensorflow": tf.__version__},
        "clip": {"frames": args.frames, "size": [args.size * 3 // 4, args.size]},
        "network": network
        | {"model": model.source, "load_seconds": round(load_seconds, 3)},
        "optimisation": optimised
        | {
            "settings": f"preset fast at max_dim {args.size} with scale_steps "
            f"({args.steps},): L-BFGS, Fourier preconditioner, precision auto; "
            "temporal flow (Ruder et al.)",
            "temporal": VideoConfig().record(),
        },
        "speed_up": round(network["fps"] / optimised["fps"], 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
