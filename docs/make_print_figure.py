"""The README's print-size figure: the whole 4096 px result beside a crop at full size.

    python docs/make_print_figure.py outputs/coffee_starry_4096.tif \
        --record outputs/coffee_starry_4096.json   # the run's record: its tiles

The crop is 512 x 512 pixels of the result at 1:1, centred where four tiles of the
first stage meet (a seam, if there were one, would cross it there); the whole
picture is shrunk to the crop's height. Writes ``docs/print_size.jpg``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageDraw

from tf_style.images.encode import read_tiff

DOCS = Path(__file__).resolve().parent


def load(path: Path) -> np.ndarray:
    """The result as uint8 ``[H, W, 3]`` (a 16-bit TIFF is shown at 8 bits)."""
    if path.suffix.lower() in (".tif", ".tiff"):
        pixels, _ = read_tiff(path.read_bytes())
        return (pixels.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    return np.asarray(PIL.Image.open(path).convert("RGB"))


def figure(pixels: np.ndarray, centre: tuple[int, int], side: int = 512):
    """Whole (shrunk) and crop side by side, with a box where the crop is."""
    height, width = pixels.shape[:2]
    top = min(max(0, centre[0] - side // 2), height - side)
    left = min(max(0, centre[1] - side // 2), width - side)
    crop = PIL.Image.fromarray(pixels[top : top + side, left : left + side])
    scale = side / height
    whole = PIL.Image.fromarray(pixels).resize(
        (round(width * scale), side), PIL.Image.Resampling.LANCZOS
    )
    box = [round(v * scale) for v in (left, top, left + side, top + side)]
    PIL.ImageDraw.Draw(whole).rectangle(box, outline=(255, 255, 255), width=2)
    canvas = PIL.Image.new("RGB", (whole.width + 8 + side, side), (255, 255, 255))
    canvas.paste(whole, (0, 0))
    canvas.paste(crop, (whole.width + 8, 0))
    return canvas


def tile_corner(
    size: tuple[int, int], tile_bytes: int, dtype_bytes: int = 4
) -> tuple[int, int]:
    """Where the first stage's tiles meet nearest the centre (row, column);
    ``dtype_bytes``: 2 for a run in bfloat16 or float16 (larger cores)."""
    from tf_style.tiles import Tiling, network_stages
    from tf_style.tiles.geometry import cuts
    from tf_style.vgg.model import StyleContentModel
    from tf_style.vgg.weights import load_vgg19

    stage = network_stages(StyleContentModel(vgg=load_vgg19(random_weights=True)))[0]
    core = Tiling(tile_bytes).core(stage, dtype_bytes)
    return tuple(  # type: ignore[return-value]
        min(
            cuts(side, core, stage.stride)[1:-1] or [side // 2],
            key=lambda e: abs(e - side / 2),
        )
        for side in size
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path)
    parser.add_argument("--centre", type=int, nargs=2, metavar=("ROW", "COLUMN"))
    parser.add_argument("--tile-bytes", type=int, help="centre on a tile corner")
    parser.add_argument(
        "--record", type=Path, help="the run's .json: its final tiles and precision"
    )
    parser.add_argument("--output", type=Path, default=DOCS / "print_size.jpg")
    args = parser.parse_args()
    pixels = load(args.result)
    centre = args.centre or (pixels.shape[0] // 2, pixels.shape[1] // 2)
    if args.record:
        record = json.loads(args.record.read_text())
        dtype_bytes = 4 if record["precision"] == "float32" else 2
        tile_bytes = record["scales"][-1]["tile_bytes"]
        centre = tile_corner(pixels.shape[:2], tile_bytes, dtype_bytes)
    elif args.tile_bytes:
        centre = tile_corner(pixels.shape[:2], args.tile_bytes)
    print(f"crop centred at row {centre[0]}, column {centre[1]}")
    figure(pixels, tuple(centre)).save(args.output, quality=85)
    print(args.output)


if __name__ == "__main__":
    main()
