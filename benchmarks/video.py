"""Video: warping error, style loss and time of the three ``--temporal`` modes.

    python benchmarks/video.py                       # generated clips, every mode
    python benchmarks/video.py --frames DIR          # also a folder of your frames
    python benchmarks/video.py --weights 1e8 1e9     # the flow mode's weight sweep

Each cell runs the whole command a user runs, ``tf-style-train --frames DIR
--temporal MODE``, in its own process, on the same frames, and reads the
``frames.json`` it writes: the warping error (Lai et al. 2018) of the output and of
the input, the mean per-frame style loss, seconds per frame, and the seconds the
optical flow took. The clips are made by :mod:`tf_style.video.clips` (a pan, a zoom
and an object crossing a pan, 160 x 120, 10 frames): motion the project has not
tuned on is any other clip or seed. Results: ``benchmarks/results/video/`` (JSON, a
Markdown table, a plot of warping error per frame pair).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "video"
STYLE = ROOT.parent / "shared" / "images" / "starry_night.jpg"
MODES = ("independent", "previous", "flow")
# The setting: 40 Adam steps a frame at 160 x 120.
RUN = ["--max-dim", "160", "--epochs", "1", "--steps-per-epoch", "40", "--quiet"]


def write_clip(kind: str, folder: Path, seed: int, frames: int = 10) -> Path:
    """A generated clip as numbered PNG frames in ``folder``."""
    from tf_style.video.clips import make_clip

    clip = make_clip(kind, frames, (120, 160), speed=2.0, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(clip.frames):
        pixels = np.clip(np.rint(frame * 255), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"frame_{number:03d}.png")
    return folder


def run_mode(frames: Path, output: Path, mode: str, extra: list[str]) -> dict:
    """One whole command; its report, wall time and seconds per frame."""
    command = [
        sys.executable, "-m", "tf_style.train", "--frames", str(frames),
        "--output", str(output), "--style", str(STYLE), "--temporal", mode,
        *RUN, *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    wall = time.perf_counter() - started
    report = json.loads((output / "frames.json").read_text())
    frames_total = report["seconds_per_frame"] * len(report["frames"])
    return {
        "mode": mode,
        "options": extra,
        "warping_error": report["warping"]["output_mean"],
        "input_warping_error": report["warping"]["input_mean"],
        "pairs": [pair["output"] for pair in report["warping"]["pairs"]],
        "mean_style_loss": report["mean_losses"]["style"],
        "mean_content_loss": report["mean_losses"]["content"],
        "seconds_per_frame": report["seconds_per_frame"],
        "command_seconds": round(wall, 2),
        "flow_seconds": report["flow_seconds"],
        "flow_share": report["flow_seconds"] / frames_total if mode == "flow" else None,
    }


def rescore(row: dict, frames: Path, output: Path) -> dict:
    """``row``'s warping errors recomputed from the frames on disk with the
    library's current measure (its flows cached beside the run), so rows made
    with different versions of the measure are compared alike."""
    from tf_style.batch.frames import numbered_frames
    from tf_style.images import load_image
    from tf_style.video.measures import pair_record, warping_summary
    from tf_style.video.temporal import FlowCache

    report = json.loads((output / "frames.json").read_text())
    names = [frame["name"] for frame in report["frames"]]
    inputs = [load_image(p, 160)[0].numpy() for p in numbered_frames(frames)]
    outputs = [load_image(output / f"{n}.png", None)[0].numpy() for n in names]
    flows = FlowCache(output / "flows")
    pairs = [
        pair_record(
            names[t - 1 : t + 1],
            inputs[t - 1 : t + 1],
            outputs[t - 1 : t + 1],
            flows.pair(inputs[t - 1], inputs[t], key=f"{names[t - 1]}__{names[t]}"),
        )
        for t in range(1, len(names))
    ]
    summary = warping_summary(pairs)
    return row | {
        "warping_error": summary["output_mean"],
        "input_warping_error": summary["input_mean"],
        "pairs": [pair["output"] for pair in pairs],
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| clip | mode | warping error (output) | vs independent | vs previous "
        "| input | mean style loss | vs independent | s / frame | flow share |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        base = {r["mode"]: r for r in rows if r["clip"] == row["clip"]}
        ind, prev = base.get("independent"), base.get("previous")
        share = row["flow_share"]
        mode = " ".join([row["mode"], *row["options"]])
        lines.append(
            f"| {row['clip']} | {mode} "
            f"| {row['warping_error']:.5f} "
            f"| {row['warping_error'] / ind['warping_error']:.2f}x "
            f"| {row['warping_error'] / prev['warping_error']:.2f}x "
            f"| {row['input_warping_error']:.5f} | {row['mean_style_loss']:.4g} "
            f"| {row['mean_style_loss'] / ind['mean_style_loss']:.2f}x "
            f"| {row['seconds_per_frame']:.2f} "
            f"| {'' if share is None else f'{100 * share:.2f} %'} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clips = sorted({row["clip"] for row in rows})
    figure, axes = plt.subplots(1, len(clips), figsize=(4.2 * len(clips), 3.2))
    for axis, clip in zip(np.atleast_1d(axes), clips, strict=True):
        for row in rows:
            if row["clip"] == clip:
                label = " ".join([row["mode"], *row["options"]])
                axis.plot(
                    range(1, len(row["pairs"]) + 1),
                    row["pairs"],
                    marker="o",
                    label=label,
                )
        axis.set_title(clip)
        axis.set_xlabel("frame pair (t-1, t)")
        axis.set_ylabel("warping error")
        axis.set_yscale("log")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, default=None, help="your own frames too")
    parser.add_argument("--clips", nargs="*", default=["pan", "zoom", "occluder"])
    parser.add_argument("--seed", type=int, default=7, help="of the generated clips")
    parser.add_argument(
        "--weights",
        nargs="*",
        type=float,
        default=[],
        help="flow-mode weights to sweep",
    )
    parser.add_argument(
        "--long-term", type=int, default=0, help="also a long-term flow row"
    )
    parser.add_argument("--work", type=Path, default=Path("outputs/video_benchmark"))
    parser.add_argument("--name", default="video")
    parser.add_argument(
        "--rescore", action="store_true", help="only recompute the measure of --name"
    )
    args = parser.parse_args(argv)
    if args.rescore:
        rows = json.loads((RESULTS / f"{args.name}.json").read_text())
        rows = [rescore(row, Path(row["frames"]), Path(row["output"])) for row in rows]
        return write_results(rows, args.name)
    clips = {
        kind: write_clip(kind, args.work / "clips" / kind, args.seed)
        for kind in args.clips
    }
    if args.frames is not None:
        clips[args.frames.name] = args.frames
    rows = []
    for clip, frames in clips.items():
        cells = [(mode, []) for mode in MODES]
        cells += [("flow", ["--temporal-weight", f"{w:g}"]) for w in args.weights]
        if args.long_term:
            cells.append(("flow", ["--long-term", str(args.long_term)]))
        for mode, extra in cells:
            out = args.work / "runs" / clip / "_".join([mode, *extra]).replace("--", "")
            row = {"clip": clip, **run_mode(frames, out, mode, extra)}
            row |= {"frames": str(frames), "output": str(out)}
            print(json.dumps(row), flush=True)
            rows.append(rescore(row, frames, out))
    write_results(rows, args.name)


def write_results(rows: list[dict], name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2))
    (RESULTS / f"{name}.md").write_text(table(rows) + "\n")
    plot(rows, RESULTS / f"{name}.png")
    print(table(rows))


if __name__ == "__main__":
    main()
