"""One pipeline: a folder of one image gives the single-image command's image, for
every setting that changes the image.

Parametrised over *every* field of StyleTransferConfig: a new field fails
``test_every_config_field_is_classified`` until it is listed here, so no option can
be forgotten by one mode again. Each variant must also change the image (else the
check would prove nothing). Tolerance: one 8-bit level (1/255) per pixel; both
commands run the same code with the same seed, so they are in fact equal.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import PIL.Image
import pytest

from tests.conftest import ASSETS
from tf_style import train
from tf_style.config import StyleTransferConfig
from tf_style.vgg.model import StyleContentModel

pytestmark = pytest.mark.slow

BASE = ["--max-dim", "40", "--epochs", "1", "--steps-per-epoch", "2", "--seed", "0"]
LBFGS_TF = ["--optimizer", "lbfgs", "--lbfgs-backend", "tensorflow"]
TWO_SCALES = ["--scales", "0.5", "1"]

# field -> options that set it to a value other than the default.
VARIANTS: dict[str, list[str]] = {
    "max_dim": ["--max-dim", "36"],
    "epochs": ["--epochs", "2"],
    "steps_per_epoch": ["--steps-per-epoch", "3"],
    "style_weight": ["--style-weight", "1"],
    "content_weight": ["--content-weight", "10"],
    "total_variation_weight": ["--tv-weight", "1e8"],
    "learning_rate": ["--learning-rate", "0.05"],
    "beta_1": ["--beta-1", "0.5"],
    "epsilon": ["--epsilon", "1e5"],
    "style_layers": ["--style-layers", "block1_conv1", "block2_conv1"],
    "content_layers": ["--content-layers", "block4_conv2"],
    "optimizer": ["--optimizer", "lbfgs"],
    "scales": TWO_SCALES,
    "scale_steps": ["--scale-steps", "3"],
    "mixed_precision": ["--mixed-precision", "bfloat16"],
    "seed": ["--seed", "1", "--init", "noise"],
    "lbfgs_backend": LBFGS_TF,
    "lbfgs_history": ["--optimizer", "lbfgs", "--lbfgs-history", "1"],
    "preconditioner": [*LBFGS_TF, "--preconditioner", "fourier"],
    "precondition_decay": [*LBFGS_TF, "--preconditioner", "fourier"]
    + ["--precondition-decay", "0.3"],
    "precondition_local": [*LBFGS_TF, "--precondition-local", "0.75"],
    "coarse_start": [*TWO_SCALES, "--coarse-start", "correction"],
    "upsampling": [*TWO_SCALES, "--upsampling", "bicubic"],
    "preserve_color": ["--preserve-color", "luminance"],
    "style_blend": ["--style-blend", "1", "3"],
    "init": ["--init", "noise"],
    "init_noise_ratio": ["--init-noise-ratio", "0.5"],
    "style_scale": ["--style-scale", "2"],
    "style_layer_weights": ["--style-layer-weights", "1", "1", "1", "1", "9"],
    "loss_normalization": ["--loss-normalization", "paper"],
    "pooling": ["--pooling", "avg"],
    # A rule that ends the run at its first chance, step 11 of 14 (its window is 10).
    "min_decrease": ["--steps-per-epoch", "14", "--min-decrease", "0.5"],
}
# More values of a field, where one would leave a path untried.
EXTRA = {
    "preserve_color histogram": ["--preserve-color", "histogram"],
    "init style": ["--init", "style"],
    "init content-recolored": ["--init", "content-recolored"],
    "init file": ["--init", "{init}"],
}
# Fields that do not change the image: how it is computed, not what.
NOT_IMAGE = {
    "jit": "XLA compiles the same step (tests/test_network.py)",
    "tiling": "tiles give the untiled loss and gradient (tests/test_tiles.py)",
    "memory_limit": "decides only whether to tile (tests/test_tiles.py)",
}


def test_every_config_field_is_classified():
    fields = {field.name for field in dataclasses.fields(StyleTransferConfig)}
    assert fields == set(VARIANTS) | set(NOT_IMAGE)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    photos = folder / "photos"
    photos.mkdir()
    # TF_STYLE_PIPELINE_PHOTO runs the check on a photo of your own (held out).
    source = os.environ.get("TF_STYLE_PIPELINE_PHOTO", str(ASSETS / "chelsea.png"))
    with PIL.Image.open(source) as image:
        image.convert("RGB").resize((300, 240)).save(photos / "cat.png")
    with PIL.Image.open(ASSETS / "starry_night.jpg") as image:
        image.convert("RGB").resize((90, 60)).save(folder / "starry.png")
        image.convert("RGB").crop((0, 0, 300, 300)).resize((60, 60)).save(
            folder / "swirl.png"
        )
        image.convert("RGB").resize((48, 40)).save(folder / "init.png")
    return folder


@pytest.fixture(autouse=True)
def one_vgg(monkeypatch, real_vgg):
    """Both commands build their extractor from one loaded VGG19.

    So the folder run takes the compiled step the single-image run kept
    (tf_style.optimize.reuse): every variant here also checks that a kept step,
    retargeted, gives the fresh step's pixels. Runs with the same graph as an
    earlier variant trace nothing. Compiled, the module took as long as with
    eager functions (148 and 145 s, one process, load 3-4).
    """
    monkeypatch.setattr(
        "tf_style.commands.one_image.load_vgg19", lambda *a, **k: real_vgg
    )

    def extractor_for(config, **_):
        return StyleContentModel(
            config.style_layers, config.content_layers, vgg=real_vgg
        )

    monkeypatch.setattr("tf_style.batch.prepare.extractor_for", extractor_for)


def styles_for(options, pictures):
    two = "--style-blend" in options
    return ["--style", str(pictures / "starry.png")] + (
        [str(pictures / "swirl.png")] if two else []
    )


def single_and_folder(options, pictures, tmp_path):
    options = [option.format(init=pictures / "init.png") for option in options]
    common = [*BASE, *options, *styles_for(options, pictures), "--quiet"]
    single = tmp_path / "single.png"
    content = pictures / "photos" / "cat.png"
    assert (
        train.main(["--content", str(content), "--output", str(single), *common]) == 0
    )
    folder = tmp_path / "folder"
    assert (
        train.main(
            ["--content", str(pictures / "photos"), "--output", str(folder), *common]
        )
        == 0
    )
    return pixels(single), pixels(folder / "cat.png")


def pixels(path):
    with PIL.Image.open(path) as image:
        return np.asarray(image, dtype=np.int16)


@pytest.fixture(scope="module")
def baseline(pictures, tmp_path_factory, real_vgg):
    import tf_style.commands.one_image

    tmp = tmp_path_factory.mktemp("baseline")
    saved = tf_style.commands.one_image.load_vgg19
    tf_style.commands.one_image.load_vgg19 = lambda *a, **k: real_vgg
    try:
        single = tmp / "base.png"
        content = pictures / "photos" / "cat.png"
        options = [*BASE, *styles_for([], pictures), "--quiet"]
        assert (
            train.main(["--content", str(content), "--output", str(single), *options])
            == 0
        )
    finally:
        tf_style.commands.one_image.load_vgg19 = saved
    return pixels(single)


@pytest.mark.parametrize(
    "options", list(VARIANTS.values()) + list(EXTRA.values()),
    ids=list(VARIANTS) + list(EXTRA),
)  # fmt: skip
def test_a_folder_of_one_image_is_the_single_image_run(
    options, pictures, tmp_path, baseline
):
    single, folder = single_and_folder(options, pictures, tmp_path)
    assert folder.shape == single.shape
    assert np.abs(folder - single).max() <= 1  # one 8-bit level
    if "--style-blend" not in options:  # the blend run has another style image
        changed = single.shape != baseline.shape or np.abs(single - baseline).max() > 1
        assert changed, "this option did not change the image: the check proves nothing"
