"""Your own fast network against the tutorial's optimisation and Magenta's model.

    pip install scikit-image                      # its bundled photos: training data
    python benchmarks/fast_networks.py photos /tmp/fit_photos --debian
    python -m tf_style.fit --style tf_style/data/starry_night.jpg \\
        --content /tmp/fit_photos --output /tmp/fn_run --steps 100000 \\
        --batch-size 2 --image-size 256 --width 16 --mixed-precision auto \\
        --preview-every 250 --checkpoint-every 500 --time-limit 60
    python benchmarks/fast_networks.py measure /tmp/fn_run
    python benchmarks/fast_networks.py throughput PHOTOS   # images/s only

``photos`` gathers the photos an offline machine has into a folder: scikit-image's
bundled photos of at least 256 px (not its ``chelsea`` and ``coffee``, which are
the held-out photos below, nor its drawings) and, with ``--debian``, 32 more from
two Debian packages (:mod:`training_photos` says which and why). ``measure`` then
scores a trained run, all at 256 px, the tutorial's loss (its weights and
normalisation):

* the network's output on ``chelsea.png`` and ``coffee.png`` from ``../shared``
  (never trained on), against the tutorial's 300 Adam steps on the same pixels, and
  how many of those steps the network is worth (the first step whose loss is lower);
* the held-back training-folder photos' loss against training time (``fit.json``,
  with the tutorial's 300-step loss of the same photos as the line to reach);
* inference milliseconds (warm median of 5) at 256, 512 and 1024 px for the
  SavedModel, its TFLite float16 and int8 files, Magenta's TFLite model (when
  ``../shared`` has it) and one optimisation (the 300 steps' seconds);
* model sizes, training throughput (images per second at 256 px);
* a forecast, marked as one: where a power law through the held-back curve's
  second half meets the tutorial's line;
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

from fast_networks_report import SIZE, markdown, plot_curve, save_grid

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
HELD_OUT = [SHARED / "images" / "chelsea.png", SHARED / "images" / "coffee.png"]
MAGENTA = SHARED / "models" / "magenta_arbitrary_stylization"
RESULTS = ROOT / "benchmarks" / "results" / "fast_networks"
GRID = ROOT / "docs" / "fast_networks" / "grid.jpg"


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
    curve = [(row["seconds"], row["total"]) for row in record["held_out_losses"]]
    return {
        "curve": curve,
        "forecast": power_law_hours(curve, statistics.mean(targets)),
        "tutorial_300": statistics.mean(targets),
        "final_float32": statistics.mean(finals),
        "precision": record.get("precision", record["config"]["mixed_precision"]),
        "steps": record["steps_done"],
        "seconds": record["seconds"],
        "batch_size": record["config"]["batch_size"],
    }


def power_law_hours(curve: list, target: float) -> dict | None:
    """Where a power law through the curve's second half (``loss = a t^b``, a
    least-squares line in log-log) meets ``target``: a rough forecast of how long
    training would need to reach the tutorial's line, not a measurement."""
    import numpy as np

    points = [(s, loss) for s, loss in curve if s > 0]
    points = points[len(points) // 2 :]
    if len(points) < 3:
        return None
    logs = np.log(np.asarray(points))
    slope, intercept = np.polyfit(logs[:, 0], logs[:, 1], 1)
    hours = None
    if slope < 0:
        hours = float(np.exp((np.log(target) - intercept) / slope)) / 3600
    return {"exponent": float(slope), "hours": hours}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    photos = sub.add_parser("photos", help="gather training photos into a folder")
    photos.add_argument("folder", type=Path)
    photos.add_argument(
        "--debian",
        action="store_true",
        help="also opencv-doc's and plasma-workspace-wallpapers' photos",
    )
    speed = sub.add_parser("throughput", help="training images/s only (GPU check)")
    speed.add_argument("photos", type=Path)
    speed.add_argument("--steps", type=int, default=8)
    measured = sub.add_parser("measure")
    measured.add_argument("run", type=Path)
    measured.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.command == "photos":
        from training_photos import gather

        print("\n".join(gather(args.folder, debian=args.debian, min_side=SIZE)))
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
