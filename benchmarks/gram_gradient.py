"""One evaluation's seconds with TensorFlow's einsum gradient and with the product's.

    python benchmarks/gram_gradient.py                  # 256 px, 30 rounds
    python benchmarks/gram_gradient.py --max-dim 512 --rounds 10

The tutorial's Gram matrix is ``tf.linalg.einsum("bijc,bijd->bcd", F, F)``;
:mod:`tf_style.vgg.gram` keeps that value and writes its gradient as one matrix
product. This builds the compiled loss and gradient of the bundled pair twice in one
process, once with the plain einsum differentiated by TensorFlow and once with
``gram_einsum``, in float32 and in bfloat16, and times the four alternately, round
after round, so that a change in the machine's load meets all of them. It also
reports how far the two gradients differ. Writes
``benchmarks/results/gram_gradient_<max-dim>.json`` with the machine and the load
average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import tensorflow as tf

import tf_style.vgg.model as model_module
from tf_style.images import bundled_image, load_image
from tf_style.objective import StyleContentLoss, compiled_loss_and_gradient
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import with_precision

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
GRAMS = {
    "einsum, TensorFlow's gradient": lambda f: tf.linalg.einsum("bijc,bijd->bcd", f, f),
    "einsum, product gradient": model_module.gram_einsum,
}


def compiled_evaluations(max_dim: int) -> tuple[dict, tf.Tensor]:
    """The four compiled evaluations (precision x gradient) and the image."""
    content = load_image(bundled_image("content"), max_dim=max_dim)
    style = load_image(bundled_image("style"), max_dim=max_dim)
    base, evaluations = StyleContentModel(), {}
    spec = [tf.TensorSpec(content.shape, tf.float32)]
    try:
        for precision in ("float32", "bfloat16"):
            extractor = with_precision(base, precision)
            for name, gram in GRAMS.items():
                model_module.gram_einsum = gram  # what gram_matrix calls, at tracing
                loss = StyleContentLoss(extractor, content, style)
                evaluate = compiled_loss_and_gradient(loss, input_signature=spec)
                evaluate(content)  # traced now, with this Gram
                evaluations[(precision, name)] = evaluate
    finally:
        model_module.gram_einsum = GRAMS["einsum, product gradient"]
    return evaluations, content


def timed(evaluate, image: tf.Tensor) -> float:
    started = time.perf_counter()
    terms, gradient = evaluate(image)
    float(terms["total"]), gradient.numpy()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    # Imported here: run as a script, this folder is on the path.
    from run_command import machine

    evaluations, image = compiled_evaluations(args.max_dim)
    for evaluate in evaluations.values():
        timed(evaluate, image)  # warm
    seconds = {key: [] for key in evaluations}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for key, evaluate in evaluations.items():
            seconds[key].append(timed(evaluate, image))
    rows = []
    for precision in ("float32", "bfloat16"):
        plain, product = (evaluations[(precision, name)](image) for name in GRAMS)
        difference = tf.norm(plain[1] - product[1]) / tf.norm(plain[1])
        medians = [statistics.median(seconds[(precision, name)]) for name in GRAMS]
        rows.append(
            {
                "precision": precision,
                "median_seconds": dict(zip(GRAMS, medians, strict=True)),
                "speed_up": round(medians[0] / medians[1], 3),
                "gradient_relative_difference": float(difference),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "machine": machine(),
        "image": list(image.shape),
        "rounds": args.rounds,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "rows": rows,
    }
    path = RESULTS / f"gram_gradient_{args.max_dim}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
