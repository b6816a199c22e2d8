"""The options reference (docs/options.md), generated from the commands' parsers.

Every option of ``tf-style-train``, ``tf-style-compare``, ``tf-style-fit`` and
``tf-style-studio`` comes from a config field or from its parser, so the reference
is written from the parsers themselves:
``python docs/make_options.py > docs/options.md``. A test compares the file with
this output, so the page cannot drift from the commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

HEADER = """# Options of the commands

Generated from the parsers (`python docs/make_options.py > docs/options.md`;
`tests/test_docs.py` checks it is current). Settings are the fields of
`StyleTransferConfig`, `ManyImagesConfig`, `VideoConfig` and `FitConfig`: the
same name means the same thing in every command, and an older spelling stays an
alias. A setting's range is its field's too: a value outside it is refused in one
line (exit status 2). The studio (`tf-style-studio`, last) puts `tf-style-train`'s
settings on a web page, one control per option with its help, choices and range,
and shows the `tf-style-train` command that reproduces what is on screen.
"""


def parsers() -> dict[str, Callable[[], argparse.ArgumentParser]]:
    """Each command's name and its parser builder."""
    from tf_style.commands import compare, train
    from tf_style.fit import command as fit
    from tf_style.studio import command as studio  # its parser needs no Gradio

    return {
        "tf-style-train": train.build_parser,
        "tf-style-compare": compare.build_parser,
        "tf-style-fit": fit.build_parser,
        "tf-style-studio": studio.build_parser,
    }


def options_markdown() -> str:
    """The whole reference page: a table per option group of each command."""
    parts = [HEADER]
    for name, build in parsers().items():
        parser = build()
        parts.append(f"\n## `{name}`\n\n{_one_line(parser.description or '')}\n")
        for group in parser._action_groups:  # argparse keeps its groups here only
            rows = [_row(action) for action in group._group_actions]
            rows = [row for row in rows if row]
            if rows:
                parts.append(f"\n### {group.title}\n\n| option | meaning |\n")
                parts.append("|---|---|\n" + "".join(rows))
    return "".join(parts)


def _row(action: argparse.Action) -> str:
    if action.help == argparse.SUPPRESS or not action.option_strings:
        return ""
    if isinstance(action, argparse._HelpAction):
        return ""
    spelled = ", ".join(
        f"`{_with_value(option, action)}`" for option in action.option_strings
    )
    text = _one_line(action.help or "").replace("|", "\\|")
    return f"| {spelled} | {text} |\n"


def _with_value(option: str, action: argparse.Action) -> str:
    if action.nargs == 0:
        return option
    if getattr(action, "values_shown", None):  # as the help shows it (--region)
        return f"{option} {action.values_shown}"
    if action.choices:
        return f"{option} {{{','.join(str(c) for c in action.choices)}}}"
    metavar = action.metavar or action.dest.upper()
    return f"{option} {metavar}" + (" ..." if action.nargs == "+" else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    from tf_style.commands.cli import quiet_tensorflow

    quiet_tensorflow()
    sys.stdout.write(options_markdown())
