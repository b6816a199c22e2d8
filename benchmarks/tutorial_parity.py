"""Faithful to the tutorial: shapes, pixels and losses checked against its own code.

Two parts, on photos the package was not tuned on:

1. **Loading.** Each image is cut to awkward sizes (odd, prime, 4:3 one row off)
   and saved as JPEG and PNG; ``tf_style.load_image`` is compared with the
   tutorial's ``load_img`` (written out below as tensorflow.org has it) at several
   ``max_dim``: the shape must be equal and the pixels within 1e-6.
2. **Losses, like for like.** One content and style pair is stylised by the
   tutorial's own code (its ``StyleContentModel``, ``gram_matrix`` and
   ``train_step``, Adam with its settings) and by the package's fast preset, at the
   same size from the same pixels; both results are scored by that independent
   implementation of the tutorial's loss.

Usage:
    python benchmarks/tutorial_parity.py [--images ../shared/images]
        [--max-dim 256] [--tutorial-steps 300] [--out benchmarks/results/parity]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import PIL.Image
import tensorflow as tf

from tf_style.images import load_image
from tf_style.optimize import stylize
from tf_style.presets import preset
from tf_style.vgg.weights import load_vgg19

ROOT = Path(__file__).resolve().parents[1]
AWKWARD_SIZES = [(979, 734), (734, 979), (1001, 667), (641, 479), (257, 193), (97, 61)]
MAX_DIMS = [512, 256, 97]
CONTENT_LAYERS = ["block5_conv2"]
STYLE_LAYERS = [f"block{i}_conv1" for i in range(1, 6)]


# --- the tutorial's code, cell for cell --------------------------------------------


def load_img(path_to_img, max_dim=512):
    img = tf.io.read_file(path_to_img)
    img = tf.image.decode_image(img, channels=3)
    img = tf.image.convert_image_dtype(img, tf.float32)

    shape = tf.cast(tf.shape(img)[:-1], tf.float32)
    long_dim = max(shape)
    scale = max_dim / long_dim

    new_shape = tf.cast(shape * scale, tf.int32)

    img = tf.image.resize(img, new_shape)
    img = img[tf.newaxis, :]
    return img


def vgg_layers(layer_names, vgg):
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layer_names]
    return tf.keras.Model([vgg.input], outputs)


def gram_matrix(input_tensor):
    result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
    return result / (num_locations)


class TutorialStyleContentModel(tf.keras.models.Model):
    def __init__(self, style_layers, content_layers, vgg):
        super().__init__()
        self.vgg = vgg_layers(style_layers + content_layers, vgg)
        self.style_layers = style_layers
        self.content_layers = content_layers
        self.num_style_layers = len(style_layers)
        self.vgg.trainable = False

    def call(self, inputs):
        inputs = inputs * 255.0
        preprocessed_input = tf.keras.applications.vgg19.preprocess_input(inputs)
        outputs = self.vgg(preprocessed_input)
        style_outputs, content_outputs = (
            outputs[: self.num_style_layers],
            outputs[self.num_style_layers :],
        )
        style_outputs = [gram_matrix(style_output) for style_output in style_outputs]
        content_dict = dict(zip(self.content_layers, content_outputs, strict=True))
        style_dict = dict(zip(self.style_layers, style_outputs, strict=True))
        return {"content": content_dict, "style": style_dict}


def tutorial_loss(extractor, image, style_targets, content_targets):
    """``style_content_loss`` plus the tutorial's ``total_variation_weight * tv``."""
    style_weight, content_weight, total_variation_weight = 1e-2, 1e4, 30
    outputs = extractor(image)
    style_outputs, content_outputs = outputs["style"], outputs["content"]
    style_loss = tf.add_n(
        [
            tf.reduce_mean((style_outputs[name] - style_targets[name]) ** 2)
            for name in style_outputs
        ]
    )
    style_loss *= style_weight / len(STYLE_LAYERS)
    content_loss = tf.add_n(
        [
            tf.reduce_mean((content_outputs[name] - content_targets[name]) ** 2)
            for name in content_outputs
        ]
    )
    content_loss *= content_weight / len(CONTENT_LAYERS)
    variation = total_variation_weight * tf.image.total_variation(image)
    return style_loss + content_loss + tf.reduce_sum(variation)


