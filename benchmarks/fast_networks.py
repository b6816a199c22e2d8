"""Your own fast network against the tutorial's optimisation and Magenta's model.

    pip install scikit-image                      # its bundled photos: training data
    python benchmarks/fast_networks.py photos /tmp/fit_photos
    python -m tf_style.fit --style tf_style/data/starry_night.jpg \\
        --content /tmp/fit_photos --output /tmp/fn_run --steps 100000 \\
        --batch-size 2 --image-size 256 --width 16 --preview-every 50 \\
        --time-limit 45
    python benchmarks/fast_networks.py measure /tmp/fn_run
    python benchmarks/fast_networks.py throughput PHOTOS   # images/s only

``photos`` copies scikit-image's bundled photos of at least 256 px (not its
``chelsea`` and ``coffee``, which are the held-out photos below, nor its drawings)
into a folder: the only photos an offline machine has. ``measure`` then scores a
trained run, all at 256 px, the tutorial's loss (its weights and normalisation):

* the network's output on ``chelsea.png`` and ``coffee.png`` from ``../shared``
  (never trained on), against the tutorial's 300 Adam steps on the same pixels, and
  how many of those steps the network is worth (the first step whose loss is lower);
* the held-back training-folder photos' loss against training time (``fit.json``,
  with the tutorial's 300-step loss of the same photos as the line to reach);
* inference milliseconds (warm median of 5) at 256, 512 and 1024 px for the
  SavedModel, its TFLite float16 and int8 files, Magenta's TFLite model (when
  ``../shared`` has it) and one optimisation (the 300 steps' seconds);
* model sizes, training throughput (images per second at 256 px);
* a picture grid: content, optimisation, your network, Magenta.

Results: ``benchmarks/results/fast_networks/`` (JSON, Markdown, plots) and
``docs/fast_networks/grid.jpg``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
HELD_OUT = [SHARED / "images" / "chelsea.png", SHARED / "images" / "coffee.png"]
MAGENTA = SHARED / "models" / "magenta_arbitrary_stylization"
RESULTS = ROOT / "benchmarks" / "results" / "fast_networks"
GRID = ROOT / "docs" / "fast_networks" / "grid.jpg"
SIZE = 256
TUTORIAL_STEPS = 300
NOT_PHOTOS = {"chelsea", "coffee", "horse", "logo", "phantom", "color"}


def copy_photos(folder: Path) -> list[str]:
    """scikit-image's bundled photos (>= 256 px, no drawings, no held-out ones)."""
    import skimage
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted((Path(skimage.__file__).parent / "data").iterdir()):
        if path.suffix not in (".png", ".jpg") or path.stem in NOT_PHOTOS:
            continue
        image = Image.open(path)
        if min(image.size) >= SIZE:
            image.convert("RGB").save(folder / f"{path.stem}.png")
            copied.append(path.name)
    return copied


def tutorial_loss(extractor, content, style, image) -> float:
    """The tutorial's loss of ``image`` for ``content`` and ``style``."""
    from tf_style.config import TUTORIAL
    from tf_style.objective import StyleContentLoss

    loss = StyleContentLoss.from_config(extractor, content, style, TUTORIAL)
    return float(loss(image)["total"])


def optimise(extractor, content, style) -> tuple[object, list[float], float]:
    """The tutorial's 300 Adam steps: image, loss per step, seconds."""
    import dataclasses

    from tf_style.config import TUTORIAL
    from tf_style.optimize import stylize

    config = dataclasses.replace(TUTORIAL, max_dim=SIZE, epochs=3)
    result = stylize(content, style, config, extractor=extractor)
    return result.image, result.history["total"], result.seconds


def score_held_out(extractor, style, models: dict) -> list[dict]:
    """Network, optimisation and Magenta on the held-out photos, tutorial loss."""
    from tf_style.images import load_image

    rows = []
    for path in HELD_OUT:
        content = load_image(path, SIZE)
        optimised, history, seconds = optimise(extractor, content, style)
        row = {"photo": path.name, "size": list(content.shape[1:3])}
        row["optimisation_300"] = tutorial_loss(extractor, content, style, optimised)
        row["optimisation_seconds"] = seconds
        row["images"] = {"content": content, "optimisation": optimised}
        for name, model in models.items():
            image = model(content, style)
            row[name] = tutorial_loss(extractor, content, style, image)
            row["images"][name] = image
        row["network_worth_steps"] = next(
            (step + 1 for step, value in enumerate(history) if value < row["network"]),
            None,
        )
        rows.append(row)
    return rows


