"""Several styles, each in its own region: does each region take its own style, what
does it cost, and is there a seam where the regions meet?

    python benchmarks/regions.py                       # about 10 minutes on 2 cores
    python benchmarks/regions.py --max-dim 96 --steps 5 --repeats 1   # a smoke run
    python benchmarks/regions.py --tables-only    # regions.md again from the JSON

For each photo x painting pair (:data:`COMBOS`), at ``--max-dim`` with the fast
preset (``tf_style.preset("fast")``: L-BFGS, 90 iterations at 256 px), in one
process and in this order:

1. a one-style run with painting A over the whole photo, the two-region run (A in
   region 1, B in region 2, split by a linear ramp of ``--ramp`` pixels the script
   draws), and a one-style run with painting B;
2. **separation**: inside each region (the run's own soft mask), the guided Gram
   matrices of an image's features (:mod:`tf_style.vgg.guided`, the loss's own) are
   compared with each painting's Gram matrices by the project's style distance
   (the mean over style layers of the mean squared difference, unweighted); the
   ratio *other / own* says how much nearer the region is to its own painting. It is
   given for the two-region result, the one-style results, the untouched photo and
   the run's starting image (the preset starts from the photo in the *first*
   painting's colours), and for a naive composite: the two one-style results pasted
   together through the same masks;
3. **cost**: the wall time of each whole run (targets, tracing and all) and its
   evaluations, then ``--repeats`` rounds of one evaluation of each loss in turn
   (compiled, warmed up) for the time per evaluation;
4. **seam**: across the boundary, the mean absolute difference between neighbouring
   pixels along the crossing direction (rows and channels averaged) at each offset
   from the mask's middle; ``band / flanks`` is its mean within a ramp's width of
   the edge over its mean 2 to 4 ramps away (1: no seam). Also the *style
   transition width*: strips 16 px wide sliding across the edge in 4 px steps are
   each scored against both paintings (guided Gram matrices again), and the width
   over which ``log(d_B / d_A)`` falls from 90% to 10% of the way between its two
   flanks is given beside the composite's (whose edge is the mask's ramp exactly).

Then, once: the two-region loss and gradient tiled (``config.tiling``'s exact tiles,
forced small) against whole at ``--tiled-dim`` px. Writes
``benchmarks/results/regions/regions.json``, ``regions.md`` and ``regions.jpg``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_style import Region, preset, stylize  # noqa: E402
from tf_style.controls import initial_image  # noqa: E402
from tf_style.device import cpu_name, cpu_supports_bfloat16  # noqa: E402
from tf_style.images import load_image  # noqa: E402
from tf_style.losses import per_region_distance  # noqa: E402
from tf_style.objective import (  # noqa: E402
    StyleContentLoss,
    compiled_loss_and_gradient,
    loss_and_gradient,
)
from tf_style.regions import as_style_region  # noqa: E402
from tf_style.style_targets import style_targets_of  # noqa: E402
from tf_style.tiles.tiling import Tiling  # noqa: E402
from tf_style.version import __version__  # noqa: E402
from tf_style.vgg.guided import layer_guides, style_layer_sizes  # noqa: E402
from tf_style.vgg.model import StyleContentModel  # noqa: E402
from tf_style.vgg.weights import load_vgg19, weights_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT.parent / "shared" / "images"
OUTPUT = ROOT / "benchmarks" / "results" / "regions"
STRIP, STRIP_STEP, REACH = 16, 4, 64  # style-transition strips, px


@dataclass(frozen=True)
class Combo:
    """A photo, painting A for region 1 (left or top), B for region 2."""

    photo: str
    first: str
    second: str
    across: str  # "left/right" or "top/bottom"
    held_out: bool

    @property
    def name(self) -> str:
        stems = (Path(name).stem for name in (self.photo, self.first, self.second))
        return "{} x {} + {}".format(*stems)


# The first was used to choose the ramp, the weights (1 and 1) and the measures;
# the second was picked before any run and never changed anything.
COMBOS = (
    Combo("chelsea.png", "starry_night.jpg", "the_scream.jpg", "left/right", False),
    Combo("coffee.png", "shipwreck.jpg", "the_scream.jpg", "top/bottom", True),
)


def split_mask(height: int, width: int, across: str, ramp: int) -> np.ndarray:
    """Region 1's mask, ``[H, W, 1]``: 1 on the left (or top), a linear ramp of
    ``ramp`` px centred on the middle, 0 beyond. Region 2's is ``1 - mask``."""
    side = width if across == "left/right" else height
    offsets = np.arange(side, dtype=np.float32) + 0.5 - side / 2
    profile = np.clip(0.5 - offsets / max(ramp, 1e-6), 0.0, 1.0)
    if across == "left/right":
        return np.broadcast_to(profile[None, :, None], (height, width, 1)).copy()
    return np.broadcast_to(profile[:, None, None], (height, width, 1)).copy()


