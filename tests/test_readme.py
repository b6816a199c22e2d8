"""The README is the front door: short, and every command in it parses as written."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import ROOT
from tf_style.commands import compare, train
from tf_style.fit import command as fit

README = (ROOT / "README.md").read_text()
PARSERS = {
    "tf-style-train": train.build_parser,
    "tf_style.train": train.build_parser,
    "tf-style-compare": compare.build_parser,
    "tf_style.compare": compare.build_parser,
    "tf-style-fit": fit.build_parser,
    "tf_style.fit": fit.build_parser,
}


def readme_commands() -> list[list[str]]:
    """Every command of the README's bash blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                words = [w for w in words if "=" not in w or w.startswith("-")]
                if "python" in words[:1]:
                    words = words[2:]  # python -m
                if words and words[0] in PARSERS and "..." not in words:
                    commands.append(words)
    return commands


def test_the_readme_stays_a_five_minute_read():
    assert len(README.encode()) < 25_000


@pytest.mark.parametrize("words", readme_commands(), ids=lambda w: " ".join(w)[:60])
def test_every_readme_command_parses(words):
    PARSERS[words[0]]().parse_args(words[1:])


def test_the_readme_has_commands_of_both_kinds():
    kinds = {
        "train" if "train" in words[0] else "compare" for words in readme_commands()
    }
    assert {"train", "compare"} <= kinds