def held_out_curve(run: Path, extractor, style, network) -> dict:
    """fit.json's held-back photos' loss against seconds, the tutorial's 300-step
    loss of the same photos (the line to reach), and the exported network's loss
    of them rescored here in float32 (the run logs in its training precision)."""
    from tf_style.fit.data import load_photos

    record = json.loads((run / "fit.json").read_text())
    photos = load_photos([Path(p) for p in record["held_out"]], SIZE)
    targets, finals = [], []
    for index in range(photos.shape[0]):
        content = photos[index : index + 1]
        image, _, _ = optimise(extractor, content, style)
        targets.append(tutorial_loss(extractor, content, style, image))
        finals.append(tutorial_loss(extractor, content, style, network(content, style)))
    return {
        "curve": [(row["seconds"], row["total"]) for row in record["held_out_losses"]],
        "tutorial_300": statistics.mean(targets),
        "final_float32": statistics.mean(finals),
        "precision": record.get("precision", record["config"]["mixed_precision"]),
        "steps": record["steps_done"],
        "seconds": record["seconds"],
        "batch_size": record["config"]["batch_size"],
    }


def time_model(model, sizes=(256, 512, 1024), repeats: int = 5) -> dict[int, float]:
    """Warm median milliseconds per image at each long side."""
    from tf_style.images import load_image

    style = load_image(ROOT / "tf_style" / "data" / "starry_night.jpg", SIZE)
    timings = {}
    for side in sizes:
        content = load_image(HELD_OUT[0], side)
        model(content, style)  # first call: tracing, allocation
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            model(content, style)
            samples.append(time.perf_counter() - started)
        timings[side] = 1000 * statistics.median(samples)
    return timings


def throughput(photos: Path, precision: str, steps: int = 8) -> float:
    """Training images per second at 256 px, batch 2, the first two steps (tracing)
    left out; VGG19 in the loss computing in ``precision``."""
    import tempfile

    from tf_style.fit import FitConfig, fit

    config = FitConfig(
        steps=steps,
        batch_size=2,
        image_size=SIZE,
        width=16,
        log_every=1,
        preview_every=10**6,
        checkpoint_every=10**6,
        mixed_precision=precision,
    )
    with tempfile.TemporaryDirectory() as folder:
        record = fit(
            config,
            style=ROOT / "tf_style" / "data" / "starry_night.jpg",
            content=str(photos),
            directory=folder,
            export=False,
        ).record
    history = record["history"]
    seconds = history[-1]["seconds"] - history[1]["seconds"]
    return config.batch_size * (len(history) - 2) / seconds


def load_models(run: Path) -> dict:
    from tf_style.fast import load_fast_model

    models = {
        "network": load_fast_model(hub_handle=run),
        "network_tflite_float16": load_fast_model(tflite_dir=run),
        "network_tflite_int8": load_fast_model(tflite_dir=run, variant="int8"),
    }
    if MAGENTA.is_dir():
        models["magenta"] = load_fast_model(tflite_dir=MAGENTA)
    return models


def sizes(run: Path) -> dict[str, float]:
    """Megabytes of each exported form."""
    saved = sum(
        p.stat().st_size for p in (run / "saved_model").rglob("*") if p.is_file()
    )
    result = {"saved_model": saved / 1e6}
    for path in sorted((run / "tflite").glob("*.tflite")):
        result[path.stem] = path.stat().st_size / 1e6
    for path in sorted(MAGENTA.glob("*.tflite")) if MAGENTA.is_dir() else []:
        result[f"magenta_{path.stem}"] = path.stat().st_size / 1e6
    return result


def measure(run: Path) -> dict:
    from tf_style.images import load_image
    from tf_style.vgg.model import StyleContentModel

    extractor = StyleContentModel()
    style = load_image(ROOT / "tf_style" / "data" / "starry_night.jpg", SIZE)
    models = load_models(run)
    rows = score_held_out(extractor, style, models)
    save_grid(rows, GRID)
    curve = held_out_curve(run, extractor, style, models["network"])
    timings = {name: time_model(model) for name, model in models.items()}
    timings["optimisation_300_steps"] = {
        SIZE: 1000 * statistics.mean(r["optimisation_seconds"] for r in rows)
    }
    for row in rows:
        del row["images"]
    from tf_style.artifacts import library_versions
    from tf_style.device import describe_device
    from tf_style.vgg.network import precision_reason

    photos = Path(json.loads((run / "fit.json").read_text())["content"])
    return {
        "device": describe_device(),
        "throughput": {p: throughput(photos, p) for p in ("float32", "bfloat16")},
        "auto_precision": precision_reason("auto"),
        "versions": library_versions(),
        "run": str(run),
        "held_out": rows,
        "training": curve,
        "images_per_second": curve["steps"] * curve["batch_size"] / curve["seconds"],
        "milliseconds": timings,
        "megabytes": sizes(run),
    }


