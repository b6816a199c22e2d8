"""The studio's form: one control per config field, and the command it stands for.

The controls come from the metadata that builds ``tf-style-train``'s options
(:func:`tf_style.commands.cli.add_field_options`): each field's help is the
control's info line, its ``choices`` a dropdown, its range
(:mod:`tf_style.config.ranges`) a number box's limits, its type the kind of input,
its flag (:func:`~tf_style.commands.cli.flag_of`) the option the command line
shows. A field added to the config is on the form at once. So
the command line, the library and the studio are three faces of one
:class:`~tf_style.config.StyleTransferConfig`, and what is on screen is always a
``tf-style-train`` command (:func:`command_line`).

As on the command line, the preset decides every setting left as it says
(:func:`settings_from_form` keeps only the values that differ from it). Nothing here
imports TensorFlow or Gradio: the page's controls are made by
:func:`make_control`, which imports Gradio when called.
"""

from __future__ import annotations

import dataclasses
import shlex
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tf_style.commands.cli import TRAIN_PROGRAM, flag_of
from tf_style.config import INITS, TUTORIAL, StyleTransferConfig
from tf_style.config.ranges import limits
from tf_style.presets import PRESETS, preset

# Shown open, in this order: the settings a first visit changes. The rest sit in
# "All settings", in the config's order. The size (max_dim) and the preset stand
# above the form.
FIRST = (
    "epochs",
    "steps_per_epoch",
    "style_weight",
    "content_weight",
    "total_variation_weight",
    "learning_rate",
    "optimizer",
    "mixed_precision",
    "preserve_color",
    "init",
    "style_scale",
    "seed",
)
# Not on the form: the size stands above it; a blend weighs several style images
# and the studio takes one (regions give each its own).
ABOVE = ("max_dim",)
LEFT_OUT = ("style_blend",)


@dataclass(frozen=True)
class ControlSpec:
    """What the page needs to draw one field's control.

    ``kind`` is ``bool``, ``choice``, ``int``, ``float``, ``optional_int`` (the
    seed: empty is None), ``tuple`` (values separated by spaces) or ``text``.
    """

    name: str
    flag: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()
    item: type = str  # a tuple's item type
    minimum: float | None = None  # a number's limits, from the field's range
    maximum: float | None = None

    @property
    def label(self) -> str:
        """The flag without dashes, as the command line spells it."""
        return self.flag.removeprefix("--")


def control_specs() -> list[ControlSpec]:
    """Every field the form shows: :data:`FIRST` first, then the rest in order."""
    hints = typing.get_type_hints(StyleTransferConfig)
    fields = {
        field.name: field
        for field in dataclasses.fields(StyleTransferConfig)
        if field.name not in ABOVE + LEFT_OUT
    }
    order = [*FIRST, *(name for name in fields if name not in FIRST)]
    return [_spec(fields[name], hints[name]) for name in order]


def field_spec(name: str) -> ControlSpec:
    """The control of config field ``name`` (the size above the form too)."""
    hints = typing.get_type_hints(StyleTransferConfig)
    (field,) = [f for f in dataclasses.fields(StyleTransferConfig) if f.name == name]
    return _spec(field, hints[name])


def _spec(field: dataclasses.Field, kind: object) -> ControlSpec:
    spec = _kind_spec(field, kind)
    if spec.kind in ("int", "float"):
        minimum, maximum = limits(field)
        spec = dataclasses.replace(spec, minimum=minimum, maximum=maximum)
    return spec


def _kind_spec(field: dataclasses.Field, kind: object) -> ControlSpec:
    flag = flag_of(StyleTransferConfig, field.name)
    help_text = field.metadata["help"]
    if field.name == "init":  # a file would read the server's disk: Go on instead
        return ControlSpec(field.name, flag, "choice", help_text, INITS)
    if "choices" in field.metadata:
        return ControlSpec(
            field.name, flag, "choice", help_text, tuple(field.metadata["choices"])
        )
    if kind is bool:
        return ControlSpec(field.name, flag, "bool", help_text)
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return ControlSpec(field.name, flag, "tuple", help_text, item=item)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return ControlSpec(field.name, flag, "optional_int", help_text)
    names = {int: "int", float: "float"}
    return ControlSpec(field.name, flag, names.get(kind, "text"), help_text)


def shown_value(spec: ControlSpec, value: Any) -> Any:
    """A config value as its control holds it (a tuple as ``"0.5 1"``, no seed as
    an empty box)."""
    if spec.kind == "tuple":
        return " ".join(_text(item) for item in value)
    if spec.kind == "optional_int":
        return "" if value is None else str(value)
    return value


def parsed_value(spec: ControlSpec, raw: Any) -> Any:
    """A control's value as the config field takes it.

    Raises:
        ValueError: text that is not the field's type, naming the option.
    """
    try:
        if spec.kind == "tuple":
            return tuple(spec.item(part) for part in str(raw or "").split())
        if spec.kind == "optional_int":
            return None if raw in (None, "") else _whole(raw)
        if spec.kind == "int":
            return _whole(raw)
        if spec.kind == "float":
            return float(raw)
        if spec.kind == "bool":
            return bool(raw)
        if spec.kind == "choice" and raw not in spec.choices:
            raise ValueError(raw)
        return str(raw)
    except (TypeError, ValueError):
        expected = {
            "tuple": f"{spec.item.__name__} values",
            "float": "a number",
            "choice": "one of " + ", ".join(spec.choices),
        }
        raise ValueError(
            f"{spec.flag} takes {expected.get(spec.kind, 'a whole number')}, "
            f"got {raw!r}."
        ) from None


