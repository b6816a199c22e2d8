"""Make the README's gallery of artistic controls with the training command itself.

Each picture is one run of ``python -m tf_style.train`` on the project's images (the
bundled cat and The Starry Night, and ``assets/the_scream.jpg``), with the command
written under it in the README. All runs share one quick schedule (L-BFGS, 256 px)
so the pictures differ only by the control. Run from the repository root::

    python docs/make_gallery.py            # about 5 minutes on 2 CPU cores
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import PIL.Image
import PIL.ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "gallery"
COMMON = (
    "--max-dim 256 --optimizer lbfgs --epochs 1 --steps-per-epoch 60 --seed 0 --quiet"
)
SCREAM = "assets/the_scream.jpg"
MASK = "docs/gallery/mask_left.png"
RUNS = {
    "baseline": "",
    "preserve_luminance": "--preserve-color luminance",
    "preserve_histogram": "--preserve-color histogram",
    "two_styles": f"--style tf_style/data/starry_night.jpg {SCREAM} "
    "--style-blend 0.5 0.5",
    "init_noise": "--init content --init-noise-ratio 0.7",
    "style_scale": "--style-scale 2",
    "layer_weights": "--style-layer-weights 8 4 1 1 1",
    "paper_normalization": "--loss-normalization paper",
    "avg_pooling": "--pooling avg",
    "mask": f"--mask {MASK}",
}


def make_mask(path: Path) -> None:
    """White on the left (styled), black on the right (kept), a soft edge between."""
    mask = PIL.Image.new("L", (451, 300), 0)
    PIL.ImageDraw.Draw(mask).rectangle([0, 0, 200, 300], fill=255)
    gradient = PIL.Image.linear_gradient("L").rotate(90).resize((50, 300))
    mask.paste(gradient, (200, 0))
    mask.save(path)


def command(name: str, options: str) -> list[str]:
    output = f"docs/gallery/{name}.png"
    return ["python", "-m", "tf_style.train", *shlex.split(options), "--output",
            output, *shlex.split(COMMON)]  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    make_mask(ROOT / MASK)
    for name, options in RUNS.items():
        args = command(name, options)
        print(" ".join(args), flush=True)
        subprocess.run([sys.executable, *args[1:]], cwd=ROOT, check=True)
        png = OUT / f"{name}.png"
        with PIL.Image.open(png) as image:
            image.convert("RGB").save(OUT / f"{name}.jpg", quality=88)
        for extra in (png, OUT / f"{name}.json", OUT / f"{name}_losses.png"):
            extra.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
