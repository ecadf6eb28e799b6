"""The filters templates may use: Jinja's set minus the risky ones, made Decimal-aware and
size-checked, plus the iex helpers.

Size rule: a filter that turns its input into new text or sorts/compares it checks the input's
size first (``limits.check_weight``); the list filters (``select``, ``map``, ...) are in
streams.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2 import pass_environment
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.utils import _PassArg

from engine.expressions import limits
from engine.expressions.limits import Refused
from engine.expressions.streams import FILTERS as STREAM_FILTERS
from engine.helpers import FILTERS as HELPER_FILTERS
from engine.helpers.general import to_int, to_str
from engine.helpers.jsontext import dumps as json_dumps

FLOAT_MESSAGE = "floats are not allowed for money; use money(...)"

_REMOVED = {"float", "filesizeformat", "pprint", "random", "urlize", "xmlattr"}
# Filters that neither copy their input into new text nor compare all of it.
_UNCHECKED = {"default", "d", "length", "count", "first", "last", "attr", "list", "items",
              "reverse", "abs"}
_WIDTHS = {"center", "indent", "wordwrap", "truncate", "batch", "slice"}
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})


def display_text(value: Any) -> Any:
    """How a value shows in text (``{{ }}`` in a mixed template, ``~``): None is empty text
    (never the word "None" on an invoice), a Decimal has no exponent, floats are refused."""
    if value is None:
        return ""
    if isinstance(value, float):
        raise Refused(FLOAT_MESSAGE)
    if isinstance(value, Decimal):
        return to_str(value)
    if isinstance(value, str):
        return value
    limits.check_weight(value, "output")
    return str(value)


def check_str_method(text: str, name: str, args: tuple, kwargs: dict) -> None:
    """Size checks for the str methods that can make a much bigger string."""
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
        if not isinstance(items, list | tuple):
            raise Refused("str.join() needs a list; use the join filter")
        limits.check_length(limits.weight(items, limits.MAX_ITEMS) + len(text) * len(items), "join()")


def _value_index(fn: Callable[..., Any]) -> int:
    return 1 if _PassArg.from_obj(fn) is not None else 0


def _size_checked(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    index = _value_index(fn)

    what = f"the {name} filter's input"

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        if len(args) > index:
            limits.check_weight(args[index], what)
        return fn(*args, **kwargs)

    return checked


def _width_capped(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    index = _value_index(fn)

    @functools.wraps(fn)
    def capped(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        for arg in (*args[index + 1:], *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool):
                limits.check_length(arg, f"the {name} filter")
        if len(args) > index:
            limits.check_weight(args[index], f"the {name} filter's input")
        return fn(*args, **kwargs)

    return capped


def _round(value: Any, precision: int = 0, method: str = "common") -> Decimal:
    """Jinja's round on Decimals: common = half up (Danish practice), ceil, floor."""
    from engine.helpers.money import money

    modes = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}
    if method not in modes:
        raise Refused("round method must be common, ceil or floor")
    return money(value).quantize(Decimal(1).scaleb(-int(precision)), rounding=modes[method])


@pass_environment
def _join(environment: Any, value: Any, d: str = "", attribute: str | None = None) -> str:
    items = []
    total = 0
    for item in value:
        if attribute is not None:
            item = environment.getattr(item, attribute)
        text = display_text(item)
        total += len(text) + len(str(d))
        if total > limits.MAX_OUTPUT:
            raise limits.LimitExceeded(f"join would be larger than {limits.MAX_OUTPUT} characters")
        items.append(text)
    return str(d).join(items)


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text = display_text(value)
    extra = (count,) if count is not None else ()
    check_str_method(text, "replace", (str(old), str(new), *extra), {})
    return text.replace(str(old), str(new), -1 if count is None else count)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    text = display_text(value)
    arguments = kwargs or args
    limits.check_percent_format(text, arguments)
    limits.check_weight(arguments, "format")
    result = text % arguments
    limits.check_length(len(result), "format")
    return result


def _tojson(value: Any, indent: int | None = None) -> str:
    limits.check_weight(value, "tojson")
    if indent is not None:
        limits.check_output(_indented_json_length(value, int(indent)), "tojson")
    return json_dumps(value, indent=indent)


def _indented_json_length(value: Any, indent: int) -> int:
    """Length of ``value`` as indented JSON, counted without building it: every item and every
    closing bracket of a non-empty container gets a newline plus ``indent`` spaces per level."""
    total = len(json_dumps(value))
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        children = list(item.values()) if isinstance(item, dict) else item if isinstance(item, list | tuple) else ()
        if not children:
            continue
        limits.tick()
        inner = 1 + max(indent, 0) * (level + 1)
        total += len(children) * (inner + (1 if isinstance(item, dict) else 0)) + inner - max(indent, 0)
        if total > limits.MAX_OUTPUT:
            return total
        stack.extend((child, level + 1) for child in children)
    return total


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's indent, with its output (every line gets the indentation) checked before it is
    built; a text width counts by its length."""
    text = display_text(value)
    indentation = len(width) if isinstance(width, str) else max(int(width), 0)
    lines = len((text + "\n").splitlines())
    limits.check_output(len(text) + lines * (indentation + 1), "the indent filter")
    return JINJA_FILTERS["indent"](text, width, first, blank)


@pass_environment
def _wordwrap(environment: Any, value: Any, width: int = 79, break_long_words: bool = True,
              wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
    """Jinja's wordwrap, with the wrapstring counted once per possible line break (at most one
    per space, hyphen or ``width`` characters) before the text is built."""
    text = display_text(value)
    joint = environment.newline_sequence if wrapstring is None else str(wrapstring)
    breaks = sum(1 for char in text if char.isspace() or char == "-") + len(text) // max(int(width), 1)
    limits.check_output(len(text) + breaks * len(joint), "the wordwrap filter")
    return JINJA_FILTERS["wordwrap"](environment, text, width, break_long_words, joint, break_on_hyphens)


@pass_environment
def _truncate(environment: Any, value: Any, length: int = 255, killwords: bool = False,
              end: str = "...", leeway: int | None = None) -> str:
    """Jinja's truncate, saying what is wrong where Jinja only asserts."""
    if length < len(end):
        raise Refused(f"truncate: end is longer than length ({len(end)} > {length})")
    if leeway is not None and leeway < 0:
        raise Refused("truncate: leeway must not be negative")
    return JINJA_FILTERS["truncate"](environment, display_text(value), length, killwords, end, leeway)


def _sync(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's synchronous variant of a filter: the async wrapper only asks, on every call,
    whether the environment is async (it never is here)."""
    if getattr(fn, "jinja_async_variant", False):
        return getattr(jinja_filters, f"sync_do_{name}", fn)
    return fn


def make_filters() -> dict[str, Callable[..., Any]]:
    filters: dict[str, Callable[..., Any]] = {}
    for name, fn in JINJA_FILTERS.items():
        if name in _REMOVED:
            continue
        fn = _sync(name, fn)
        if name in STREAM_FILTERS:
            filters[name] = STREAM_FILTERS[name]
        elif name in _WIDTHS:
            filters[name] = _width_capped(name, fn)
        elif name in _UNCHECKED:
            filters[name] = fn
        else:
            filters[name] = _size_checked(name, fn)
    filters.update(round=_round, int=to_int, join=_join, replace=_replace, format=_format,
                   string=display_text, tojson=_tojson, indent=_width_capped("indent", _indent),
                   wordwrap=_width_capped("wordwrap", _wordwrap),
                   truncate=_width_capped("truncate", _truncate))
    filters.update(HELPER_FILTERS)
    return filters