def save_grid(rows: list[dict], path: Path) -> None:
    """content | optimisation | your network | Magenta, one row per photo."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [
        c
        for c in ("content", "optimisation", "network", "magenta")
        if c in rows[0]["images"]
    ]
    titles = {
        "content": "content",
        "optimisation": f"optimisation ({TUTORIAL_STEPS} Adam steps)",
        "network": "your network (one pass)",
        "magenta": "Magenta (one pass)",
    }
    figure, axes = plt.subplots(
        len(rows),
        len(columns),
        figsize=(3 * len(columns), 2.2 * len(rows)),
        squeeze=False,
    )
    for r, row in enumerate(rows):
        for c, column in enumerate(columns):
            axis = axes[r][c]
            axis.imshow(row["images"][column].numpy()[0].clip(0, 1))
            axis.set_xticks([])
            axis.set_yticks([])
            if r == 0:
                axis.set_title(titles[column], fontsize=9)
            if column != "content":
                key = "optimisation_300" if column == "optimisation" else column
                axis.set_xlabel(f"loss {row[key]:.3g}", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_curve(result: dict, path: Path) -> None:
    """Held-back photos' loss against training minutes, with the tutorial's line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    training = result["training"]
    seconds, losses = zip(*training["curve"], strict=True)
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot([s / 60 for s in seconds], losses, marker=".", label="your network")
    axis.axhline(
        training["tutorial_300"],
        color="k",
        linestyle="--",
        label=f"tutorial, {TUTORIAL_STEPS} Adam steps per photo",
    )
    axis.set_yscale("log")
    axis.set_xlabel("training minutes (2-core CPU)")
    axis.set_ylabel("tutorial loss, held-back photos")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(result: dict) -> str:
    lines = [
        "| photo | your network | its TFLite f16 / int8 | tutorial 300 steps | "
        "network / tutorial | worth Adam steps | Magenta |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["held_out"]:
        lines.append(
            f"| {row['photo']} | {row['network']:.3g} | "
            f"{row['network_tflite_float16']:.3g} / {row['network_tflite_int8']:.3g} "
            f"| {row['optimisation_300']:.3g} "
            f"| {row['network'] / row['optimisation_300']:.2f}x | "
            f"{row['network_worth_steps']} | {row.get('magenta', float('nan')):.3g} |"
        )
    lines += [
        "",
        "| model | 256 px ms | 512 px ms | 1024 px ms |",
        "|---|---:|---:|---:|",
    ]
    for name, timing in result["milliseconds"].items():
        timing = {int(side): ms for side, ms in timing.items()}  # JSON keys: strings
        cells = [f"{timing[s]:.0f}" if s in timing else "" for s in (256, 512, 1024)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| file | MB |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in result["megabytes"].items()]
    lines += [
        "",
        "Training throughput at 256 px (images/s, batch 2): "
        + ", ".join(f"{k} {v:.2f}" for k, v in result["throughput"].items())
        + f"; {result['auto_precision']}.",
    ]
    training = result["training"]
    lines += [
        "",
        f"Training: {training['steps']} steps of {training['batch_size']} "
        f"images in {training['seconds'] / 60:.1f} min "
        f"({result['images_per_second']:.2f} images/s at {SIZE} px); "
        f"held-back loss at the end {training['curve'][-1][1]:.3g} (VGG19 in "
        f"{training['precision']}; {training['final_float32']:.3g} rescored in "
        f"float32), the tutorial's 300 steps on the same photos "
        f"{training['tutorial_300']:.3g}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("photos").add_argument("folder", type=Path)
    speed = sub.add_parser("throughput", help="training images/s only (GPU check)")
    speed.add_argument("photos", type=Path)
    speed.add_argument("--steps", type=int, default=8)
    measured = sub.add_parser("measure")
    measured.add_argument("run", type=Path)
    measured.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.command == "photos":
        print("\n".join(copy_photos(args.folder)))
        return
    if args.command == "throughput":
        for precision in ("float32", "bfloat16"):
            rate = throughput(args.photos, precision, args.steps)
            print(f"{precision}: {rate:.2f} training images/s at {SIZE} px, batch 2")
        return
    result = measure(args.run)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "fast_networks.json").write_text(json.dumps(result, indent=2))
    (args.output / "fast_networks.md").write_text(markdown(result))
    plot_curve(result, args.output / "loss_vs_time.png")
    for name in ("fit.json",):
        shutil.copy(args.run / name, args.output / name)
    print(markdown(result))


if __name__ == "__main__":
    main()
