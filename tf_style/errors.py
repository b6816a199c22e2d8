"""Error text shared by the library and the commands.

TensorFlow's and Pillow's messages can span many lines; a report cell, a failure list
or a command's stderr wants one.
"""

from __future__ import annotations

MAX_LENGTH = 300


def one_line(error: BaseException, *, max_length: int = MAX_LENGTH) -> str:
    """``error``'s message folded onto one line, cut at ``max_length`` characters.

    TensorFlow's ``OpError`` keeps its text in ``message``; an empty message gives
    the exception's type name.
    """
    message = getattr(error, "message", None) or str(error)
    text = " ".join(message.split()) or type(error).__name__
    return text if len(text) <= max_length else text[: max_length - 3] + "..."


__all__ = ["one_line"]
