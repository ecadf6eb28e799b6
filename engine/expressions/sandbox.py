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
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import StrictUndefined, pass_environment
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS

from engine.expressions import limits
from engine.expressions.limits import LimitExceeded, Refused
from engine.helpers import FILTERS as HELPER_FILTERS
from engine.helpers import GLOBALS as HELPER_GLOBALS
from engine.helpers.general import to_int, to_str
from engine.helpers.jsontext import dumps as json_dumps

FLOAT_MESSAGE = "floats are not allowed for money; use money(...)"

# Methods templates may call on builtin values. Anything else (``to_bytes``, ``expandtabs``,
# ``mro``...) is refused; the sizes of the amplifying ones are checked in ``call``.
_ALLOWED_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        "capitalize casefold center count endswith find format index isalnum isalpha isascii "
        "isdecimal isdigit islower isnumeric isspace istitle isupper join ljust lower lstrip "
        "partition removeprefix removesuffix replace rfind rindex rjust rpartition rsplit rstrip "
        "split splitlines startswith strip swapcase title upper zfill".split()
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
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})


def _refuse_float(*values: Any) -> None:
    if any(isinstance(v, float) for v in values):
        raise Refused(FLOAT_MESSAGE)


def _multiply(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int):
            limits.check_length(len(seq) * max(count, 0), "repetition")
    if isinstance(left, int) and isinstance(right, int):
        limits.check_int(1 << min(left.bit_length() + right.bit_length(), limits.MAX_INT_BITS + 1),
                         "multiplication")
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
        _refuse_float(left, right)
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
        import string

        def checked(*args: Any, **kwargs: Any) -> str:
            limits.tick()
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
            _check_str_method(owner, name, args, kwargs)
        elif isinstance(owner, dt.date) and name == "strftime":
            from engine.helpers.dates import format_date

            return format_date(owner, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _check_str_method(text: str, name: str, args: tuple, kwargs: dict) -> None:
    if name in _PADDING:
        width = args[0] if args else kwargs.get("width", 0)
        if isinstance(width, int):
            limits.check_length(width, f"{name}()")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        hits = len(text) + 1 if old == "" else text.count(old)
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            hits = min(hits, args[2])
        limits.check_length(len(text) + hits * max(len(new) - len(old), 0), "replace()")
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, list | tuple):
            limits.check_length(limits.weight(items, limits.MAX_ITEMS) + len(text) * len(items), "join()")


# ---- filters: Jinja's set minus the risky ones, plus Decimal-aware replacements and helpers ----

def _round(value: Any, precision: int = 0, method: str = "common") -> Decimal:
    """Jinja's round on Decimals: common = half up (Danish practice), ceil, floor."""
    from engine.helpers.money import money

    modes = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}
    if method not in modes:
        raise Refused("round method must be common, ceil or floor")
    return money(value).quantize(Decimal(1).scaleb(-int(precision)), rounding=modes[method])


@pass_environment
def _join(environment: Any, value: Any, d: str = "", attribute: str | None = None) -> str:
    items = list(value)
    if attribute is not None:
        items = [environment.getattr(item, attribute) for item in items]
    limits.check_weight(items, "join")
    limits.check_length(len(str(d)) * len(items), "join separator")
    return str(d).join(_text(item) for item in items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    _check_str_method(text, "replace", (str(old), str(new)) + ((count,) if count is not None else ()), {})
    return text.replace(str(old), str(new), -1 if count is None else count)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    return _modulo(str(value), kwargs or args)


def _text(value: Any) -> str:
    """str() with the output cap; Decimals as written, never in exponent form surprises."""
    if isinstance(value, str):
        return value
    limits.check_weight(value, "text")
    return str(value)


def _width_capped(fn: Callable[..., Any]) -> Callable[..., Any]:
    def capped(value: Any, *args: Any, **kwargs: Any) -> Any:
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool):
                limits.check_length(arg, fn.__name__.removeprefix("do_"))
        limits.check_weight(value, fn.__name__.removeprefix("do_"))
        return fn(value, *args, **kwargs)

    capped.__name__ = fn.__name__
    return capped


def _tojson(value: Any, indent: int | None = None) -> str:
    limits.check_weight(value, "tojson")
    return json_dumps(value, indent=indent)


_REMOVED_FILTERS = {"float", "filesizeformat", "pprint", "random", "urlize", "xmlattr", "tojson"}


def _filters() -> dict[str, Any]:
    filters = {k: v for k, v in JINJA_FILTERS.items() if k not in _REMOVED_FILTERS}
    for name in ("center", "indent", "wordwrap", "truncate", "batch", "slice"):
        filters[name] = _width_capped(JINJA_FILTERS[name])
    filters.update(
        round=_round, int=to_int, join=_join, replace=_replace, format=_format,
        string=_text, tojson=_tojson,
    )
    filters.update(HELPER_FILTERS)
    return filters


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` in a mixed template passes here before it becomes text: None is empty
    text (never the word "None" on an invoice), a Decimal is written without exponent."""
    if value is None:
        return ""
    if isinstance(value, float):
        raise Refused(FLOAT_MESSAGE)
    if isinstance(value, Decimal):
        return to_str(value)
    if not isinstance(value, str):
        limits.check_weight(value, "output")
    return value


def _dec(text: str) -> Decimal:
    """Number literals with a fraction (``0.25``) become Decimal; the compiler inserts calls."""
    return Decimal(text)


DECIMAL_LITERAL = "_iex_dec"


def make_environment() -> IexSandbox:
    env = IexSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        optimized=False,          # no constant folding at compile time: every operation is checked
        finalize=_finalize,
        keep_trailing_newline=True,
        cache_size=0,             # iex caches compiled templates itself, by source text
    )
    env.globals.clear()
    env.globals.update(HELPER_GLOBALS)
    env.globals[DECIMAL_LITERAL] = _dec
    env.filters = _filters()
    env.tests = dict(JINJA_TESTS)
    return env


ENV = make_environment()
