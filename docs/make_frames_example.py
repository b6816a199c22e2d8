"""The README's frame-sequence example: a pan across the bundled photo, stylised.

    python docs/make_frames_example.py

Cuts 8 frames panning across chelsea.png (6 px a frame), stylises them with
``tf-style-train --frames`` (each frame starts from the previous result, seed 0) and,
for comparison, each frame independently from its own photo (``stylize_many``).
Prints both flicker figures and writes docs/frames/ (input/, stylised/ with
preview.gif and flicker.json, and flicker_independent.json); the repository keeps
only the GIF and the two JSON records, moved up into docs/frames/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import PIL.Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "frames"
STEPS = ["--max-dim", "128", "--epochs", "1", "--steps-per-epoch", "60"]


def cut_frames(folder: Path, count: int = 8, shift: int = 6) -> None:
    photo = PIL.Image.open(ROOT / "tf_style" / "data" / "chelsea.png").convert("RGB")
    width, height = photo.size
    side = min(height, width - shift * count)
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(count):
        frame = photo.crop((t * shift, 0, t * shift + side, side))
        frame.resize((128, 128), PIL.Image.BICUBIC).save(folder / f"frame{t:03d}.png")


def main() -> None:
    inputs = OUT / "input"
    cut_frames(inputs)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tf_style.train",
            "--frames",
            str(inputs),
            "--output",
            str(OUT / "stylised"),
            *STEPS,
            "--seed",
            "0",
            "--quiet",
        ],
        check=True,
    )
    from tf_style.batch.frames import flicker, numbered_frames
    from tf_style.batch.stylize_many import stylize_many
    from tf_style.config import StyleTransferConfig
    from tf_style.images import load_image

    frames = numbered_frames(inputs)
    config = StyleTransferConfig(max_dim=128, epochs=1, steps_per_epoch=60, seed=0)
    style = ROOT / "tf_style" / "data" / "starry_night.jpg"
    alone = stylize_many(frames, style, config, batch_size=8)
    record = flicker(
        [load_image(p, 128)[0].numpy() for p in frames],
        [r.image[0].numpy() for r in alone],
    )
    (OUT / "flicker_independent.json").write_text(json.dumps(record, indent=2))
    chained = json.loads((OUT / "stylised" / "flicker.json").read_text())
    print(f"from the previous frame: {chained}\nindependent: {record}")


if __name__ == "__main__":
    main()