def _whole(raw: Any) -> int:
    number = float(raw)
    if not number.is_integer():
        raise ValueError(raw)
    return int(number)


def preset_values(name: str, max_dim: int) -> dict[str, Any]:
    """Every control's value under preset ``name`` at ``max_dim``, as shown."""
    config = preset(name, max_dim=max_dim)
    return {
        spec.name: shown_value(spec, getattr(config, spec.name))
        for spec in control_specs()
    }


def follow_preset(
    before: tuple[str, int], after: tuple[str, int], shown: Mapping[str, Any]
) -> dict[str, Any]:
    """The controls after the preset or size changes from ``before`` to ``after``:
    each control still at the old preset's value takes the new one; one the user
    changed keeps its value (as an option given on the command line wins)."""
    old, new = preset_values(*before), preset_values(*after)
    return {
        name: new[name] if _same(shown[name], old[name]) else shown[name]
        for name in new
    }


def settings_from_form(
    preset_name: str, max_dim: int, shown: Mapping[str, Any]
) -> tuple[StyleTransferConfig, dict[str, Any]]:
    """The config the form describes, and the settings that differ from the preset.

    Raises:
        ValueError: a control the config refuses; the message names its option.
    """
    if preset_name not in PRESETS:
        raise ValueError(f"--preset takes {', '.join(PRESETS)}, got {preset_name!r}.")
    base = preset(preset_name, max_dim=max_dim)
    changed = {}
    for spec in control_specs():
        value = parsed_value(spec, shown[spec.name])
        if value != getattr(base, spec.name):
            changed[spec.name] = value
    try:
        return preset(preset_name, max_dim=max_dim, **changed), changed
    except (ValueError, TypeError) as error:
        raise ValueError(_with_flags(str(error))) from None


def _with_flags(message: str) -> str:
    """The config's message with a leading field name said as its option."""
    for field in dataclasses.fields(StyleTransferConfig):
        if message.startswith(field.name + " "):
            return flag_of(StyleTransferConfig, field.name) + message[len(field.name) :]
    return message


def command_line(
    preset_name: str,
    max_dim: int,
    changed: Mapping[str, Any],
    *,
    content: str | None = None,
    style: str | None = None,
    output: str | None = None,
    bit_depth: int | None = None,
    init: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """The ``tf-style-train`` command that reproduces the form.

    Args:
        preset_name, max_dim: the choices above the form.
        changed: the settings that differ from the preset
            (:func:`settings_from_form`).
        content, style: file names of uploads; None for the bundled pictures (the
            command's defaults).
        output: the result's file name, as the studio offers it for download.
        bit_depth: 16 for a 16-bit PNG.
        init: the earlier result a run went on from (``--init``).
        extra: more arguments (the regions' ``--region``).
    """
    words = [TRAIN_PROGRAM]
    for flag, value in (("--content", content), ("--style", style)):
        if value is not None:
            words += [flag, value]
    words += list(extra)
    if output is not None:
        words += ["--output", output]
    if bit_depth == 16:
        words += ["--bit-depth", "16"]
    if preset_name != "tutorial":
        words += ["--preset", preset_name]
    if max_dim != TUTORIAL.max_dim:
        words += ["--max-dim", str(max_dim)]
    settings = dict(changed) | ({"init": init} if init is not None else {})
    for name, value in settings.items():
        words += _option(name, value)
    return shlex.join(words)


def _option(name: str, value: Any) -> list[str]:
    flag = flag_of(StyleTransferConfig, name)
    if isinstance(value, bool):
        return [flag if value else "--no-" + flag.removeprefix("--")]
    if isinstance(value, tuple):
        return [flag, *(_text(item) for item in value)]
    return [] if value is None else [flag, _text(value)]


def _text(value: Any) -> str:
    """A value as the command line reads it back unchanged (``repr`` of a float is
    its shortest exact spelling: ``0.01``, ``1e-05``)."""
    return repr(value) if isinstance(value, float) else str(value)


def _same(shown: Any, expected: Any) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(shown) == float(expected)
        except (TypeError, ValueError):
            return False
    return shown == expected


def make_control(spec: ControlSpec, value: Any) -> Any:
    """The Gradio component for ``spec``, showing ``value``; its label is the
    option, its info the option's help, as ``tf-style-train --help`` says it, and
    a number's limits its field's range."""
    import gradio as gr

    common = {
        "label": spec.label,
        "info": spec.help,
        "value": value,
        "elem_id": f"option-{spec.label}",
    }
    if spec.kind == "bool":
        return gr.Checkbox(**common)
    if spec.kind == "choice":
        return gr.Dropdown(choices=list(spec.choices), **common)
    if spec.kind == "optional_int":  # empty: a new seed each run, then shown
        return gr.Textbox(placeholder="empty: a new one each run", **common)
    limits = {"minimum": spec.minimum, "maximum": spec.maximum}
    if spec.kind == "int":
        return gr.Number(precision=0, **limits, **common)
    if spec.kind == "float":
        return gr.Number(**limits, **common)
    return gr.Textbox(**common)


__all__ = [
    "FIRST",
    "ControlSpec",
    "command_line",
    "control_specs",
    "field_spec",
    "follow_preset",
    "make_control",
    "parsed_value",
    "preset_values",
    "settings_from_form",
    "shown_value",
]
