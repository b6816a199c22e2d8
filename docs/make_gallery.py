"""Make the README's gallery of artistic controls with the training command itself.

Each picture is one run of ``python -m tf_style.train`` on the project's images (the
bundled cat and The Starry Night, and ``assets/the_scream.jpg``), with the command
written under it in the README. All runs share one quick schedule (L-BFGS, 256 px)
so the pictures differ only by the control. The two-region picture (``regions``) is
made with the Python API, ``tf_style.stylize(..., regions=[...])``, on the same
schedule, and shows the photo, both masks and the result side by side. Run from the
repository root::

    python docs/make_gallery.py            # about 5 minutes on 2 CPU cores
    python docs/make_gallery.py regions    # only the pictures named
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageOps

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "gallery"
COMMON = (
    "--max-dim 256 --optimizer lbfgs --epochs 1 --steps-per-epoch 60 --seed 0 --quiet"
)
SCREAM = "assets/the_scream.jpg"
MASK = "docs/gallery/mask_left.png"
MASK_RIGHT = "docs/gallery/mask_right.png"  # MASK inverted: the second region
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


def make_mask(path: Path, *, inverted: bool = False) -> None:
    """White on the left (styled), black on the right (kept), a soft edge between;
    ``inverted``: the other way round."""
    mask = PIL.Image.new("L", (451, 300), 0)
    PIL.ImageDraw.Draw(mask).rectangle([0, 0, 200, 300], fill=255)
    gradient = PIL.Image.linear_gradient("L").rotate(90).resize((50, 300))
    mask.paste(gradient, (200, 0))
    if inverted:
        mask = PIL.ImageOps.invert(mask)
    mask.save(path)


def command(name: str, options: str) -> list[str]:
    output = f"docs/gallery/{name}.png"
    return ["python", "-m", "tf_style.train", *shlex.split(options), "--output",
            output, *shlex.split(COMMON)]  # fmt: skip


def make_regions_picture(path: Path) -> None:
    """The Starry Night on the left, The Scream on the right: photo, the two masks
    and the result side by side (the Python API; COMMON's schedule)."""
    import tf_style
    from tf_style.plotting import Panel, save_figure, side_by_side

    config = tf_style.StyleTransferConfig(
        max_dim=256, optimizer="lbfgs", epochs=1, steps_per_epoch=60, seed=0
    )
    photo = tf_style.bundled_image("content")
    regions = [
        tf_style.Region(ROOT / MASK, tf_style.bundled_image("style")),
        tf_style.Region(ROOT / MASK_RIGHT, ROOT / SCREAM),
    ]
    result = tf_style.stylize(photo, None, config, regions=regions)
    size = result.image.shape[1:3]
    panels = [
        Panel("photo", tf_style.load_image(photo, config.max_dim)),
        Panel("region 1: The Starry Night", mask_rgb(ROOT / MASK, size)),
        Panel("region 2: The Scream", mask_rgb(ROOT / MASK_RIGHT, size)),
        Panel("result", result.image),
    ]
    png = path.with_suffix(".png")
    save_figure(side_by_side(panels), png, dpi=100)
    with PIL.Image.open(png) as image:
        image.convert("RGB").save(path, quality=85, optimize=True)
    png.unlink()


def mask_rgb(path: Path, size) -> np.ndarray:
    """A mask file as a grey picture ``[1, H, W, 3]`` of ``size`` (H, W)."""
    with PIL.Image.open(path) as mask:
        grey = mask.convert("L").resize((int(size[1]), int(size[0])))
    grey = np.asarray(grey, np.float32) / 255
    return np.repeat(grey[None, :, :, None], 3, axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    pictures = [*RUNS, "regions"]
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(pictures)}")
    names = parser.parse_args().names or pictures
    unknown = sorted(set(names) - set(pictures))
    if unknown:
        parser.error(f"no picture named {', '.join(unknown)}; choose from {pictures}")
    OUT.mkdir(parents=True, exist_ok=True)
    make_mask(ROOT / MASK)
    make_mask(ROOT / MASK_RIGHT, inverted=True)
    for name in (name for name in names if name in RUNS):
        args = command(name, RUNS[name])
        print(" ".join(args), flush=True)
        subprocess.run([sys.executable, *args[1:]], cwd=ROOT, check=True)
        png = OUT / f"{name}.png"
        with PIL.Image.open(png) as image:
            image.convert("RGB").save(OUT / f"{name}.jpg", quality=88)
        for extra in (png, OUT / f"{name}.json", OUT / f"{name}_losses.png"):
            extra.unlink(missing_ok=True)
    if "regions" in names:
        print("regions: tf_style.stylize(..., regions=[...])", flush=True)
        make_regions_picture(OUT / "regions.jpg")


if __name__ == "__main__":
    main()
