"""A pickle interpreter for the few opcodes ``torch.save`` writes, and no more.

Part of the restricted reader of :mod:`tf_style.vgg._torch_pickle`. CPython's
unpickler trusts the numbers in a pickle, so hostile bytes never reach :mod:`pickle`:
:class:`_PickleMachine` decodes opcodes with :func:`pickletools.genops` and builds
only what a dict of tensors needs.
"""

from __future__ import annotations

import collections
import io
import pickletools
from collections.abc import Callable, Iterator
from typing import Any

from tf_style.vgg._torch_tensors import (
    MAX_PICKLE_BYTES,
    TorchFileError,
    _rebuild_tensor_v2,
)


class _PickleMachine:
    """Runs one pickle's opcodes on a stack, with marks and a memo, as pickle does.

    Only the opcodes Python's pickler writes for a dict of tensors (protocols 2 to 4)
    are known: dicts with string keys, lists, tuples, strings, numbers, globals from
    ``find_global``, calls of what it returns, and persistent ids. Everything else,
    BUILD and NEWOBJ included, is refused, so no object changes after it was made.
    """

    def __init__(
        self,
        find_global: Callable[[str, str], Any] | None = None,
        persistent_load: Callable[[Any], Any] | None = None,
    ):
        self.find_global = find_global
        self.persistent_load = persistent_load

    def load(self, data: bytes, start: int) -> tuple[Any, int]:
        """The object pickled at ``data[start]``, and the offset where it ends."""
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        window = data[start : start + MAX_PICKLE_BYTES]
        for name, arg, position in _opcodes(window, start):
            if name == "STOP":
                if len(self.stack) != 1 or self.marks:
                    raise TorchFileError(f"the pickle at byte {start} ends unbalanced")
                return self.stack[0], start + position + 1
            handler = _HANDLERS.get(name)
            if handler is None:
                raise TorchFileError(
                    f"pickle opcode {name} at byte {start + position} is not one "
                    "torch.save writes"
                )
            handler(self, arg)
        raise TorchFileError(f"the pickle at byte {start} has no end")  # unreachable

    def pop(self, count: int) -> list[Any]:
        floor = self.marks[-1] if self.marks else 0
        if len(self.stack) - floor < count:
            raise TorchFileError("a pickle pops more than it pushed")
        items = self.stack[len(self.stack) - count :]
        del self.stack[len(self.stack) - count :]
        return items

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise TorchFileError("a pickle pops to a mark it never set")
        return self.pop(len(self.stack) - self.marks.pop())

    def top(self, kind: type) -> Any:
        if not self.stack or not isinstance(self.stack[-1], kind):
            raise TorchFileError(
                f"a pickle adds items to something not a {kind.__name__}"
            )
        return self.stack[-1]

    def append(self, items: list[Any]) -> None:
        self.top(list).extend(items)

    def set_items(self, items: list[Any]) -> None:
        target = self.top(dict)
        if len(items) % 2:
            raise TorchFileError("a pickle sets a dict key without its value")
        for key, value in zip(items[::2], items[1::2], strict=True):
            if not isinstance(key, str):  # hashing anything else could recurse
                raise TorchFileError(
                    f"a dict key must be a string, not {type(key).__name__}"
                )
            target[key] = value

    def put(self, index: int) -> None:
        if not self.stack:
            raise TorchFileError("a pickle memoises from an empty stack")
        self.memo[index] = self.stack[-1]

    def get(self, index: int) -> None:
        if index not in self.memo:
            raise TorchFileError(f"a pickle refers to memo entry {index}, never made")
        self.stack.append(self.memo[index])

    def global_(self, module: Any, name: Any) -> None:
        if not (isinstance(module, str) and isinstance(name, str)):
            raise TorchFileError("a pickle global whose name is not a string")
        if self.find_global is None:
            raise TorchFileError(f"refusing to load global {module:.80}.{name:.80}")
        self.stack.append(self.find_global(module, name))

    def reduce(self) -> None:
        function, args = self.pop(2)
        if not isinstance(args, tuple):
            raise TorchFileError(
                f"a call's arguments must be a tuple, not {type(args).__name__}"
            )
        if function is _rebuild_tensor_v2:
            self.stack.append(_rebuild_tensor_v2(*args))
        elif function is collections.OrderedDict and not args:
            self.stack.append(collections.OrderedDict())  # a tensor's backward hooks
        else:
            raise TorchFileError(
                f"a pickle calls {type(function).__name__}, not a tensor"
            )

    def persistent_id(self) -> None:
        (pid,) = self.pop(1)
        if self.persistent_load is None:
            raise TorchFileError("a persistent id where none belongs")
        self.stack.append(self.persistent_load(pid))


