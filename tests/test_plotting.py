"""Side-by-side figures and the numbers printed under them."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest

from tests.conftest import random_image
from tf_style.evaluation.metrics import QualityScores
from tf_style.evaluation.report import caption, number
from tf_style.plotting import (
    Panel,
    plot_losses,
    save_figure,
    side_by_side,
    wrap_reason,
)


def test_figure_with_a_missing_panel_is_written_as_png(tmp_path):
    panels = [
        Panel("content", random_image(32, 48), "style 1\ncontent 0"),
        Panel("fast model", None, "offline: give a local copy"),
    ]
    path = save_figure(side_by_side(panels, title="t"), tmp_path / "f.png")
    with PIL.Image.open(path) as image:
        assert image.format == "PNG" and image.width > image.height
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_a_long_reason_is_cut_and_says_where_the_rest_is():
    text = wrap_reason("word " * 400, max_lines=5)
    assert text.count("\n") == 4 and "full reason in the JSON" in text


def test_side_by_side_needs_a_panel():
    with pytest.raises(ValueError, match="at least one panel"):
        side_by_side([])


@pytest.mark.parametrize(
    "value, shown",
    [(0.0, "0"), (12.345678, "12.35"), (2.15e5, "2.15e5"), (3.57e8, "3.57e8")],
)
def test_numbers_keep_three_or_four_significant_digits(value, shown):
    scores = QualityScores(style=value, content=0, variation=0, total=value)
    assert number(scores, "style") == shown
    assert number(None, "style") == "–"


def test_caption_lists_timings_then_every_measure():
    scores = QualityScores(style=1.0, content=2.0, variation=3.0, total=6.0)
    lines = caption(scores, 0.5, 2.25).splitlines()
    assert [line.split()[0] for line in lines] == [
        "load",
        "stylise",
        "style",
        "content",
        "variation",
        "total",
    ]
    assert lines[1].split()[1] == "2.25"


def test_plot_losses_draws_each_term_on_a_log_scale():
    history = {"total": [4.0, 2.0, 1.0], "style": [3.0, 1.5, 0.5], "content": [0, 1, 1]}
    figure = plot_losses(history, title="run")
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    assert [line.get_label() for line in axes.get_lines()] == [
        "total",
        "style",
        "content",
    ]
    content = axes.get_lines()[2].get_ydata()
    assert np.isnan(content[0]) and list(content[1:]) == [1, 1]  # zero hidden on log