def tutorial_run(extractor, content_image, style_image, steps):
    """The tutorial's optimisation loop: Adam(0.02, 0.99, 0.1), clip to [0, 1]."""
    style_targets = extractor(style_image)["style"]
    content_targets = extractor(content_image)["content"]
    image = tf.Variable(content_image)
    opt = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            loss = tutorial_loss(extractor, image, style_targets, content_targets)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))

    for _ in range(steps):
        train_step(image)
    return tf.convert_to_tensor(image), (style_targets, content_targets)


# --- part 1: loading ---------------------------------------------------------------


def awkward_files(images: list[Path], folder: Path) -> list[Path]:
    """Each image cut to each awkward size (where it is large enough), JPEG and PNG."""
    files = []
    for number, source in enumerate(images):
        with PIL.Image.open(source) as opened:
            photo = opened.convert("RGB")
        for width, height in AWKWARD_SIZES:
            if photo.width < width or photo.height < height:
                continue
            crop = photo.crop((0, 0, width, height))
            for suffix, options in (("jpg", {"quality": 85 + number}), ("png", {})):
                path = folder / f"{source.stem}_{width}x{height}.{suffix}"
                crop.save(path, **options)
                files.append(path)
    return files


def loading_table(files: list[Path]) -> list[dict]:
    rows = []
    for path in files:
        for max_dim in MAX_DIMS:
            expected, ours = load_img(str(path), max_dim), load_image(path, max_dim)
            same_shape = tuple(expected.shape) == tuple(ours.shape)
            rows.append(
                {
                    "file": path.name,
                    "max_dim": max_dim,
                    "tutorial_shape": list(expected.shape[1:3]),
                    "shape": list(ours.shape[1:3]),
                    "same_shape": same_shape,
                    "max_pixel_difference": float(np.abs(expected - ours).max())
                    if same_shape
                    else None,
                }
            )
    return rows


# --- part 2: losses ----------------------------------------------------------------


def loss_comparison(content: Path, style: Path, max_dim: int, steps: int) -> dict:
    vgg = load_vgg19()
    extractor = TutorialStyleContentModel(STYLE_LAYERS, CONTENT_LAYERS, vgg)
    content_image, style_image = (
        load_img(str(content), max_dim),
        load_img(str(style), max_dim),
    )
    started = time.perf_counter()
    tutorial_image, (style_targets, content_targets) = tutorial_run(
        extractor, content_image, style_image, steps
    )
    tutorial_seconds = time.perf_counter() - started

    def score(image) -> float:
        return float(tutorial_loss(extractor, image, style_targets, content_targets))

    config = preset("fast", max_dim=max_dim)
    started = time.perf_counter()
    fast = stylize(content_image, style_image, config, vgg=vgg)
    fast_seconds = time.perf_counter() - started
    return {
        "content": content.name,
        "style": style.name,
        "size": list(content_image.shape[1:3]),
        "start_loss": score(content_image),
        "tutorial": {
            "steps": steps,
            "loss": score(tutorial_image),
            "seconds": round(tutorial_seconds, 1),
        },
        "fast_preset": {
            "evaluations": len(fast.history["total"]),
            "loss": score(fast.image),
            "seconds": round(fast_seconds, 1),
            "own_final_loss": fast.history["total"][-1],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared/images")
    parser.add_argument("--content", default="coffee.png")
    parser.add_argument("--style", default="the_scream.jpg")
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--tutorial-steps", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/parity")
    args = parser.parse_args(argv)
    images = sorted(
        p for p in args.images.iterdir() if p.suffix.lower() in (".jpg", ".png")
    )
    with tempfile.TemporaryDirectory() as folder:
        rows = loading_table(awkward_files(images, Path(folder)))
    mismatched = [row for row in rows if not row["same_shape"]]
    worst = max(row["max_pixel_difference"] or 0.0 for row in rows)
    print(
        f"Loading: {len(rows)} files x sizes, {len(mismatched)} shapes differ, "
        f"largest pixel difference {worst:.2e}"
    )
    losses = loss_comparison(
        args.images / args.content,
        args.images / args.style,
        args.max_dim,
        args.tutorial_steps,
    )
    print(json.dumps(losses, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "parity.json").write_text(
        json.dumps({"loading": rows, "losses": losses}, indent=2) + "\n"
    )
    return 0 if not mismatched and worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