def _opcodes(window: bytes, start: int) -> Iterator[tuple[str, Any, int]]:
    """``(name, decoded argument, position in window)`` of each opcode of a pickle
    starting at byte ``start`` of the file; a malformed opcode is an error.

    pickletools reads each argument from an in-memory stream, so a length field
    (a frame, a string) gets at most the bytes that are there, never an allocation
    of what it announces.
    """
    stream = io.BytesIO(window)
    opcodes = pickletools.genops(stream)
    while True:
        _refuse_escapes(window, stream.tell(), start)
        try:
            opcode, arg, position = next(opcodes)
        except ValueError as error:  # unknown opcode, short argument, no STOP
            raise TorchFileError(
                f"malformed pickle at byte {start + stream.tell()}: {error!s:.200}"
            ) from None
        yield opcode.name, arg, position


# Opcodes whose argument is lines of text (GLOBAL, INST, STRING, PERSID) -> how many.
# pickletools unescapes those lines with codecs.escape_decode, which pickle does not
# do for names, and which warns (an error where warnings are) on a bad escape.
_TEXT_LINES = {
    op.code.encode("latin-1"): 2 if op.arg is pickletools.stringnl_noescape_pair else 1
    for op in pickletools.opcodes
    if op.arg
    in (
        pickletools.stringnl,
        pickletools.stringnl_noescape,
        pickletools.stringnl_noescape_pair,
    )
}


def _refuse_escapes(window: bytes, position: int, start: int) -> None:
    """A backslash in the text argument of the opcode at ``position`` is refused."""
    end = position
    for _ in range(_TEXT_LINES.get(window[position : position + 1], 0)):
        end = window.find(b"\n", end + 1)
        if end < 0:
            end = len(window)  # no newline: pickletools will say so
            break
    if window.find(b"\\", position, end) >= 0:
        raise TorchFileError(
            f"a backslash in a pickle's text at byte {start + position}"
        )


def _push(value: Any) -> Callable[[_PickleMachine, Any], None]:
    return lambda machine, _arg: machine.stack.append(value)


def _push_new(kind: type) -> Callable[[_PickleMachine, Any], None]:
    return lambda machine, _arg: machine.stack.append(kind())


def _push_tuple(count: int) -> Callable[[_PickleMachine, Any], None]:
    return lambda machine, _arg: machine.stack.append(tuple(machine.pop(count)))


_VALUE_OPCODES = (  # pickletools decodes the argument to the very value pickled
    "BININT BININT1 BININT2 LONG1 LONG4 BINFLOAT BINUNICODE SHORT_BINUNICODE "
    "BINUNICODE8"
).split()
_HANDLERS: dict[str, Callable[[_PickleMachine, Any], None]] = {
    **{name: lambda m, arg: m.stack.append(arg) for name in _VALUE_OPCODES},
    "NONE": _push(None),
    "NEWTRUE": _push(True),
    "NEWFALSE": _push(False),
    "EMPTY_DICT": _push_new(dict),
    "EMPTY_LIST": _push_new(list),
    "EMPTY_TUPLE": _push(()),
    "TUPLE1": _push_tuple(1),
    "TUPLE2": _push_tuple(2),
    "TUPLE3": _push_tuple(3),
    "MARK": lambda m, _: m.marks.append(len(m.stack)),
    "TUPLE": lambda m, _: m.stack.append(tuple(m.pop_mark())),
    "APPEND": lambda m, _: m.append(m.pop(1)),
    "APPENDS": lambda m, _: m.append(m.pop_mark()),
    "SETITEM": lambda m, _: m.set_items(m.pop(2)),
    "SETITEMS": lambda m, _: m.set_items(m.pop_mark()),
    "BINPUT": _PickleMachine.put,
    "LONG_BINPUT": _PickleMachine.put,
    "MEMOIZE": lambda m, _: m.put(len(m.memo)),
    "BINGET": _PickleMachine.get,
    "LONG_BINGET": _PickleMachine.get,
    "GLOBAL": lambda m, arg: m.global_(*arg.split(" ", 1)),
    "STACK_GLOBAL": lambda m, _: m.global_(*m.pop(2)),
    "REDUCE": lambda m, _: m.reduce(),
    "BINPERSID": lambda m, _: m.persistent_id(),
    "PROTO": lambda m, _: None,
    "FRAME": lambda m, _: None,  # framing only groups the opcodes that follow
}
