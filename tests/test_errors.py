"""One-line error text."""

from tf_style.errors import CAUSE_LENGTH, cause, one_line


def test_multi_line_messages_are_folded_and_long_ones_cut():
    assert one_line(ValueError("first\n  second\tthird")) == "first second third"
    long = one_line(RuntimeError("x" * 500), max_length=50)
    assert len(long) == 50 and long.endswith("...")


def test_a_message_of_ours_is_kept_whole_where_asked():
    text = "what failed. " + "how to fix it " * 40
    assert one_line(RuntimeError(text), max_length=None) == text.strip()


def test_a_quoted_cause_is_named_and_cut_before_the_fix_after_it():
    quoted = cause(OSError("proxy said:\n" + "y" * 1000))
    assert quoted.startswith("OSError: proxy said: yyy")
    assert len(quoted) == len("OSError: ") + CAUSE_LENGTH and quoted.endswith("...")


def test_an_empty_message_names_the_exception_type():
    assert one_line(KeyError()) == "KeyError"


def test_tensorflow_style_message_attribute_is_preferred():
    error = RuntimeError("full text with a\ntraceback")
    error.message = "the message"
    assert one_line(error) == "the message"


def test_a_reduced_decode_note_is_one_line_on_stderr(monkeypatch, capsys):
    import warnings

    from tf_style.commands.cli import notes_as_lines
    from tf_style.images.decode import ReducedDecodeWarning

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    notes_as_lines("tf-style-train")
    notes_as_lines("tf-style-train")  # twice: still one line
    warnings.showwarning(
        ReducedDecodeWarning("big.jpg: decoded at 1/2"), ReducedDecodeWarning, "x.py", 1
    )
    assert capsys.readouterr().err == "tf-style-train: note: big.jpg: decoded at 1/2\n"


def test_the_commands_log_only_the_librarys_own_records(capsys):
    """CI once saw twenty matplotlib ``findfont`` lines (its font cache was rebuilt)
    around a command's one-line error, because the command logged every library's
    warnings. Now only ``tf_style``'s records are said, each once however often a
    command starts in the process."""
    import logging

    from tf_style.quiet import log_to_stderr

    log_to_stderr("tf-style-train")
    log_to_stderr("tf-style-compare")  # twice: one handler, the last program's name
    logging.getLogger("matplotlib.font_manager").warning("findfont: not found")
    logging.getLogger("tf_style.vgg.weights").warning("weights from the cache")
    logging.getLogger("tf_style.fast").info("below the warning level")
    assert capsys.readouterr().err == "tf-style-compare: weights from the cache\n"
