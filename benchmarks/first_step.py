"""One-off costs of a run, each its own figure: import, VGG19, time to the first step.

    python benchmarks/first_step.py                 # 256 px, both modes, 3 rounds
    python benchmarks/first_step.py --max-dim 128 --rounds 1

Each case runs in a fresh process, as a command or a notebook's first cell does:
importing ``tf_style`` with TensorFlow, loading VGG19, then ``tf_style.stylize`` on
the bundled pair until its first step is reported (targets, tracing, the first
evaluation), for the tutorial's Adam and for ``--preset fast`` (TensorFlow's
L-BFGS with the Fourier preconditioner), and then a second run of another style
weight in the same process (a new graph, no process start). ``--autograph`` also
runs each case with AutoGraph converting the compiled loss and Adam step, as before
tf_style turned it off (``tf_style.objective.AUTOGRAPH``). Cases alternate within
each round so a change in the machine's load meets both. Writes
``benchmarks/results/first_step.json`` with the machine and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "first_step.json"

# One case, in a process of its own: prints one JSON line of seconds.
CASE = r"""
import json, sys, time
started = time.perf_counter()
import tf_style
import tensorflow as tf
imported = time.perf_counter()
autograph, preset, max_dim = sys.argv[1] == "1", sys.argv[2], int(sys.argv[3])
import tf_style.objective, tf_style.optimize.adam
tf_style.objective.AUTOGRAPH = tf_style.optimize.adam.AUTOGRAPH = autograph
from tf_style.presets import preset as preset_config
vgg = tf_style.load_vgg19()
loaded = time.perf_counter()
roles = ("content", "style")
pair = [tf_style.load_image(tf_style.bundled_image(r), max_dim) for r in roles]
base = preset_config(preset, max_dim=max_dim)

class First(Exception):
    pass

def first_step(config):
    begun = time.perf_counter()
    def stop(report):
        raise First
    try:
        tf_style.stylize(*pair, config, vgg=vgg, callback=stop)
    except First:
        pass
    return time.perf_counter() - begun

from dataclasses import replace
first = first_step(base)
second = first_step(replace(base, style_weight=base.style_weight * 2))
print(json.dumps({"import": imported - started, "vgg19": loaded - imported,
                  "first_step": first, "next_graph_first_step": second}))
"""


def run_case(autograph: bool, preset: str, max_dim: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CASE, "1" if autograph else "0", preset, str(max_dim)],
        capture_output=True,
        text=True,
        timeout=900,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--autograph", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run_command import machine

    cases = [(False, "tutorial"), (False, "fast")]
    if args.autograph:
        cases += [(True, "tutorial"), (True, "fast")]
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for autograph, preset in cases:
            name = f"{preset}, autograph {'on' if autograph else 'off'}"
            timing = run_case(autograph, preset, args.max_dim)
            runs.setdefault(name, []).append(timing)
            print(name, {k: round(v, 2) for k, v in timing.items()}, flush=True)
    medians = {
        name: {key: round(statistics.median(t[key] for t in timings), 2)
               for key in timings[0]}
        for name, timings in runs.items()
    }  # fmt: skip
    result = {
        "machine": machine(),
        "max_dim": args.max_dim,
        "rounds": args.rounds,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "median_seconds": medians,
        "runs": runs,
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    for name, values in medians.items():
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values.values()) + " |")


if __name__ == "__main__":
    main()
