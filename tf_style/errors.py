"""Error text shared by the library and the commands.

TensorFlow's and Pillow's messages can span many lines; a report cell, a failure list
or a command's stderr wants one. tf_style's own messages end with how to fix what
went wrong, so where one quotes another library's text, the quote is what gets cut
(``one_line(cause, max_length=CAUSE_LENGTH)``), never the fix after it.
"""

from __future__ import annotations

MAX_LENGTH = 300
# Another library's message quoted inside one of ours (a download's or a loader's
# reason): enough to tell the causes apart, short enough to leave room for the fix.
CAUSE_LENGTH = 200


def one_line(error: BaseException, *, max_length: int | None = MAX_LENGTH) -> str:
    """``error``'s message folded onto one line, cut at ``max_length`` characters
    (None: never cut, for a message of ours whose fix comes last).

    TensorFlow's ``OpError`` keeps its text in ``message``; an empty message gives
    the exception's type name.
    """
    message = getattr(error, "message", None) or str(error)
    text = " ".join(message.split()) or type(error).__name__
    if max_length is None or len(text) <= max_length:
        return text
    return text[: max_length - 3] + "..."


def cause(error: BaseException) -> str:
    """``TypeName: message`` of another library's error, on one line and cut at
    :data:`CAUSE_LENGTH`, to quote inside a message that goes on to its fix."""
    return f"{type(error).__name__}: {one_line(error, max_length=CAUSE_LENGTH)}"


__all__ = ["CAUSE_LENGTH", "MAX_LENGTH", "cause", "one_line"]
