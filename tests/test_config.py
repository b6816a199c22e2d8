import dataclasses

import pytest

from tf_style.config import STYLE_LAYERS, StyleTransferConfig, option


def test_defaults_are_the_tutorials():
    config = StyleTransferConfig()
    assert (config.style_weight, config.content_weight) == (1e-2, 1e4)
    assert config.total_variation_weight == 30
    assert (config.learning_rate, config.beta_1, config.epsilon) == (0.02, 0.99, 0.1)
    assert (config.epochs, config.steps_per_epoch, config.max_dim) == (10, 100, 512)
    assert config.content_layers == ("block5_conv2",)
    assert config.style_layers == STYLE_LAYERS
    assert config.optimizer == "adam" and config.scales == (1.0,)
    assert config.total_steps == 1000


def test_every_field_has_help_text():
    for field in dataclasses.fields(StyleTransferConfig):
        assert field.metadata.get("help"), field.name


def test_an_option_with_metadata_the_command_line_would_ignore_is_refused():
    """Options are named after their field: a ``flag=`` (or a misspelt key) would
    be dropped without a word, so it is refused where the field is declared."""
    with pytest.raises(TypeError, match="not flag .*aliases"):
        option(30.0, "weight", flag="tv-weight")
    aliased = option(30.0, "weight", aliases=("tv-weight",))
    assert aliased.metadata["aliases"] == ("tv-weight",)


def test_unknown_layer_names_the_keras_convention():
    with pytest.raises(ValueError, match="Unknown style layer 'relu4_2'.*block4_conv1"):
        StyleTransferConfig(style_layers=("relu4_2",))


def test_layers_given_as_a_string_are_refused():
    with pytest.raises(TypeError, match="sequence of layer names"):
        StyleTransferConfig(content_layers="block5_conv2")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"max_dim": 8}, "max_dim must be at least 32"),
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"style_weight": -1.0}, "style_weight must be zero or positive"),
        ({"learning_rate": 0.0}, "learning_rate must be positive"),
        ({"beta_1": 1.0}, "beta_1"),
        ({"optimizer": "sgd"}, "Unknown optimizer 'sgd'"),
        ({"scales": (0.5,)}, "scales must rise"),
        ({"scales": (1.0, 0.5)}, "scales must rise"),
        ({"mixed_precision": "int8"}, "Unknown precision"),
        ({"learning_rate": float("inf")}, "learning_rate must be finite"),
        ({"epsilon": float("inf")}, "epsilon must be finite"),
        ({"style_weight": float("nan")}, "style_weight must be finite"),
        ({"total_variation_weight": float("inf")}, "must be finite"),
        ({"content_weight": -float("inf")}, "content_weight must be finite"),
        ({"seed": -1}, "seed must be between 0 and 4294967295"),
        ({"seed": 2**32}, "seed must be between 0 and 4294967295"),
        ({"style_layers": ("block1_conv1", "block1_conv1")}, "more than once"),
        ({"content_layers": ("block5_conv2",) * 2}, "block5_conv2 is given more"),
    ],
)
def test_bad_settings_raise_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        StyleTransferConfig(**changes)


def test_to_dict_is_json_ready():
    record = StyleTransferConfig().to_dict()
    assert record["style_layers"] == list(STYLE_LAYERS)
    assert record["seed"] is None


def test_largest_seed_is_accepted():
    assert StyleTransferConfig(seed=2**32 - 1).seed == 2**32 - 1


@pytest.mark.parametrize(
    "changes", [{"seed": 1.5}, {"seed": True}, {"epochs": 2.0}, {"max_dim": "64"}]
)
def test_counts_and_seed_must_be_whole_numbers(changes):
    with pytest.raises(TypeError, match="must be a whole number"):
        StyleTransferConfig(**changes)


def test_numpy_numbers_count_as_pythons_and_the_record_stays_json():
    import json

    import numpy as np

    config = StyleTransferConfig(
        max_dim=np.int64(48),
        epochs=np.int32(2),
        seed=np.uint32(7),
        style_weight=np.float32(0.5),
        content_weight=np.float64(1e4),
        scales=(np.float32(0.5), 1.0),
        scale_steps=(np.int64(3), np.int16(4)),
        jit=np.bool_(False),
    )
    assert (config.max_dim, config.epochs, config.seed) == (48, 2, 7)
    assert type(config.max_dim) is int and type(config.style_weight) is float
    assert config.scale_steps == (3, 4) and type(config.scale_steps[0]) is int
    assert config.jit is False
    assert json.loads(json.dumps(config.to_dict()))["max_dim"] == 48


