"""Wall time of the README's Run command, as a user waits for it, on this machine.

    python benchmarks/run_command.py                  # the Run section's command
    python benchmarks/run_command.py --max-dim 128 --epochs 1   # a quick check

Runs ``python -m tf_style.train`` (the bundled pair; 256 px, 3 x 100 Adam steps by
default, as the README's Run section) in a fresh process and records the whole wall
time (Python and TensorFlow starting, VGG19 loading, targets, the steps, the outputs)
beside the run's own record (its per-phase timings) and the machine: CPU model,
cores, whether it has bfloat16 instructions (``avx512_bf16``, ``amx_bf16``), GPU,
and the load average before and after, so a figure taken beside other work says so;
``seconds_outside_the_steps`` is what the command adds to the optimisation itself.
Writes ``benchmarks/results/run_command/<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tf_style.device import cpu_flags, cpu_name, cpu_supports_bfloat16

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "run_command"
FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def machine() -> dict:
    """What the figure depends on: the CPU, its bfloat16 support, cores, GPUs."""
    try:
        gpus = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, check=False, timeout=30,
        ).stdout.split("\n")  # fmt: skip
    except OSError:
        gpus = []
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "bfloat16_instructions": cpu_supports_bfloat16(),
        "flags": sorted(cpu_flags() & set(FLAGS)),
        "gpus": [name.strip() for name in gpus if name.strip()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--name", default=None, help="results file name (no suffix)")
    args = parser.parse_args()
    options = ["--max-dim", str(args.max_dim), "--epochs", str(args.epochs)]
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "run.png"
        command = [sys.executable, "-m", "tf_style.train", *options, "--quiet"]
        load_before = os.getloadavg()
        started = time.perf_counter()
        subprocess.run([*command, "--output", str(output)], check=True, cwd=ROOT)
        wall = time.perf_counter() - started
        load_after = os.getloadavg()
        record = json.loads(output.with_suffix(".json").read_text())
    result = {
        "command": "python -m tf_style.train " + " ".join(options),
        "wall_seconds": round(wall, 1),
        "machine": machine(),
        "device": record.get("device"),
        "precision": record.get("precision"),
        "load_average_1min": {
            "before": round(load_before[0], 2),
            "after": round(load_after[0], 2),
        },
        # More than half the cores busy before it started: its seconds are loose.
        "beside_other_work": load_before[0] > 0.5 * (os.cpu_count() or 1),
        "seconds_outside_the_steps": round(
            wall - record.get("timings", {}).get("optimisation_seconds", 0.0), 1
        ),
        "run_timings": record.get("timings"),
        "steps_completed": record.get("steps_completed"),
        "versions": record.get("versions"),
    }
    flags = result["machine"]
    tag = "bf16" if flags["bfloat16_instructions"] else "no_bf16"
    cpu = re.sub(r"\(r\)|\(tm\)|[^a-z0-9]+", "_", flags["cpu"].lower()).strip("_")
    default = f"{cpu}_{flags['cores']}core_{tag}"
    name = args.name or f"{default}_{args.max_dim}px_{args.epochs}epochs"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{wall / 60:.1f} min on {flags['cpu']} ({flags['cores']} cores); {path}")


if __name__ == "__main__":
    main()