class StyleMeter:
    """The style distance of an image inside soft masks to paintings A and B."""

    def __init__(self, extractor: StyleContentModel, first, second, size):
        self.extractor = extractor
        self.size = tuple(size)
        self.targets = [style_targets_of(extractor, s, None) for s in (first, second)]

    def distances(self, image: tf.Tensor, masks: np.ndarray) -> np.ndarray:
        """``[R, 2]``: each mask's (``[R, H, W, 1]``) distance to A and to B."""
        sizes = style_layer_sizes(
            self.extractor.vgg, self.extractor.style_layers, self.size
        )
        guides = layer_guides(tf.constant(masks, tf.float32), sizes)
        grams = self.extractor.guided(image, guides)["style"]
        rows = []
        for region in range(masks.shape[0]):
            inside = {
                name: gram[:, region : region + 1] for name, gram in grams.items()
            }
            rows.append(
                [
                    float(per_region_distance(inside, target, None, [1.0])[0])
                    for target in self.targets
                ]
            )
        return np.array(rows)


def separation(meter: StyleMeter, image: tf.Tensor, mask: np.ndarray) -> dict:
    """Distances to A and B in region 1, region 2 and the whole image; ratios."""
    masks = np.stack([mask, 1.0 - mask, np.ones_like(mask)])
    (a1, b1), (a2, b2), (a, b) = meter.distances(image, masks)
    return {
        "region1_to_A": a1,
        "region1_to_B": b1,
        "region2_to_A": a2,
        "region2_to_B": b2,
        "whole_to_A": a,
        "whole_to_B": b,
        "region1_other_over_own": b1 / a1,  # region 1's own painting is A
        "region2_other_over_own": a2 / b2,
        "whole_B_over_A": b / a,
    }


def crossing_profile(image: np.ndarray, across: str, reach: int) -> np.ndarray:
    """Mean |difference of neighbouring pixels| across the boundary, at offsets
    ``-reach .. reach - 1`` from the middle (offset 0: the pair straddling it)."""
    pixels = image[0] if across == "left/right" else image[0].transpose(1, 0, 2)
    steps = np.abs(np.diff(pixels, axis=1)).mean(axis=(0, 2))  # per column pair
    middle = pixels.shape[1] // 2 - 1
    reach = min(reach, middle)
    return steps[middle - reach : middle + reach]


def seam_ratio(profile: np.ndarray, ramp: int) -> float:
    """Mean of the profile within a ramp's width of the edge over its mean 2 to 4
    ramps away (both sides)."""
    offsets = np.arange(len(profile)) - len(profile) // 2
    band = np.abs(offsets) <= max(ramp, 1)
    flanks = (np.abs(offsets) >= 2 * ramp) & (np.abs(offsets) <= 4 * ramp)
    return float(profile[band].mean() / profile[flanks].mean())


