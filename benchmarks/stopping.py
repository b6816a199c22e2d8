"""The fast preset's stopping rule: its threshold from recorded curves, then whole runs.

    python benchmarks/stopping.py replay     # choose and check the threshold (seconds)
    python benchmarks/stopping.py replay --max-dim 512 --name replay_512
    python benchmarks/stopping.py run        # whole processes, 256 px, 2 held-out pairs

``replay`` reads the loss curves ``benchmarks/time_to_quality.py`` recorded (the fast
preset run to its whole budget beside the tutorial, in ``results/*/``) and replays
:func:`tf_style.optimize.stopping.should_stop` on them for a range of thresholds. The
threshold is chosen on the three benchmark pairs alone: the largest whose every stop
keeps :data:`MARGIN` in hand below the tutorial's 300-step loss (the budget keeps a
quarter in hand for the same reason: pairs nobody measured). It is then checked on
the held-out pairs: every stop must be at or below the tutorial's loss.

``run`` times whole processes side by side, ``python -m tf_style.train`` at 256 px:
the tutorial (Adam, 301 steps, so that its last report is the 300th image's loss),
``--preset fast`` (the rule on, the budget its ceiling) and the preset to its whole
budget (``--min-decrease 0``), on two held-out pairs (``--pairs``, ``--max-dim`` and
``--variants`` choose others, ``fast-float32`` among them), and records each process's
wall time, its steps, why it stopped and its final loss, beside the machine (CPU,
bfloat16 instructions) and the load average, since a figure taken beside other work
is an upper bound.

Writes ``benchmarks/results/stopping/replay.json`` and ``run.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tf_style.optimize.stopping import should_stop

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
IMAGES = ROOT.parent / "shared" / "images"
# time_to_quality.py's PAIRS: the ones every earlier choice was made on.
BENCHMARK_PAIRS = {
    ("chelsea", "starry_night"),
    ("coffee", "the_scream"),
    ("chelsea", "shipwreck"),
}
HELD_OUT_RUNS = ("chelsea:the_scream", "shipwreck:starry_night")  # the hardest two
THRESHOLDS = tuple(round(0.0025 + 0.0005 * i, 4) for i in range(16))  # to 0.01
MARGIN = 0.85  # a benchmark pair's stop at most this multiple of the target
# What ``run`` may put beside the tutorial's 300 steps (Adam, 301 so that its last
# report is the 300th image's loss). ``fast-float32`` stands in for a CPU without
# bfloat16 on one that has it, so one machine gives both CPU classes' rows;
# ``fast-bfloat16`` checks ``auto``'s choice where it picked float32.
VARIANTS = {
    "tutorial": ["--epochs", "1", "--steps-per-epoch", "301"],
    "fast": ["--preset", "fast"],
    "budget": ["--preset", "fast", "--min-decrease", "0"],
    "fast-float32": ["--preset", "fast", "--mixed-precision", "float32"],
    "fast-bfloat16": ["--preset", "fast", "--mixed-precision", "bfloat16"],
}
DEFAULT_VARIANTS = ("fast", "budget")


def recorded_curves(max_dim: int) -> list[dict]:
    """Every recorded fast-preset curve at ``max_dim``, with the tutorial's
    300-step loss of its pair and whether the pair is a benchmark pair."""
    curves = []
    for path in sorted(RESULTS.glob("*/time_to_quality.json")):
        for run in json.loads(path.read_text())["runs"]:
            traces = {trace["name"]: trace for trace in run["traces"]}
            if run["size"] != max_dim or "fast preset" not in traces:
                continue
            curves.append(
                {
                    "record": path.parent.name,
                    "pair": f"{run['content']} x {run['style']}",
                    "benchmark": (run["content"], run["style"]) in BENCHMARK_PAIRS,
                    "losses": traces["fast preset"]["losses"],
                    "target": run["targets"]["300"],
                }
            )
    return curves


def replay(losses: list[float], min_decrease: float) -> int:
    """The steps after which a run with ``losses`` stops (all of them if never)."""
    for steps in range(1, len(losses) + 1):
        if should_stop(losses[:steps], min_decrease):
            return steps
    return len(losses)


def sweep(curves: list[dict]) -> list[dict]:
    """Per threshold: the worst stop (as a multiple of the target) on benchmark and
    held-out pairs, and the steps the stops took."""
    rows = []
    for threshold in THRESHOLDS:
        stops = [replay(c["losses"], threshold) for c in curves]
        ratios = [
            c["losses"][steps - 1] / c["target"]
            for c, steps in zip(curves, stops, strict=True)
        ]
        by_kind = {True: [], False: []}
        for curve, ratio in zip(curves, ratios, strict=True):
            by_kind[curve["benchmark"]].append(ratio)
        rows.append(
            {
                "min_decrease": threshold,
                "benchmark_worst": max(by_kind[True]),
                "held_out_worst": max(by_kind[False]),
                "steps": stops,
                "ratios": [round(r, 4) for r in ratios],
                "mean_steps": sum(stops) / len(stops),
            }
        )
    return rows


def choose(rows: list[dict]) -> dict:
    """The largest threshold whose benchmark-pair stops keep MARGIN in hand."""
    return max(
        (row for row in rows if row["benchmark_worst"] <= MARGIN),
        key=lambda row: row["min_decrease"],
    )


def replay_report(max_dim: int = 256) -> dict:
    curves = recorded_curves(max_dim)
    rows = sweep(curves)
    chosen = choose(rows)
    print(f"{len(curves)} recorded curves at {max_dim} px")
    print("| min_decrease | benchmark worst | held-out worst | mean steps |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        mark = " (chosen)" if row is chosen else ""
        print(
            f"| {row['min_decrease']:g}{mark} | {row['benchmark_worst']:.3f} | "
            f"{row['held_out_worst']:.3f} | {row['mean_steps']:.1f} |"
        )
    print("\nAt the chosen threshold (stop step, loss / tutorial's 300-step loss):")
    for curve, steps, ratio in zip(
        curves, chosen["steps"], chosen["ratios"], strict=True
    ):
        kind = "benchmark" if curve["benchmark"] else "held out"
        print(f"  {curve['record']}: {curve['pair']} ({kind}): {steps}, {ratio:.3f}")
    return {
        "max_dim": max_dim,
        "margin": MARGIN,
        "curves": [{k: v for k, v in c.items() if k != "losses"} for c in curves],
        "sweep": rows,
        "chosen": chosen["min_decrease"],
    }


def run_process(arguments: list[str], folder: Path, name: str) -> dict:
    """One ``python -m tf_style.train`` process: its wall time and its record."""
    output = folder / f"{name}.png"
    command = [sys.executable, "-m", "tf_style.train", *arguments, "--quiet"]
    started = time.perf_counter()
    subprocess.run(
        [*command, "--output", str(output)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    record = json.loads(output.with_suffix(".json").read_text())
    return {
        "seconds": round(seconds, 2),
        "steps": record["steps_completed"],
        "message": record["message"],
        "final_loss": record["final_losses"]["total"],
        "timings": record["timings"],
        "precision": record["precision"],
    }


def run_report(
    pairs: tuple[str, ...],
    max_dim: int = 256,
    variants: tuple[str, ...] = DEFAULT_VARIANTS,
) -> dict:
    # Imported here: run as a script, this folder is on the path; the tests load
    # this module only to replay the recorded curves.
    from run_command import machine

    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for pair in pairs:
            content, style = (IMAGES / name for name in pair.split(":"))
            content = next(IMAGES.glob(f"{content.name}.*"))
            style = next(IMAGES.glob(f"{style.name}.*"))
            common = ["--content", str(content), "--style", str(style)]
            common += ["--max-dim", str(max_dim)]
            load = os.getloadavg()[0]
            run = {"pair": pair, "max_dim": max_dim, "load_before": round(load, 2)}
            for variant in ("tutorial", *variants):
                options = [*common, *VARIANTS[variant]]
                run[variant] = run_process(options, Path(folder), variant)
            tutorial = run["tutorial"]
            for variant in variants:
                run[variant]["speed_up"] = round(
                    tutorial["seconds"] / run[variant]["seconds"], 2
                )
                run[variant]["loss_ratio"] = round(
                    run[variant]["final_loss"] / tutorial["final_loss"], 4
                )
            run["load_after"] = round(os.getloadavg()[0], 2)
            runs.append(run)
            print(json.dumps(runs[-1]), flush=True)
    return {"machine": machine(), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("replay", "run"))
    parser.add_argument("--pairs", nargs="+", default=list(HELD_OUT_RUNS))
    parser.add_argument("--name", help="results file name (default: the mode)")
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=[name for name in VARIANTS if name != "tutorial"],
        default=list(DEFAULT_VARIANTS),
        help="runs beside the tutorial's, in this order (run mode)",
    )
    args = parser.parse_args(argv)
    folder = RESULTS / "stopping"
    folder.mkdir(parents=True, exist_ok=True)
    if args.mode == "replay":
        result = replay_report(args.max_dim)
    else:
        result = run_report(tuple(args.pairs), args.max_dim, tuple(args.variants))
    path = folder / f"{args.name or args.mode}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
