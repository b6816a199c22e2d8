"""Print size: peak memory and seconds per evaluation, whole and tiled, up to 6144 px.

    python benchmarks/print_size.py                        # the full table (~1 h here)
    python benchmarks/print_size.py --sides 512 1024 --evaluations 1

Each cell runs in a fresh process (so its peak resident memory is its own): the
bundled-free sample photo ``coffee.png`` and ``starry_night.jpg`` from
``../shared/images`` at the long side given, the tutorial's loss and Adam, one
warm-up step (tracing, the targets) and ``--evaluations`` timed steps. ``whole``
runs while its estimate fits in the machine's memory; ``tiled`` runs with
``--memory-limit`` (6G: the issue's goal). Each cell records the estimate the
preflight makes beside the measured peak (``VmHWM``), so the estimate is
checked, not trusted. Results: ``benchmarks/results/print_size/`` (JSON, Markdown
table, plot of memory and time against pixels).

    python benchmarks/print_size.py --score 4096 result.tif ref512.png

    python benchmarks/print_size.py --ladder 2048

runs ``--preset fast`` at 2048 px (its coarse-to-fine ladder) and scores the image
each scale ends with at the final size: the tutorial's loss at the final size
against evaluations and seconds (``ladder_<side>.json`` and ``.png``).

``--score`` scores images with the tutorial's loss at the given long side (tiled,
in 6G): the run's result, and any other image resized to the same pixels (a 512 px
result upsampled, as a user would do without tiles), beside the content image.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tf_style.memory.resident import peak_resident_bytes

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT.parent / "shared" / "images"
RESULTS = ROOT / "benchmarks" / "results" / "print_size"


def cell(side: int, mode: str, limit: str, evaluations: int) -> dict:
    """One measurement, in this process (see the module docstring)."""
    import tensorflow as tf

    from tf_style.config import StyleTransferConfig
    from tf_style.config.byte_sizes import parse_memory
    from tf_style.images import load_image
    from tf_style.memory.estimate import plan_tiling, step_bytes, tiled_fixed_bytes
    from tf_style.objective import StyleContentLoss
    from tf_style.optimize import StyleTransfer
    from tf_style.vgg.model import StyleContentModel

    config = StyleTransferConfig(max_dim=side, tiling=mode, memory_limit=limit)
    content = load_image(IMAGES / "coffee.png", side)
    style = load_image(IMAGES / "starry_night.jpg", side)
    size = tuple(content.shape[1:3])
    layers = config.style_layers + config.content_layers
    budget = parse_memory(limit)
    tiling = plan_tiling(size, config, budget)
    estimate = (
        step_bytes(size, layers)
        if tiling is None
        else tiled_fixed_bytes(size, layers, config.content_layers)
        + tiling.window_bytes
    )
    extractor = StyleContentModel(config.style_layers, config.content_layers)
    started = time.perf_counter()
    loss = StyleContentLoss.from_config(
        extractor, content, style, config, tiling=tiling
    )
    transfer = StyleTransfer(loss, content, config)
    transfer.train_step()  # warm-up: tracing (and the first tiles' traces)
    warm_up = time.perf_counter() - started
    times = []
    for _ in range(evaluations):
        begin = time.perf_counter()
        float(transfer.train_step()["total"])
        times.append(time.perf_counter() - begin)
    del tf
    return {
        "side": side,
        "size": list(size),
        "megapixels": round(size[0] * size[1] / 1e6, 3),
        "mode": "whole" if tiling is None else "tiled",
        "memory_limit": limit,
        "tile_bytes": None if tiling is None else tiling.window_bytes,
        "estimate_gib": round(estimate / 2**30, 3),
        "peak_gib": round(peak_resident_bytes() / 2**30, 3),
        "seconds_per_evaluation": round(min(times), 2),
        "warm_up_seconds": round(warm_up, 1),
    }


def score(side: int, paths: list[Path], limit: str = "6G") -> dict:
    """Loss terms at ``side`` of each image in ``paths`` and of the content."""
    from tf_style.images import load_image
    from tf_style.images.encode import read_tiff

    images = []
    for path in paths:
        if path.suffix.lower() in (".tif", ".tiff"):
            pixels, _ = read_tiff(path.read_bytes())
            images.append((pixels.astype("float32") / 65535.0)[None])
        else:
            images.append(load_image(path, None))
    scored = score_images(side, images, limit)
    return dict(zip([*map(str, paths), "content image"], scored, strict=True))


def ladder_curve(side: int, limit: str = "6G") -> dict:
    """The fast preset's ladder at ``side``: each scale's end scored at ``side``."""
    from tf_style.images import load_image
    from tf_style.optimize import stylize
    from tf_style.presets import preset

    config = preset("fast", max_dim=side, memory_limit=limit)
    content = load_image(IMAGES / "coffee.png", side)
    style = load_image(IMAGES / "starry_night.jpg", side)
    ends = [sum(config.steps_per_scale[: i + 1]) for i in range(len(config.scales))]
    marks = []

    def at_step(report) -> None:
        if report.step in ends:
            marks.append(
                (report.step, report.evaluations, report.elapsed, report.image)
            )

    result = stylize(content, style, config, callback=at_step)
    scored = score_images(side, [image for *_, image in marks], limit)
    return {
        "side": side,
        "scales": result.scales,
        "content_loss": scored.pop(),
        "points": [
            {"step": step, "evaluations": evaluations, "seconds": round(seconds, 1)}
            | {"size": list(image.shape[1:3]), "loss_at_final_size": losses}
            for (step, evaluations, seconds, image), losses in zip(
                marks, scored, strict=True
            )
        ],
    }


def score_images(side: int, images: list, limit: str = "6G") -> list[dict]:
    """Loss terms at ``side`` of each image (resized bicubic), then the content's."""
    from tf_style.config import StyleTransferConfig
    from tf_style.config.byte_sizes import parse_memory
    from tf_style.images import load_image, resize
    from tf_style.memory.estimate import plan_tiling
    from tf_style.objective import StyleContentLoss
    from tf_style.vgg.model import StyleContentModel

    config = StyleTransferConfig(max_dim=side, tiling="on", memory_limit=limit)
    content = load_image(IMAGES / "coffee.png", side)
    style = load_image(IMAGES / "starry_night.jpg", side)
    tiling = plan_tiling(tuple(content.shape[1:3]), config, parse_memory(limit))
    extractor = StyleContentModel(config.style_layers, config.content_layers)
    loss = StyleContentLoss.from_config(
        extractor, content, style, config, tiling=tiling
    )
    size = content.shape[1:3]
    return [
        {k: float(v) for k, v in loss(resize(image, size, method="bicubic")).items()}
        for image in [*images, content]
    ]


