"""Tables and plots of ``time_to_quality.json``; rerun alone to redraw them.

Usage:
    python benchmarks/quality_report.py [benchmarks/results]
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

TUTORIAL = "Adam (tutorial)"
FAST = "fast preset"


def machine() -> str:
    """CPU model, cores and TensorFlow version, for the tables' caption."""
    import tensorflow as tf

    from tf_style.device import cpu_name

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    gpus = tf.config.list_physical_devices("GPU")
    return f"{cpu_name()}, {cores} cores, {len(gpus)} GPU, TF {tf.__version__}"


def reached(trace: dict, target: float) -> tuple[float, float] | None:
    """(full-size evaluations, seconds) when ``trace`` first reached ``target``."""
    for evaluations, seconds, loss in zip(
        trace["evaluations"], trace["times"], trace["losses"], strict=True
    ):
        if loss <= target:  # NaN (a coarse step) compares False
            return evaluations, seconds
    return None


def seconds_per_evaluation(trace: dict) -> float:
    """Median seconds per full-size evaluation after the first three steps."""
    points = [
        (e, t)
        for e, t, loss in zip(
            trace["evaluations"], trace["times"], trace["losses"], strict=True
        )
        if not math.isnan(loss)
    ][3:]
    rates = sorted(
        (t1 - t0) / (e1 - e0)
        for (e0, t0), (e1, t1) in zip(points, points[1:], strict=False)
        if e1 > e0
    )
    return rates[len(rates) // 2] if rates else math.nan


def pair_name(run: dict) -> str:
    return f"{run['content']} x {run['style']}"


def target_cells(trace: dict, reference: dict, target: float) -> list[str]:
    """Evaluations, seconds and both speed-ups against the tutorial for one target."""
    mine, theirs = reached(trace, target), reached(reference, target)
    if mine is None:
        return ["not reached", "-", "-", "-"]
    if theirs is None:
        return [f"{mine[0]:.0f}", f"{mine[1]:.1f}", "-", "-"]
    return [
        f"{mine[0]:.0f}",
        f"{mine[1]:.1f}",
        f"**{theirs[0] / mine[0]:.1f}x**",
        f"{theirs[1] / mine[1]:.1f}x",
    ]


def method_table(runs: list[dict]) -> list[str]:
    """One row per pair and method: evaluations and time to each target."""
    steps = sorted({key for run in runs for key in run["targets"]}, key=int)
    header = "".join(
        f"evals to {n} | s to {n} | fewer evals | less time | " for n in steps
    )
    lines = [
        f"| pair | method | {header}s/eval | first step (s) |",
        "|---|---|" + "---:|" * (4 * len(steps) + 2),
    ]
    for run in runs:
        reference = run["traces"][0]
        for trace in run["traces"]:
            if trace["name"] == FAST:
                continue
            cells = [pair_name(run), trace["name"]]
            for steps_run in steps:
                target = run["targets"].get(steps_run)
                cells += (
                    ["-"] * 3
                    if target is None
                    else target_cells(trace, reference, target)
                )
            cells += [
                f"{seconds_per_evaluation(trace):.3f}",
                f"{trace['first_step_s']:.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def preset_table(runs: list[dict]) -> list[str]:
    """The fast preset with its own fixed budget: when it reached the target (how
    much sooner than the tutorial), and its whole run (what a user waits for)."""
    lines = [
        "| pair | steps per scale | evals to 300 | fewer evals | s to 300 | "
        "less time | whole run: evals | fewer evals | run time (s) | less time | "
        "tutorial's 300 steps (s) | final loss / 300-step loss |",
        "|---|---|" + "---:|" * 10,
    ]
    for run in runs:
        fast = next(t for t in run["traces"] if t["name"] == FAST)
        reference = run["traces"][0]
        target = run["targets"]["300"]
        evaluations, tutorial = reached(reference, target)
        hit = reached(fast, target)
        to_target = (
            ["not reached", "-", "-", "-"]
            if hit is None
            else [
                f"{hit[0]:.0f}",
                f"**{evaluations / hit[0]:.1f}x**",
                f"{hit[1]:.1f}",
                f"{tutorial / hit[1]:.1f}x",
            ]
        )
        whole = [
            f"{fast['evaluations'][-1]:.0f}",
            f"{evaluations / fast['evaluations'][-1]:.1f}x",
            f"{fast['times'][-1]:.1f}",
            f"{tutorial / fast['times'][-1]:.1f}x",
        ]
        cells = [pair_name(run), str(list(run["fast_preset"]["scale_steps"]))]
        cells += [*to_target, *whole, f"{tutorial:.1f}"]
        cells.append(f"{fast['losses'][-1] / target:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def starts_table(runs: list[dict]) -> list[str]:
    names = list(runs[0]["starts"])
    lines = ["| pair | " + " | ".join(names) + " |",
             "|---|" + "---:|" * len(names)]  # fmt: skip
    for run in runs:
        target = run["targets"]["300"]
        cells = [f"{run['starts'][name] / target:.0f}x" for name in names]
        lines.append(f"| {pair_name(run)} | " + " | ".join(cells) + " |")
    return lines


def shares_table(runs: list[dict]) -> list[str]:
    names = list(runs[0]["shares_at_300"])
    short = [name.replace("_conv1", "").replace("_conv", "") for name in names]
    lines = ["| pair | " + " | ".join(short) + " |",
             "|---|" + "---:|" * len(names)]  # fmt: skip
    for run in runs:
        cells = [f"{run['shares_at_300'][name]:.0%}" for name in names]
        lines.append(f"| {pair_name(run)} | " + " | ".join(cells) + " |")
    return lines


def markdown(results: dict) -> str:
    """Every table, size by size."""
    lines = [f"Machine: {results['machine']}.", ""]
    for size in sorted({run["size"] for run in results["runs"]}):
        runs = [run for run in results["runs"] if run["size"] == size]
        lines += [
            f"## {size} px",
            "",
            "Full-size evaluations and wall time to the tutorial's loss after N "
            "steps, in one process: evaluations (the main figure, which the "
            "machine's load does not move) and wall time with compile and targets "
            "included (which it does), each as a ratio to the tutorial's:",
            "",
            *method_table(runs),
            "",
            "The fast preset, run to its own fixed budget:",
            "",
            *preset_table(runs),
            "",
            "Loss of candidate starting images, as a multiple of the 300-step target:",
            "",
            *starts_table(runs),
            "",
            "Share of each term in the loss of the tutorial's 300-step image (style "
            "layers, content, total variation):",
            "",
            *shares_table(runs),
            "",
        ]
    return "\n".join(lines)


def plot(results: dict, path: Path, size: int) -> None:
    """Loss against evaluations (top) and wall time (bottom), a column per pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [run for run in results["runs"] if run["size"] == size]
    figure, axes = plt.subplots(
        2, len(runs), figsize=(4.2 * len(runs), 6.4), dpi=80, squeeze=False
    )
    for column, run in enumerate(runs):
        for row, key in enumerate(("evaluations", "times")):
            ax = axes[row][column]
            for trace in run["traces"]:
                ax.plot(trace[key], trace["losses"], label=trace["name"], linewidth=1.2)
            for steps, target in run["targets"].items():
                ax.axhline(target, color="grey", linestyle="--", linewidth=0.8)
                ax.annotate(f"{steps} steps", (0, target), fontsize=7, color="grey")
            ax.set_yscale("log")
            ax.set_xscale("log")
            ax.grid(True, which="both", alpha=0.3)
            ax.set_xlabel(
                "full-size evaluations" if key == "evaluations" else "seconds"
            )
        axes[0][column].set_title(pair_name(run), fontsize=9)
    axes[0][0].set_ylabel("total loss")
    axes[1][0].set_ylabel("total loss")
    axes[0][0].legend(fontsize=7)
    figure.suptitle(f"Loss against evaluations and time, {size} px", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(results: dict, directory: Path) -> None:
    """``time_to_quality.md`` and one ``time_to_quality_<size>.png`` per size."""
    (directory / "time_to_quality.md").write_text(markdown(results))
    for size in {run["size"] for run in results["runs"]}:
        plot(results, directory / f"time_to_quality_{size}.png", size)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    directory = Path(argv[0]) if argv else Path(__file__).parent / "results"
    results = json.loads((directory / "time_to_quality.json").read_text())
    write_report(results, directory)
    print((directory / "time_to_quality.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