def strip_masks(height: int, width: int, across: str) -> tuple[np.ndarray, np.ndarray]:
    """Strips ``STRIP`` px wide, centred every ``STRIP_STEP`` px from ``-REACH`` to
    ``REACH`` (or what the image allows) around the middle: ``([R, H, W, 1],
    centres)``."""
    side = width if across == "left/right" else height
    reach = min(REACH, side // 2 - STRIP)
    centres = np.arange(-reach, reach + 1, STRIP_STEP)
    masks = []
    for centre in centres:
        start = side // 2 + centre - STRIP // 2
        profile = np.zeros(side, np.float32)
        profile[max(start, 0) : max(start + STRIP, 0)] = 1.0
        masks.append(profile)
    masks = np.array(masks)
    if across == "left/right":
        full = np.broadcast_to(
            masks[:, None, :, None], (len(centres), height, width, 1)
        )
    else:
        full = np.broadcast_to(
            masks[:, :, None, None], (len(centres), height, width, 1)
        )
    return full.copy(), centres


def style_transition(meter: StyleMeter, image, across: str) -> dict:
    """``log(d_B / d_A)`` in each strip, and the 90%-to-10% width of its fall."""
    height, width = meter.size
    masks, centres = strip_masks(height, width, across)
    distances = meter.distances(image, masks)
    lean = np.log(distances[:, 1] / distances[:, 0])  # > 0: nearer A
    left, right = lean[:3].mean(), lean[-3:].mean()
    share = (lean - right) / (left - right)  # 1 on A's side, 0 on B's
    return {
        "centres_px": centres.tolist(),
        "log_B_over_A": np.round(lean, 4).tolist(),
        "width_90_to_10_px": crossing(centres, share, 0.1)
        - crossing(centres, share, 0.9),
    }


def crossing(centres: np.ndarray, share: np.ndarray, level: float) -> float:
    """Where ``share`` (falling from about 1 to 0) last crosses ``level``."""
    for index in range(len(share) - 1, 0, -1):
        high, low = share[index - 1], share[index]
        if high >= level > low:
            return float(
                centres[index - 1]
                + (high - level) / (high - low) * (centres[index] - centres[index - 1])
            )
    return float("nan")


def timed_run(content, config, extractor, **kwargs) -> dict:
    """One ``stylize`` call: its image, wall seconds, evaluations and the median
    seconds of a step (the first tenth left out: tracing), which a burst of load
    on a shared machine moves less than the wall time."""
    reports = []
    started = time.perf_counter()
    result = stylize(
        content, config=config, extractor=extractor, callback=reports.append, **kwargs
    )
    times = np.diff([0.0, *(report.elapsed for report in reports)])
    return {
        "image": result.image,
        "seconds": time.perf_counter() - started,
        "evaluations": reports[-1].evaluations,
        "steps": len(reports),
        "median_step_seconds": float(np.median(times[len(times) // 10 :])),
    }


def per_evaluation(losses: dict[str, StyleContentLoss], image, repeats: int) -> dict:
    """Seconds of one compiled loss-and-gradient evaluation of each loss, taken in
    turn ``repeats`` times after a warm-up."""
    evaluate = {name: compiled_loss_and_gradient(loss) for name, loss in losses.items()}
    for function in evaluate.values():
        function(image)[1].numpy()
    seconds = {name: [] for name in losses}
    for _ in range(repeats):
        for name, function in evaluate.items():
            started = time.perf_counter()
            function(image)[1].numpy()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def measure_combo(combo: Combo, extractor, args) -> tuple[dict, dict]:
    """Every figure of one combo, and the images for the picture."""
    config = preset("fast", max_dim=args.max_dim, seed=0)
    if args.steps:
        config = dataclasses.replace(config, scale_steps=(args.steps,))
    content = load_image(IMAGES / combo.photo, args.max_dim)
    first = load_image(IMAGES / combo.first, args.max_dim)
    second = load_image(IMAGES / combo.second, args.max_dim)
    height, width = content.shape[1:3]
    mask = split_mask(height, width, combo.across, args.ramp)
    regions = [Region(mask, first), Region(1.0 - mask, second)]
    print(f"{combo.name}: {width}x{height}, {config.scale_steps} steps", flush=True)

    runs = {
        "one style A": timed_run(content, config, extractor, style_image=first),
        "two regions": timed_run(content, config, extractor, regions=regions),
        "one style B": timed_run(content, config, extractor, style_image=second),
    }
    for name, run in runs.items():
        print(f"  {name}: {run['seconds']:.1f} s, {run['evaluations']} evals")
    composite = (
        mask * runs["one style A"]["image"]
        + (1.0 - mask) * runs["one style B"]["image"]
    )
    start = initial_image(content, [first, second], config)
    images = {
        "photo": content,
        "start (photo in A's colours)": start,
        "one style A": runs["one style A"]["image"],
        "one style B": runs["one style B"]["image"],
        "composite of the one-style runs": composite,
        "two regions": runs["two regions"]["image"],
    }
    meter = StyleMeter(extractor, first, second, (height, width))
    separations = {name: separation(meter, im, mask) for name, im in images.items()}
    profiles = {
        name: crossing_profile(np.asarray(im), combo.across, 4 * args.ramp + 8)
        for name, im in images.items()
    }
    transitions = {
        name: style_transition(meter, images[name], combo.across)
        for name in ("composite of the one-style runs", "two regions")
    }

    style_regions = [as_style_region(region, args.max_dim) for region in regions]
    losses = {
        "two regions": StyleContentLoss.from_config(
            extractor, content, (), config, regions=style_regions
        ),
        "one style A": StyleContentLoss.from_config(extractor, content, first, config),
    }
    evaluation_seconds = per_evaluation(
        losses, runs["two regions"]["image"], args.repeats
    )
    one_style_seconds = statistics.mean(
        runs[name]["seconds"] for name in ("one style A", "one style B")
    )
    figures = {
        "combo": combo.name,
        "photo": combo.photo,
        "painting_A_region1": combo.first,
        "painting_B_region2": combo.second,
        "split": combo.across,
        "held_out": combo.held_out,
        "size_hw": [int(height), int(width)],
        "steps": list(config.scale_steps),
        "separation": {name: rounded(value) for name, value in separations.items()},
        "runs": {
            name: {k: rounded(v) for k, v in run.items() if k != "image"}
            for name, run in runs.items()
        },
        "cost": {
            "whole_run_two_regions_over_one_style": round(
                runs["two regions"]["seconds"] / one_style_seconds, 3
            ),
            "median_step_two_regions_over_one_style": round(
                runs["two regions"]["median_step_seconds"]
                / statistics.mean(
                    runs[name]["median_step_seconds"]
                    for name in ("one style A", "one style B")
                ),
                3,
            ),
            "seconds_per_evaluation": {
                name: [round(s, 4) for s in values]
                for name, values in evaluation_seconds.items()
            },
            "per_evaluation_median_ratio": round(
                statistics.median(evaluation_seconds["two regions"])
                / statistics.median(evaluation_seconds["one style A"]),
                3,
            ),
        },
        "seam": {
            "ramp_px": args.ramp,
            "band_over_flanks": {
                name: round(seam_ratio(profile, args.ramp), 3)
                for name, profile in profiles.items()
            },
            "crossing_profile": {
                name: np.round(profile, 5).tolist()
                for name, profile in profiles.items()
            },
            "style_transition": {
                name: {k: rounded(v) for k, v in t.items()}
                for name, t in transitions.items()
            },
        },
    }
    return figures, {"images": images, "mask": mask, "profiles": profiles}


def tiled_check(extractor, args) -> dict:
    """The two-region loss's terms and gradient, tiled against whole."""
    combo = COMBOS[0]
    content = load_image(IMAGES / combo.photo, args.tiled_dim)
    height, width = content.shape[1:3]
    mask = tf.constant(split_mask(height, width, combo.across, args.ramp)[None])
    regions = [
        as_style_region(Region(mask, IMAGES / combo.first), args.tiled_dim),
        as_style_region(Region(1.0 - mask, IMAGES / combo.second, 2.0), args.tiled_dim),
    ]
    image = initial_image(content, [regions[0].style], preset("fast"))
    tiling = Tiling(0, core_pixels=args.tiled_core)
    whole = StyleContentLoss(extractor, content, (), regions=regions)
    tiled = StyleContentLoss(extractor, content, (), regions=regions, tiling=tiling)
    terms, gradient = loss_and_gradient(whole, image)
    tiled_terms, tiled_gradient = loss_and_gradient(tiled, image)
    return {
        "size_hw": [int(height), int(width)],
        "core_pixels": args.tiled_core,
        "region_weights": [1.0, 2.0],
        "terms_relative_difference": {
            name: relative(tiled_terms[name], terms[name]) for name in terms
        },
        "gradient_relative_difference": relative(tiled_gradient, gradient),
        "how": "max |tiled - whole| / max |whole|",
    }


def relative(value, reference) -> float:
    reference = np.asarray(reference, np.float64)
    difference = np.abs(np.asarray(value, np.float64) - reference).max()
    return float(f"{difference / np.abs(reference).max():.3g}")


def rounded(value):
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.4g}")
    return value


def picture(combos: list[tuple[Combo, dict]], path: Path, ramp: int) -> None:
    """Per combo: photo, region 1's mask, the two-region result, the composite of
    the one-style runs, a 3x crop of the boundary of each, and the profiles."""
    columns = [
        "photo",
        "region 1's mask (white)",
        "two regions",
        "composite of the one-style runs",
    ]
    figure, axes = plt.subplots(
        len(combos), len(columns) + 3, figsize=(19, 2.7 * len(combos)), squeeze=False
    )
    for row, (combo, shown) in zip(axes, combos, strict=True):
        images = dict(shown["images"])
        images["region 1's mask (white)"] = np.repeat(shown["mask"][None], 3, -1)
        for ax, name in zip(row, columns, strict=False):
            ax.imshow(np.clip(np.asarray(images[name])[0], 0, 1))
            ax.set_title(name, fontsize=9)
        for ax, name in zip(row[4:6], columns[2:], strict=True):
            ax.imshow(boundary_crop(np.asarray(images[name])[0], combo.across))
            ax.set_title(f"{name}: boundary, 3x", fontsize=8)
        draw_profiles(row[6], shown["profiles"], ramp)
        row[0].set_ylabel(
            f"{combo.photo}\n{combo.first} + {combo.second}"
            + ("\n(held out)" if combo.held_out else ""),
            fontsize=8,
        )
        for ax in row[:6]:
            ax.set_xticks([])
            ax.set_yticks([])
    figure.tight_layout()
    figure.savefig(path, dpi=80, pil_kwargs={"quality": 85})
    plt.close(figure)


def boundary_crop(image: np.ndarray, across: str, half: int = 24) -> np.ndarray:
    """A square of ``2 * half`` px centred on the boundary, enlarged 3x."""
    height, width = image.shape[:2]
    top, left = height // 2 - half, width // 2 - half
    crop = np.clip(image[top : top + 2 * half, left : left + 2 * half], 0, 1)
    return np.kron(crop, np.ones((3, 3, 1)))


def draw_profiles(ax, profiles: dict[str, np.ndarray], ramp: int) -> None:
    for name in (
        "photo",
        "one style A",
        "composite of the one-style runs",
        "two regions",
    ):
        profile = profiles[name]
        offsets = np.arange(len(profile)) - len(profile) // 2
        ax.plot(offsets, profile, label=name, linewidth=1)
    ax.axvspan(-ramp / 2, ramp / 2, color="grey", alpha=0.2, label="mask's ramp")
    ax.set_xlabel("px from the boundary", fontsize=8)
    ax.set_title("|neighbour difference| across it", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6)


def markdown(result: dict) -> str:
    """The three tables (separation, cost, seam) and the tiled check."""
    machine, tiled = result["machine"], result["tiled"]
    bfloat16 = "yes" if machine["bfloat16_instructions"] else "no"
    lines = [
        "# Several styles, each in its own region",
        "",
        f"`python benchmarks/regions.py`: {machine['cpu']} ({machine['cores']} cores, "
        f"bfloat16 instructions: {bfloat16}), TensorFlow "
        f"{result['versions']['tensorflow']}; the fast preset at "
        f"{result['max_dim']} px; the masks' ramp {result['ramp_px']} px; "
        f"{result['seconds']:.0f} s in all; load average (1 min) "
        f"{machine['load_average_start']:.1f} at the start, "
        f"{machine['load_average_end']:.1f} at the end.",
        "",
        "**Separation**: style distance to the region's other painting over the "
        "distance to its own, inside each region (above 1: nearer its own); and "
        "over the whole image, the distance to B over the distance to A.",
        "",
        "| combo | image | region 1: other/own | region 2: other/own | whole: B/A |",
        "|---|---|---:|---:|---:|",
    ]
    for combo in result["combos"]:
        label = combo["combo"] + (" (held out)" if combo["held_out"] else "")
        for name, value in combo["separation"].items():
            lines.append(
                f"| {label} | {name} | {value['region1_other_over_own']:.3g} | "
                f"{value['region2_other_over_own']:.3g} | "
                f"{value['whole_B_over_A']:.3g} |"
            )
    lines += [
        "",
        "**Cost**: the whole runs in this order (seconds, evaluations), the two-region"
        " run over the mean of the one-style runs (whole run; median step), and one "
        "evaluation of each loss in turn (median of the repeats).",
        "",
        "| combo | one style A | two regions | one style B | whole run | median step"
        " | per evaluation |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for combo in result["combos"]:
        runs, cost = combo["runs"], combo["cost"]
        lines.append(
            f"| {combo['combo']} | "
            + " | ".join(
                f"{run['seconds']:.1f} s, {run['evaluations']}" for run in runs.values()
            )
            + f" | {cost['whole_run_two_regions_over_one_style']:.2f}x"
            f" | {cost['median_step_two_regions_over_one_style']:.2f}x"
            f" | {cost['per_evaluation_median_ratio']:.2f}x |"
        )
    lines += [
        "",
        "**Seam**: mean |neighbour difference| across the boundary within a ramp of "
        "it over 2-4 ramps away (1: no seam), and the width over which the local "
        "style (16 px strips) turns from A to B (90% to 10%).",
        "",
        "| combo | photo | one style A | composite | two regions | style turn:"
        " composite | style turn: two regions |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for combo in result["combos"]:
        bands = combo["seam"]["band_over_flanks"]
        turns = combo["seam"]["style_transition"]
        lines.append(
            f"| {combo['combo']} | {bands['photo']:.2f} | {bands['one style A']:.2f} | "
            f"{bands['composite of the one-style runs']:.2f} | "
            f"{bands['two regions']:.2f} | "
            f"{turns['composite of the one-style runs']['width_90_to_10_px']:.0f} px | "
            f"{turns['two regions']['width_90_to_10_px']:.0f} px |"
        )
    height, width = tiled["size_hw"]
    lines += [
        "",
        f"**Tiled against whole**, {width}x{height} px, cores of "
        f"{tiled['core_pixels']} px: gradient "
        f"{tiled['gradient_relative_difference']:.2g}, total "
        f"{tiled['terms_relative_difference']['total']:.2g} ({tiled['how']}).",
        "",
        "![photo, mask, two regions, composite, boundary crops, profiles](regions.jpg)",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--steps", type=int, default=0, help="0: the preset's")
    parser.add_argument("--ramp", type=int, default=8, help="soft edge, px")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tiled-dim", type=int, default=96)
    parser.add_argument("--tiled-core", type=int, default=32)
    parser.add_argument("--output-dir", type=Path, default=OUTPUT)
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="rewrite regions.md from the output folder's regions.json; run nothing",
    )
    args = parser.parse_args()
    if args.tables_only:
        result = json.loads((args.output_dir / "regions.json").read_text())
        (args.output_dir / "regions.md").write_text(markdown(result))
        return
    started, load_at_start = time.perf_counter(), os.getloadavg()[0]
    vgg = load_vgg19()
    config = preset("fast", max_dim=args.max_dim)
    extractor = StyleContentModel(config.style_layers, config.content_layers, vgg=vgg)
    measured = [measure_combo(combo, extractor, args) for combo in COMBOS]
    result = {
        "what": __doc__.split("\n")[0],
        "max_dim": args.max_dim,
        "ramp_px": args.ramp,
        "combos": [figures for figures, _ in measured],
        "tiled": tiled_check(extractor, args),
        "weights": weights_source(vgg),
        "machine": {
            "cpu": cpu_name(),
            "cores": len(os.sched_getaffinity(0)),
            "bfloat16_instructions": cpu_supports_bfloat16(),
            "load_average_start": load_at_start,
            "load_average_end": os.getloadavg()[0],
        },
        "versions": {"tensorflow": tf.__version__, "tf_style": __version__},
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "regions.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output_dir / "regions.md").write_text(markdown(result))
    picture(
        [(combo, shown) for combo, (_, shown) in zip(COMBOS, measured, strict=True)],
        args.output_dir / "regions.jpg",
        args.ramp,
    )
    print(markdown(result))
    print(f"{result['seconds']:.0f} s in all")


if __name__ == "__main__":
    main()