@pytest.mark.parametrize(
    "changes",
    [{"max_dim": True}, {"epochs": False}, {"scale_steps": (True,)}, {"seed": 2.0}],
)
def test_bools_and_floats_are_not_counts(changes):
    import numpy as np

    with pytest.raises(TypeError, match="must be a whole number"):
        StyleTransferConfig(**changes)
    if changes.get("max_dim") is True:
        with pytest.raises(TypeError, match="must be a whole number"):
            StyleTransferConfig(max_dim=np.bool_(True))


@pytest.mark.parametrize("name", ["style_weight", "content_weight", "learning_rate"])
def test_bools_are_not_numbers(name):
    with pytest.raises(ValueError, match=f"{name} must be a number"):
        StyleTransferConfig(**{name: True})


@pytest.mark.parametrize(
    "name",
    ["style_weight", "content_weight", "total_variation_weight", "learning_rate"]
    + ["epsilon"],
)
@pytest.mark.parametrize(
    "value, message",
    [
        (1e300, r"must be at most 3\.403e\+38 \(float32's largest number\)"),
        (3.5e38, "must be at most 3.403e"),
        (1e-50, "which float32 rounds to 0"),
    ],
)
def test_settings_computed_in_float32_must_be_float32_numbers(name, value, message):
    """1e300 is finite for Python and infinite in the float32 loss: NaN later."""
    with pytest.raises(ValueError, match=message) as raised:
        StyleTransferConfig(**{name: value})
    assert str(raised.value).startswith(f"{name} ")


def test_the_largest_float32_weights_are_still_taken():
    """Tests drive the loss non-finite with style_weight=1e38 (exit status 3)."""
    config = StyleTransferConfig(style_weight=1e38, total_variation_weight=0.0)
    assert config.style_weight == 1e38
    assert StyleTransferConfig(content_weight=1e-45).content_weight == 1e-45


# --- the many-image and video settings ------------------------------------------


def test_the_mode_configs_default_to_what_the_commands_did():
    from tf_style.config import ManyImagesConfig, VideoConfig
    from tf_style.config.choices import TEMPORAL_WEIGHT

    assert ManyImagesConfig() == ManyImagesConfig(4, "group", "auto")
    video = VideoConfig()
    assert (video.temporal, video.temporal_weight, video.long_term, video.fps) == (
        "flow",
        TEMPORAL_WEIGHT,
        1,
        None,
    )
    assert video.record() == {
        "mode": "flow",
        "temporal_weight": TEMPORAL_WEIGHT,
        "long_term": 1,
    }


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda c: c.ManyImagesConfig(batch_size=0), "batch_size must be a whole"),
        (lambda c: c.ManyImagesConfig(batch_size=2.5), "batch_size must be a whole"),
        (lambda c: c.ManyImagesConfig(sizing="fit"), "sizing must be one of"),
        (lambda c: c.ManyImagesConfig(strategy="tpu"), "strategy must be one of"),
        (lambda c: c.VideoConfig(temporal="optical"), "temporal must be one of"),
        (lambda c: c.VideoConfig(long_term=True), "long_term must be a whole"),
        (lambda c: c.VideoConfig(temporal_weight=-1.0), "zero or positive"),
        (lambda c: c.VideoConfig(temporal_weight=2e38, long_term=2), "float32"),
        (lambda c: c.VideoConfig(fps=0), "fps must be above 0"),
        (lambda c: c.VideoConfig(fps=1001), "at most 1000"),
    ],
)
def test_the_mode_configs_refuse_bad_values_naming_the_field(make, message):
    import tf_style.config as config

    with pytest.raises(ValueError, match=message):
        make(config)


def test_a_numpy_number_is_a_mode_setting_like_pythons():
    import numpy as np

    from tf_style.config import ManyImagesConfig, VideoConfig

    assert ManyImagesConfig(batch_size=np.int64(2)).batch_size == 2
    assert type(VideoConfig(fps=np.float32(12.5)).fps) is float
