"""The README's video example: a clip filmed from the bundled photo, stylised twice.

    python docs/make_video_example.py

Films 12 frames of the bundled photo of Chelsea (160 x 120: the camera pans while a
patch of The Starry Night crosses the scene against it; :mod:`tf_style.video.clips`)
and runs the command a user runs, ``tf-style-train --frames``, with ``--temporal
independent`` and with the default ``--temporal flow`` (40 Adam steps a frame, seed
0). Writes ``docs/video/side_by_side.gif`` (independent left, flow right) and each
run's ``frames.json`` as ``independent.json`` and ``flow.json``; prints both warping
errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import PIL.Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "video"
WORK = ROOT / "outputs" / "video_example"
STEPS = ["--max-dim", "160", "--epochs", "1", "--steps-per-epoch", "40", "--seed", "0"]


def film(folder: Path) -> None:
    from tf_style.video.clips import make_clip

    photo = PIL.Image.open(ROOT / "tf_style" / "data" / "chelsea.png").convert("RGB")
    scene = np.asarray(photo, np.float32) / 255.0
    clip = make_clip("occluder", 12, (120, 160), speed=2.0, scene=scene)
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(clip.frames):
        pixels = np.uint8(np.rint(np.clip(frame, 0, 1) * 255))
        PIL.Image.fromarray(pixels).save(folder / f"frame_{number:03d}.png")


def stylise(frames: Path, mode: str) -> dict:
    output = WORK / mode
    style = ROOT / "tf_style" / "data" / "starry_night.jpg"
    command = [sys.executable, "-m", "tf_style.train", "--frames", str(frames)]
    command += ["--output", str(output), "--style", str(style), "--temporal", mode]
    subprocess.run([*command, *STEPS, "--quiet"], check=True)
    return json.loads((output / "frames.json").read_text())


def side_by_side(names: list[str], path: Path) -> None:
    pictures = []
    for name in names:
        left = PIL.Image.open(WORK / "independent" / f"{name}.png").convert("RGB")
        right = PIL.Image.open(WORK / "flow" / f"{name}.png").convert("RGB")
        both = PIL.Image.new(
            "RGB", (left.width + right.width + 4, left.height), "white"
        )
        both.paste(left, (0, 0))
        both.paste(right, (left.width + 4, 0))
        pictures.append(both)
    pictures[0].save(
        path, save_all=True, append_images=pictures[1:], duration=100, loop=0
    )


def main() -> None:
    frames = WORK / "input"
    film(frames)
    OUT.mkdir(parents=True, exist_ok=True)
    reports = {mode: stylise(frames, mode) for mode in ("independent", "flow")}
    for mode, report in reports.items():
        shutil.copy(WORK / mode / "frames.json", OUT / f"{mode}.json")
        warping = report["warping"]
        print(
            f"{mode}: warping error {warping['output_mean']:.4f} (input "
            f"{warping['input_mean']:.4f}), mean style loss "
            f"{report['mean_losses']['style']:.4g}"
        )
    names = [frame["name"] for frame in reports["flow"]["frames"]]
    side_by_side(names, OUT / "side_by_side.gif")


if __name__ == "__main__":
    main()