def plot_ladder(curve: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = curve["points"]
    totals = [p["loss_at_final_size"]["total"] for p in points]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in (
        (axes[0], "evaluations", "evaluations (any scale)"),
        (axes[1], "seconds", "seconds"),
    ):
        ax.plot([p[key] for p in points], totals, "o-", label="fast preset's ladder")
        for p, total in zip(points, totals, strict=True):
            ax.annotate(f"{p['size'][1]}", (p[key], total), fontsize=8)
        ax.axhline(
            curve["content_loss"]["total"], color="grey", ls=":", label="content"
        )
        ax.set(xlabel=label, ylabel=f"loss at {curve['side']} px", yscale="log")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def run_cell(side: int, mode: str, limit: str, evaluations: int, timeout: int) -> dict:
    command = [sys.executable, __file__, "--cell", str(side), mode, limit]
    command += ["--evaluations", str(evaluations)]
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=environment
        )
    except subprocess.TimeoutExpired:
        return {"side": side, "mode": mode, "error": f"over {timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"side": side, "mode": mode, "error": done.stderr.strip()[-300:]}
    return json.loads(lines[-1])


def table(rows: list[dict]) -> str:
    lines = [
        "| long side | pixels | mode | estimate GiB | peak GiB | s / evaluation "
        "| tiled / whole |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    whole = {
        r["side"]: r for r in rows if r.get("mode") == "whole" and "error" not in r
    }
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['side']} | | {row['mode']} | | | {row['error']} | |")
            continue
        ratio = ""
        if row["mode"] == "tiled" and row["side"] in whole:
            base = whole[row["side"]]["seconds_per_evaluation"]
            ratio = f"{row['seconds_per_evaluation'] / base:.2f}"
        lines.append(
            f"| {row['side']} | {row['megapixels']} MP | {row['mode']} | "
            f"{row['estimate_gib']} | {row['peak_gib']} | "
            f"{row['seconds_per_evaluation']} | {ratio} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, seconds) = plt.subplots(1, 2, figsize=(10, 4))
    for mode, marker in (("whole", "o"), ("tiled", "s")):
        got = [r for r in rows if r.get("mode") == mode and "error" not in r]
        pixels = [r["megapixels"] for r in got]
        memory.plot(pixels, [r["peak_gib"] for r in got], marker, label=f"{mode}")
        memory.plot(
            pixels,
            [r["estimate_gib"] for r in got],
            marker,
            mfc="none",
            label=f"{mode}, estimate",
        )
        seconds.plot(
            pixels, [r["seconds_per_evaluation"] for r in got], marker + "-", label=mode
        )
    memory.set(xlabel="megapixels", ylabel="peak resident memory (GiB)")
    seconds.set(xlabel="megapixels", ylabel="seconds per evaluation")
    for axes in (memory, seconds):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", nargs=3, metavar=("SIDE", "MODE", "LIMIT"))
    parser.add_argument("--score", nargs="+", metavar="SIDE PATH")
    parser.add_argument("--ladder", type=int, metavar="SIDE")
    parser.add_argument(
        "--sides", type=int, nargs="+", default=[512, 1024, 2048, 3072, 4096]
    )
    parser.add_argument("--whole-up-to", type=int, default=2048)
    parser.add_argument("--limit", default="6G")
    parser.add_argument("--evaluations", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.ladder:
        curve = ladder_curve(args.ladder)
        args.output.mkdir(parents=True, exist_ok=True)
        name = f"ladder_{args.ladder}"
        (args.output / f"{name}.json").write_text(json.dumps(curve, indent=1) + "\n")
        plot_ladder(curve, args.output / f"{name}.png")
        print(json.dumps(curve, indent=1))
        return
    if args.score:
        side, *paths = args.score
        print(json.dumps(score(int(side), [Path(p) for p in paths]), indent=1))
        return
    if args.cell:
        side, mode, limit = args.cell
        print(json.dumps(cell(int(side), mode, limit, args.evaluations)))
        return
    rows = []
    for side in args.sides:
        modes = ["off", "on"] if side <= args.whole_up_to else ["on"]
        for mode in modes:
            limit = "22G" if mode == "off" else args.limit
            row = run_cell(side, mode, limit, args.evaluations, args.timeout)
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "print_size.json").write_text(json.dumps(rows, indent=1) + "\n")
    (args.output / "print_size.md").write_text(table(rows) + "\n")
    plot(rows, args.output / "print_size.png")
    print(table(rows))


if __name__ == "__main__":
    main()
