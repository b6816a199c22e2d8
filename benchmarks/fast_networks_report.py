"""The fast-network benchmark's report: the picture grid, the curve, the tables.

:mod:`fast_networks` measures; this turns its result into
``docs/fast_networks/grid.jpg``, ``loss_vs_time.png`` and ``fast_networks.md``.
"""

from __future__ import annotations

from pathlib import Path

# Where the benchmark scores, and the optimisation it scores against.
SIZE = 256
TUTORIAL_STEPS = 300


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
    forecast = training.get("forecast")
    if forecast and forecast["hours"] is not None:
        lines += [
            "",
            "Forecast, not measured: a power law through the second half of the "
            f"held-back curve (loss ~ t^{forecast['exponent']:.2f}) meets the "
            f"tutorial's line after about {forecast['hours']:.2g} hours of this "
            "training: on this curve, not within any budget.",
        ]
    return "\n".join(lines) + "\n"
