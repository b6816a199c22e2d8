"""The studio's speed: page ready, first preview, its run beside the library's, and a
second person's fast request during an optimisation.

Issue 39's targets, on 2 cores: the page ready within 10 s of the command; the
first preview (the first step's image) within 10 s of Run at 256 px, measured with
Run pressed the moment the page answers (cold: VGG19 still loading) and again
after (warm); the studio's run at most 1.05x the
library's for the same settings; a fast-network request answered while an
optimisation runs. The studio is the real command (``python -m tf_style.studio``,
a process of its own) driven through ``gradio_client``; the library runs in this
process with VGG19 loaded once, as the studio's engine does. Runs alternate
(studio, library, studio, ...) so that a busy minute weighs on both, and each is
also measured in CPU seconds (the studio's process and any it started: the run and
its page updates), which other programs' load on a shared machine disturbs far
less than the wall clock. ``--cold-repeats`` times the cold start on several fresh
studios; ``--compare-tree`` alternates them with another copy of the code's
(the same load for both). Example::

    python benchmarks/studio.py --network ../shared/models/magenta_arbitrary_stylization

Writes ``benchmarks/results/studio.json`` with the machine named.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from run_command import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "studio.json"
TARGETS = {
    "page_ready_seconds": 10.0,
    "first_preview_seconds": 10.0,
    "studio_over_library": 1.05,
}


def lscpu_model() -> str:
    """The CPU as ``lscpu`` names it."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "unknown (no lscpu)"
    for line in text.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(
    networks: list[str], root: Path = ROOT
) -> tuple[subprocess.Popen, str, float]:
    """The command (tf_style from ``root``), and the seconds until its page and
    config answer."""
    port = free_port()
    command = [sys.executable, "-m", "tf_style.studio", "--port", str(port)]
    for network in networks:
        command += ["--network", network]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            for path in ("", "config"):
                with urllib.request.urlopen(url + path, timeout=5) as response:
                    response.read()
            return process, url, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the studio ended before its page was ready") from None
            time.sleep(0.05)


def step_of(status: object) -> int:
    """The steps a status line says are done (-1 for any other line)."""
    if not isinstance(status, str) or not status.startswith("Step "):
        return -1
    return int(status.split()[1].split("/")[0])


def first_preview(client, settings: dict) -> dict:
    """Seconds from Run to the start image (step 0) and to the first step's image."""
    started = time.perf_counter()
    job = client.submit(**settings, api_name="/run")
    seen: dict[str, float] = {}
    while "first_step_image" not in seen:
        for output in job.outputs():
            step = step_of(output[3])
            if step == 0 and not isinstance(output[1], dict):
                seen.setdefault("start_image", time.perf_counter() - started)
            if step >= 1 and not isinstance(output[1], dict):
                seen["first_step_image"] = time.perf_counter() - started
        if job.done():
            raise SystemExit(f"the run ended before a preview: {job.result()}")
        time.sleep(0.02)
    client.predict(api_name="/stop")
    job.result(timeout=600)
    return {key: round(value, 2) for key, value in seen.items()}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``: the studio's worker."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def family_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live children (the page's and the worker's)."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


def studio_run(client, settings: dict, pid: int) -> dict:
    """One run through the page: the record's optimisation time; its CPU time (the
    process that ran it, from the record) plus the page's process's CPU time from
    Run to the result where the run went to a worker (the page's updates are
    encoded there); the wall time; and the CPU time of both processes from Run to
    the downloads (writing the image, record and loss plot too)."""
    page_cpu, cpu = cpu_seconds(pid), family_cpu_seconds(pid)
    started = time.perf_counter()
    result = client.predict(**settings, api_name="/run")
    wall = time.perf_counter() - started
    page_cpu, cpu = cpu_seconds(pid) - page_cpu, family_cpu_seconds(pid) - cpu
    record_path = next(Path(p) for p in result[4] if p.endswith(".json"))
    record = json.loads(record_path.read_text())
    worker = bool(children(pid))
    return {
        "optimisation_seconds": record["timings"]["optimisation_seconds"],
        "cpu_seconds": round(
            record["studio"]["cpu_seconds"] + (page_cpu if worker else 0.0), 2
        ),
        "run_process_cpu_seconds": record["studio"]["cpu_seconds"],
        "page_process_cpu_seconds": round(page_cpu, 2) if worker else None,
        "wall_seconds": round(wall, 2),
        "cpu_seconds_with_downloads": round(cpu, 2),
        "update_share": record["studio"]["update_share"],
        "steps": record["steps_completed"],
    }


