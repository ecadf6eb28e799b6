"""The one process-wide Jinja environment: sandboxed, immutable, StrictUndefined, no statements,
Decimal arithmetic, and capped sizes and time.

Defence in depth: only technicians write templates, but a template must still not be able to
reach Python internals, exhaust memory or spin forever. Attribute access to ``_`` names is refused
by the sandbox; methods of builtin values are limited to an allow-list; every operation that can
make something big (``*``, ``**``, ``+``, ``%``, ``format``, padding, ``replace``, ``join``) is
checked *before* it runs; every intercepted operation checks the evaluation deadline.
"""

from __future__ import annotations

import datetime as dt
import operator
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS

from engine.expressions import limits
from engine.expressions.filters import (
    FLOAT_MESSAGE,
    check_str_method,
    display_text,
    make_filters,
)
from engine.expressions.limits import LimitExceeded, Refused
from engine.helpers import GLOBALS as HELPER_GLOBALS
from engine.helpers.dates import format_date

# Methods templates may call on builtin values. Anything else (``to_bytes``, ``expandtabs``,
# ``mro``...) is refused; the sizes of the amplifying ones are checked in ``call``.
_ALLOWED_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        ["capitalize", "casefold", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill"]
    ),
    dict: frozenset({"get", "keys", "values", "items"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    Decimal: frozenset({"quantize", "normalize", "copy_abs", "is_zero", "is_signed", "adjusted",
                        "to_integral_value"}),
    int: frozenset(),
    bool: frozenset(),
    dt.date: frozenset({"isoformat", "weekday", "isoweekday", "strftime"}),
    dt.datetime: frozenset({"isoformat", "weekday", "isoweekday", "strftime", "date"}),
}


def _refuse_float(*values: Any) -> None:
    if any(isinstance(v, float) for v in values):
        raise Refused(FLOAT_MESSAGE)


def _multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            limits.check_length(len(seq) * max(count, 0), "repetition")
    if isinstance(left, int) and isinstance(right, int) \
            and left.bit_length() + right.bit_length() > limits.MAX_INT_BITS:
        raise LimitExceeded(f"multiplication would be an integer larger than {limits.MAX_INT_BITS} bits")
    return left * right


def _power(base: Any, exponent: Any) -> Any:
    if isinstance(base, int) and isinstance(exponent, int) and not isinstance(base, bool):
        if exponent < 0:
            return Decimal(base) ** exponent
        if abs(base) > 1 and exponent * max(abs(base).bit_length() - 1, 1) > limits.MAX_INT_BITS:
            raise LimitExceeded(f"power would be an integer larger than {limits.MAX_INT_BITS} bits")
    return base**exponent


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
        limits.check_length(len(left) + len(right), "concatenation")
    return left + right


def _divide(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        return Decimal(left) / Decimal(right)  # 7 / 2 is Decimal 3.5, never float 3.5
    return left / right


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        limits.check_percent_format(left, right)
        limits.check_weight(right, "% formatting")
        result = left % right
        limits.check_length(len(result), "% formatting")
        return result
    return left % right


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": operator.sub,
    "*": _multiply,
    "/": _divide,
    "//": operator.floordiv,
    "%": _modulo,
    "**": _power,
}


class IexSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with iex's caps. Use the module-level ``ENV``."""

    intercepted_binops = frozenset(_BINOPS)
    intercepted_unops = frozenset({"-", "+"})

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        limits.tick()
        if isinstance(left, float) or isinstance(right, float):
            raise Refused(FLOAT_MESSAGE)
        return _BINOPS[operator_](left, right)

    def call_unop(self, context: Any, operator_: str, arg: Any) -> Any:
        limits.tick()
        _refuse_float(arg)
        return super().call_unop(context, operator_, arg)

    def getattr(self, obj: Any, attribute: str) -> Any:
        limits.tick()
        # A record field wins over a dict method: record.items is the field "items" if present.
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        limits.tick()
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if callable(value):
            # Methods only from the allow-list of builtin values: nothing on other objects (a
            # Secret's reveal(), a connector, a state store) is callable from a template.
            for kind in type(obj).__mro__:
                if kind in _ALLOWED_METHODS:
                    return attr in _ALLOWED_METHODS[kind]
            return False
        return True

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            limits.tick()
            limits.check_weight([args, kwargs], "format()")
            for _literal, _field, spec, _conv in string.Formatter().parse(template):
                if spec:
                    limits.check_format_spec(spec, "format()")
            result = wrapped(*args, **kwargs)
            limits.check_length(len(result), "format()")
            return result

        return checked

    def call(self, __context: Any, __obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        limits.tick()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            check_str_method(owner, name, args, kwargs)
        elif isinstance(owner, dt.date) and name == "strftime":
            return format_date(owner, *args, **kwargs)  # same directive allow-list, no widths
        return super().call(__context, __obj, *args, **kwargs)


def _dec(text: str) -> Decimal:
    """Number literals with a fraction (``0.25``) become Decimal; the compiler inserts calls."""
    return Decimal(text)


def _concat(*parts: Any) -> str:
    """``a ~ b``: Jinja would call str() on each part unchecked; here each is sized first."""
    texts = [part if type(part) is str else display_text(part) for part in parts]
    limits.check_length(sum(map(len, texts)), "~ concatenation")
    return "".join(texts)


DECIMAL_LITERAL = "_iex_dec"
CONCAT = "_iex_concat"


def make_environment() -> IexSandbox:
    env = IexSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        optimized=False,          # no constant folding at compile time: every operation is checked
        finalize=display_text,
        keep_trailing_newline=True,
        cache_size=0,             # iex caches compiled templates itself, by source text
    )
    env.globals.clear()
    env.globals.update(HELPER_GLOBALS)
    env.globals[DECIMAL_LITERAL] = _dec
    env.globals[CONCAT] = _concat
    env.filters = make_filters()
    env.tests = dict(JINJA_TESTS)
    return env


ENV = make_environment()
