"""Presets: the tutorial's defaults by name, the fast recipe, and options on top."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from tf_style.commands.cli import UsageError, add_config_arguments, config_from_args
from tf_style.config import StyleTransferConfig
from tf_style.presets import PRESETS, fast_budget, preset


def parse(*args: str) -> StyleTransferConfig:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    return config_from_args(parser.parse_args(list(args)))


def test_tutorial_preset_is_the_defaults():
    assert preset("tutorial") == StyleTransferConfig()
    assert parse() == StyleTransferConfig() == parse("--preset", "tutorial")


def test_fast_preset_is_the_tensorflow_lbfgs_coarse_to_fine_recipe():
    config = preset("fast", max_dim=256)
    assert config.optimizer == "lbfgs" and config.lbfgs_backend == "tensorflow"
    assert config.scales[-1] == 1.0 and len(config.scale_steps) == len(config.scales)
    assert config.total_steps == fast_budget(256)
    assert config.preconditioner == "fourier" and config.precondition_local > 0
    assert config.init == "content-recolored"
    assert config.mixed_precision == "auto"  # bfloat16 only where it is measured faster
    assert config.max_dim == 256
    # Everything the preset does not set stays the tutorial's: the same objective.
    for name in ("style_weight", "content_weight", "total_variation_weight",
                 "style_layers", "content_layers"):  # fmt: skip
        assert getattr(config, name) == getattr(StyleTransferConfig(), name)


def test_explicit_options_win_over_the_preset_even_the_tutorials_values():
    config = parse("--preset", "fast", "--optimizer", "adam", "--max-dim", "128")
    assert config.optimizer == "adam" and config.max_dim == 128
    assert config.scale_steps == preset("fast", max_dim=128).scale_steps
    assert parse("--preset", "fast", "--scale-steps", "9").total_steps == 9


def test_a_schedule_the_preset_would_ignore_is_refused():
    with pytest.raises(UsageError, match="give scale_steps instead of epochs"):
        parse("--preset", "fast", "--epochs", "2")
    with pytest.raises(ValueError, match="Unknown preset 'slow'"):
        preset("slow")


@pytest.mark.parametrize("max_dim", [32, 256, 512, 1024, 4096])
def test_every_preset_is_a_valid_config_at_every_size(max_dim):
    for name in PRESETS:
        config = preset(name, max_dim=max_dim)
        assert dataclasses.replace(config) == config