def library_run(vgg, settings: dict) -> dict:
    """The same run through :func:`tf_style.stylize`: its own clock, and the CPU
    time of this process (nothing else runs in it meanwhile)."""
    import tf_style

    config = tf_style.StyleTransferConfig(
        max_dim=settings["max_dim"],
        epochs=settings["epochs"],
        steps_per_epoch=settings["steps_per_epoch"],
        seed=int(settings["seed"]),
    )
    content = tf_style.load_image(tf_style.bundled_image("content"), config.max_dim)
    style = tf_style.load_image(tf_style.bundled_image("style"), config.max_dim)
    cpu = time.process_time()  # as the studio's record measures it
    seconds = tf_style.stylize(content, style, config, vgg=vgg).seconds
    return {
        "optimisation_seconds": round(seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }


def fast_during_optimisation(url: str, settings: dict) -> dict:
    """A second tab asks for the fast networks while the first one optimises."""
    from gradio_client import Client

    running, second = Client(url, verbose=False), Client(url, verbose=False)
    job = running.submit(**(settings | {"steps_per_epoch": 5000}), api_name="/run")
    while not any(step_of(output[3]) >= 1 for output in job.outputs()):
        time.sleep(0.05)
    started = time.perf_counter()
    gallery, note = second.predict(max_dim=settings["max_dim"], api_name="/fast")
    answered = time.perf_counter() - started
    still_running = not job.done()
    running.predict(api_name="/stop")
    job.result(timeout=600)
    return {
        "answered_seconds": round(answered, 2),
        "optimisation_still_running": still_running,
        "captions": [item["caption"] for item in gallery],
        "note": note,
    }


def fresh_studio(networks: list[str], root: Path, settings: dict, *, warm: bool):
    """A new studio from ``root``: seconds to its page, and its cold first preview
    (and the next Run's, where ``warm``)."""
    from gradio_client import Client

    load = os.getloadavg()
    process, url, ready = start_studio(networks, root)
    try:
        client = Client(url, verbose=False)
        cold = {
            "tree": "this" if root == ROOT else str(root),
            "page_ready_seconds": round(ready, 2),
            "load_average": load,
            "cold": first_preview(client, settings),
        }
        if warm:
            cold["warm"] = first_preview(client, settings)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", action="append", default=[])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--compare-tree",
        type=Path,
        default=None,
        metavar="PATH",
        help="another copy of the code (e.g. `git archive HEAD~1 tf_style | tar -x "
        "-C PATH`): each cold repeat also times a fresh studio from it, the two "
        "alternating, so that both meet the same load",
    )
    parser.add_argument(
        "--cold-repeats",
        type=int,
        default=1,
        help="fresh studios whose page-ready and cold first preview are timed (the "
        "first also times the warm one); more show the spread on a busy machine",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=30.0,
        help="seconds a user looks at the page before the first Run of the third "
        "first-preview measure (the first Run is pressed at once)",
    )
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from gradio_client import Client

    load_before = os.getloadavg()
    settings = {
        "max_dim": args.max_dim,
        "epochs": 1,
        "steps_per_epoch": args.steps,
        "seed": "0",
    }
    trees = [ROOT] + ([args.compare_tree.resolve()] if args.compare_tree else [])
    cold_rounds = []
    for round_number in range(args.cold_repeats):
        # Cold: Run pressed the moment the page answers, while VGG19 may still
        # load; warm: the next Run (the first fresh studio only). Trees take
        # turns going first.
        shift = round_number % len(trees)
        for root in trees[shift:] + trees[:shift]:
            cold = fresh_studio(args.network, root, settings, warm=not cold_rounds)
            print(f"fresh studio: {cold}", flush=True)
            cold_rounds.append(cold)
    ready = cold_rounds[0]["page_ready_seconds"]
    preview = {key: cold_rounds[0][key] for key in ("cold", "warm")}
    try:
        # A user who looks at the page first: a fresh studio, Run after --idle s.
        process, url, _ = start_studio(args.network)
        time.sleep(args.idle)
        client = Client(url, verbose=False)
        preview[f"after_{args.idle:g}_s"] = first_preview(client, settings)
        print(f"first preview: {preview}", flush=True)
        import tf_style

        vgg = tf_style.load_vgg19()
        studio, library = [], []
        for _ in range(args.repeats):
            studio.append(studio_run(client, settings, process.pid))
            library.append(library_run(vgg, settings))
            print(f"studio {studio[-1]}, library {library[-1]}", flush=True)
        fast = fast_during_optimisation(url, settings) if args.network else None
        print(f"fast during an optimisation: {fast}", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    ratios = {
        measure: None
        if not studio
        else round(
            statistics.median(run[measure] for run in studio)
            / statistics.median(run[measure] for run in library),
            3,
        )
        for measure in ("optimisation_seconds", "cpu_seconds")
    }
    report = {
        "machine": machine() | {"lscpu_model": lscpu_model()},
        "settings": settings | {"preset": "tutorial"},
        "targets": TARGETS,
        "page_ready_seconds": ready,
        "first_preview": preview,
        "fresh_studios": cold_rounds,
        "studio_runs": studio,
        "library_runs": library,
        "studio_over_library": ratios,
        "fast_during_optimisation": fast,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
