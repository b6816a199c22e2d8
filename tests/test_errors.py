"""One-line error text."""

from tf_style.errors import one_line


def test_multi_line_messages_are_folded_and_long_ones_cut():
    assert one_line(ValueError("first\n  second\tthird")) == "first second third"
    long = one_line(RuntimeError("x" * 500), max_length=50)
    assert len(long) == 50 and long.endswith("...")


def test_an_empty_message_names_the_exception_type():
    assert one_line(KeyError()) == "KeyError"


def test_tensorflow_style_message_attribute_is_preferred():
    error = RuntimeError("full text with a\ntraceback")
    error.message = "the message"
    assert one_line(error) == "the message"
