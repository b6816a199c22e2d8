"""Every command's options: one name and one default per setting.

The three commands build their options from the config dataclasses' fields
(:func:`tf_style.commands.cli.add_field_options`), so a setting is spelt the same
everywhere and its default is written once, on its field. These tests find what
would break that: an option written by hand for a field, one setting under two names
in two commands, a default typed into ``add_argument``, and a library function or
class whose parameter repeats a config field's default as a literal.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import re
from pathlib import Path

import pytest

from tf_style.commands import compare, train
from tf_style.commands.cli import _help, option_strings
from tf_style.config import ManyImagesConfig, StyleTransferConfig, VideoConfig
from tf_style.fit import command as fit
from tf_style.fit.config import FitConfig

PACKAGE = Path(__file__).resolve().parents[1] / "tf_style"
CONFIGS = (StyleTransferConfig, ManyImagesConfig, VideoConfig, FitConfig)
# field name -> every (config class, field) of that name (FitConfig and
# StyleTransferConfig share the loss weights, for one).
FIELDS: dict[str, list] = {}
for _config in CONFIGS:
    for _field in dataclasses.fields(_config):
        FIELDS.setdefault(_field.name, []).append((_config, _field))
FIT_REQUIRED = ["--style", "s.jpg", "--content", "photos", "--output", "run"]

# Options written by hand that have a default, each with why it is no config field.
HAND_WRITTEN_DEFAULTS = {
    ("tf-style-train", "preset"): "the recipe's name; the presets are the config's",
    ("tf-style-compare", "preset"): "the recipe's name; the presets are the config's",
    ("tf-style-compare", "output"): "where the command writes, not a setting",
    ("tf-style-compare", "strength"): "a fast model's full strength, as it was "
    "trained (the neutral value, not a tuned one)",
}
# Library parameters that share a config field's name and default but set
# something else.
SAME_NAME_OTHER_SETTING = {
    ("tf_style/video/clips.py", "seed"): "the seed of a synthetic test clip's "
    "pictures, not of a run",
}


@pytest.fixture(scope="module")
def parsers() -> dict[str, argparse.ArgumentParser]:
    return {
        "tf-style-train": train.build_parser(),
        "tf-style-compare": compare.build_parser(),
        "tf-style-fit": fit.build_parser(),
    }


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
    ]


def generated_from(action: argparse.Action) -> type | None:
    """The config class whose field ``action`` was built from, or None."""
    for config, field in FIELDS.get(action.dest, []):
        default = getattr(config(), field.name)
        if (
            set(option_strings(field)) <= set(action.option_strings)
            and action.option_strings[0] == option_strings(field)[0]
            and action.help == _help(field.metadata["help"], default)
            and action.default in (argparse.SUPPRESS, default)
        ):
            return config
    return None


def test_every_option_for_a_setting_is_built_from_its_field(parsers):
    written = [
        f"{program} {action.option_strings[0]}: {action.dest} is a field of "
        f"{', '.join(c.__name__ for c, _ in FIELDS[action.dest])}; build the option "
        "with add_field_options (its name, help and default come from the field)"
        for program, parser in parsers.items()
        for action in options(parser)
        if action.dest in FIELDS and generated_from(action) is None
    ]
    assert not written, "\n".join(written)


def test_a_setting_has_one_name_in_every_command(parsers):
    """The same setting is the same option (and the same aliases) everywhere, and
    an option means the same setting in every command."""
    names: dict[str, dict[str, list[str]]] = {}
    meanings: dict[str, set[str]] = {}
    for program, parser in parsers.items():
        for action in options(parser):
            names.setdefault(action.dest, {})[program] = sorted(action.option_strings)
            for string in action.option_strings:
                meanings.setdefault(string, set()).add(action.dest)
    spelt_twice = {
        dest: seen
        for dest, seen in names.items()
        if len({tuple(strings) for strings in seen.values()}) > 1
    }
    assert not spelt_twice
    assert {string: dests for string, dests in meanings.items() if len(dests) > 1} == {}


def test_an_option_is_named_after_its_field(parsers):
    for parser in parsers.values():
        for action in options(parser):
            if generated_from(action) is not None:
                assert action.option_strings[0] == "--" + action.dest.replace("_", "-")


def test_no_option_types_in_a_default_of_its_own(parsers):
    typed = [
        f"{program} {action.option_strings[0]} has default={action.default!r} "
        "written in add_argument: give it a config field, or say here why not"
        for program, parser in parsers.items()
        for action in options(parser)
        if generated_from(action) is None
        and action.default not in (None, False, argparse.SUPPRESS)
        and (program, action.dest) not in HAND_WRITTEN_DEFAULTS
    ]
    assert not typed, "\n".join(typed)


@pytest.mark.parametrize(
    "program", ["tf-style-train", "tf-style-compare", "tf-style-fit"]
)
def test_tv_weight_still_sets_the_total_variation_weight(parsers, program):
    parser = parsers[program]
    given = FIT_REQUIRED if program == "tf-style-fit" else []
    old = parser.parse_args([*given, "--tv-weight", "5"])
    new = parser.parse_args([*given, "--total-variation-weight", "5"])
    assert old.total_variation_weight == new.total_variation_weight == 5.0
    assert "--total-variation-weight X, --tv-weight X" in parser.format_help()


def outside(field: dataclasses.Field) -> list:
    """A value past each bound of the field's range (the bound itself where it is
    open)."""
    from tf_style.config.ranges import bounds

    step = {"at_least": -1, "above": 0, "at_most": 1, "below": 0}
    kind = int if field.type in ("int", "int | None") else float
    return [kind(bound + step[key]) for key, bound in bounds(field).items()]


RANGED = [
    (field, value)
    for field in dataclasses.fields(StyleTransferConfig)
    for value in outside(field)
]


def test_ranges_are_given_in_the_metadata():
    names = {field.name for field, _ in RANGED}
    assert {"max_dim", "epochs", "seed", "beta_1", "style_scale"} <= names


@pytest.mark.parametrize(
    ("field", "value"), RANGED, ids=[f"{f.name}={v}" for f, v in RANGED]
)
def test_a_value_past_a_fields_range_is_one_line_and_status_2(
    field, value, run_here, tmp_path
):
    """Each field's range is its metadata's: the config refuses a value past it,
    and tf-style-train says so in one line with exit status 2, before any work
    (the studio's number boxes take the same range: tests/test_studio.py)."""
    from tf_style.config.ranges import bounds, range_words

    words = f"{field.name} must be {range_words(bounds(field))}, got {value}."
    with pytest.raises(ValueError, match=f"^{re.escape(words)}$"):
        StyleTransferConfig(**{field.name: value})
    flag = option_strings(field)[0]
    done = run_here("--output", "cat.png", flag, str(value), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"tf-style-train: error: {words}"]
    assert not (tmp_path / "cat.png").exists()


def test_fit_takes_arch_for_architecture(parsers):
    parser = parsers["tf-style-fit"]
    assert parser.parse_args([*FIT_REQUIRED, "--arch", "adain"]).architecture == "adain"
    assert parser.parse_args(FIT_REQUIRED).architecture == FitConfig().architecture
    assert "--architecture {johnson,adain}, --arch" in parser.format_help()


def test_fit_shares_the_many_image_modes_strategy_field(parsers):
    action = next(a for a in options(parsers["tf-style-fit"]) if a.dest == "strategy")
    assert generated_from(action) is ManyImagesConfig
    assert action.default == ManyImagesConfig().strategy


# --- defaults written twice in the library --------------------------------------


def literal_defaults(tree: ast.AST):
    """``(name, value, line)`` of every literal default in ``tree``: a function's
    parameters, a class's annotated attributes and a config class's call
    keywords. None, bools and empty containers are the neutral "not given" or
    "off", not a copy of a setting."""
    configs = {config.__name__ for config in CONFIGS}
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            with_default = positional[len(positional) - len(arguments.defaults) :]
            pairs += [
                (a.arg, d)
                for a, d in zip(with_default, arguments.defaults, strict=True)
            ]
            pairs += [
                (a.arg, d)
                for a, d in zip(
                    arguments.kwonlyargs, arguments.kw_defaults, strict=True
                )
                if d is not None
            ]
        elif isinstance(node, ast.ClassDef):
            pairs += [
                (item.target.id, item.value)
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.value is not None
            ]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in configs:
            pairs += [(k.arg, k.value) for k in node.keywords if k.arg]
        for name, expression in pairs:
            try:
                value = ast.literal_eval(expression)
            except ValueError:
                continue  # a name (TUTORIAL.max_dim) or a call: read, not copied
            if value is None or isinstance(value, bool) or value in ((), [], ""):
                continue
            yield name, value, expression.lineno


def copies_of_config_defaults() -> list[str]:
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        if relative.startswith("tf_style/config/"):
            continue  # where the defaults live
        for name, value, line in literal_defaults(ast.parse(path.read_text())):
            if (relative, name) in SAME_NAME_OTHER_SETTING:
                continue
            copied = [
                f"{config.__name__}.{name}"
                for config, field in FIELDS.get(name, [])
                if getattr(config(), field.name) == value
            ]
            if copied:
                hits.append(
                    f"{relative}:{line}: {name}={value!r} repeats the default of "
                    + " and ".join(copied)
                )
    return hits


def test_no_library_code_repeats_a_config_default():
    """A building block's default that copies a config field's (``batch_size=4``,
    ``sizing="group"``) drifts when the field changes: take the config, read the
    default from it (``TUTORIAL.optimizer``), or have no default."""
    hits = copies_of_config_defaults()
    assert not hits, "defaults written twice:\n" + "\n".join(hits)


def test_the_scan_finds_a_copied_default():
    tree = ast.parse(
        "def f(images, *, batch_size: int = 4, sizing='group', seed=None): ...\n"
        "class Settings:\n    temporal_weight: float = 1e10\n"
        "config = StyleTransferConfig(max_dim=512, jit=False)\n"
    )
    found = {(name, value) for name, value, _ in literal_defaults(tree)}
    assert found == {
        ("batch_size", 4),
        ("sizing", "group"),
        ("temporal_weight", 1e10),
        ("max_dim", 512),
    }
