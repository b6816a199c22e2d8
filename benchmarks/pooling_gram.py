"""How much average pooling shrinks the Gram matrices and the style loss.

    python benchmarks/pooling_gram.py                 # the bundled pair, 256 px
    python benchmarks/pooling_gram.py --max-dim 128

The figures behind docs/controls.md's note "Does average pooling need rescaling?":
the bundled photo and painting go through VGG19 with max pooling (Keras's network)
and with average pooling (``--pooling avg``, the same weights), and for each style
layer the Gram matrices' size (Frobenius norm) under average pooling is given as a
share of max pooling's, for both images; then the photo's style loss against the
painting's targets (the loss a run starts from, ``--init content``) under each.
A few forward passes: seconds on a CPU. Writes
``benchmarks/results/controls/pooling_gram.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import tensorflow as tf

from tf_style import StyleTransferConfig, bundled_image, load_image
from tf_style.device import cpu_name, cpu_supports_bfloat16
from tf_style.losses import style_loss
from tf_style.version import __version__
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import with_network
from tf_style.vgg.weights import load_vgg19, weights_source

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "controls" / "pooling_gram.json"


def gram_norms(extractor: StyleContentModel, image: tf.Tensor) -> dict[str, float]:
    """Each style layer's Gram matrix, as its Frobenius norm."""
    grams = extractor(image)["style"]
    return {name: float(tf.norm(gram)) for name, gram in grams.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args()
    config = StyleTransferConfig(max_dim=args.max_dim)
    content = load_image(bundled_image("content"), args.max_dim)
    style = load_image(bundled_image("style"), args.max_dim)
    vgg = load_vgg19()
    networks = {"max": StyleContentModel(vgg=vgg)}
    networks["avg"] = with_network(networks["max"], pooling="avg")

    shares, starting_loss = {}, {}
    for image_name, image in (("content", content), ("style", style)):
        norms = {pool: gram_norms(net, image) for pool, net in networks.items()}
        shares[image_name] = {
            layer: round(norms["avg"][layer] / norms["max"][layer], 3)
            for layer in config.style_layers
        }
    for pool, net in networks.items():
        targets = net(style)["style"]
        outputs = net(content)["style"]
        starting_loss[pool] = float(style_loss(outputs, targets, config.style_weight))
    result = {
        "what": "Gram matrix Frobenius norm with average pooling, as a share of max "
        "pooling's, per style layer; the content image's style loss against the "
        "style's targets under each pooling",
        "images": {
            "content": bundled_image("content").name,
            "style": bundled_image("style").name,
        },
        "max_dim": args.max_dim,
        "content_shape": content.shape.as_list(),
        "gram_norm_share_avg_over_max": shares,
        "starting_style_loss": starting_loss,
        "starting_style_loss_max_over_avg": round(
            starting_loss["max"] / starting_loss["avg"], 1
        ),
        "weights": weights_source(vgg),
        "machine": {
            "cpu": cpu_name(),
            "bfloat16_instructions": cpu_supports_bfloat16(),
        },
        "versions": {"tensorflow": tf.__version__, "tf_style": __version__},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in list(result)[4:8]}, indent=2))


if __name__ == "__main__":
    main()
