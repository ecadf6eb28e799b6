"""Caps that keep one template from eating the machine: sizes of what amplifying operations
produce, format widths, integer sizes, and an evaluation deadline.

The deadline lives in a ContextVar so parallel evaluations (threads, async tasks) each have
their own. It is checked in every operation the sandbox intercepts (calls, attribute and item
access, arithmetic); a single operation that could run long on its own (``2**10**9``) is refused
before it starts by the size checks below.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

MAX_ITEMS = 100_000          # characters of a string / items of a list made by *, +, %, join, ...
MAX_OUTPUT = 1_000_000       # characters a template may render, weight of a value turned to text
MAX_INT_BITS = 4096          # integers made by * and ** (about 1200 digits)
MAX_FORMAT_WIDTH = 100       # width / precision in "%10s" and "{:10}"
MAX_SOURCE = 20_000          # characters of one template
MAX_NESTING = 40             # brackets nested inside one template
MAX_DEPTH = 100              # levels of lists/dicts in a value (as yamlpos caps a document)
EVAL_SECONDS = 1.0           # time one evaluation may take

_deadline: ContextVar[float] = ContextVar("iex_expression_deadline", default=float("inf"))


class Refused(Exception):
    """The sandbox refused an operation (a float in arithmetic, a disallowed method). The message
    says what was refused and what to do instead."""


class LimitExceeded(Refused):
    """A cap was hit. The message says which cap and what to do instead."""


def start_clock() -> Any:
    """Start the deadline for one evaluation; returns the token for ``stop_clock``."""
    return _deadline.set(time.monotonic() + EVAL_SECONDS)


def stop_clock(token: Any) -> None:
    _deadline.reset(token)


_ticks = 0
TICKS_PER_CLOCK_READ = 32


def tick() -> None:
    """Called from every intercepted operation; reads the clock every TICKS_PER_CLOCK_READ
    calls (each operation between two reads is itself bounded by the size caps)."""
    global _ticks
    _ticks += 1
    if _ticks % TICKS_PER_CLOCK_READ == 0 and time.monotonic() > _deadline.get():
        raise LimitExceeded(f"evaluation took longer than {EVAL_SECONDS:g} s")


def check_length(length: int, what: str) -> None:
    if length > MAX_ITEMS:
        raise LimitExceeded(f"{what} would have {length} items or characters (limit {MAX_ITEMS})")


def weight(value: Any, limit: int = MAX_OUTPUT) -> int:
    """Roughly how many characters ``value`` becomes as text; stops counting past ``limit`` so
    the cost is bounded even for lists that repeat the same big item many times."""
    return _walk(value, limit, max_depth=None)


def check_weight(value: Any, what: str) -> None:
    if (len(value) if type(value) is str else weight(value)) > MAX_OUTPUT:
        raise LimitExceeded(f"{what} would be larger than {MAX_OUTPUT} characters")


def check_value(value: Any) -> None:
    """The native value of an expression goes on as data (a request body, the mapping output),
    so it gets the caps rendered text gets: MAX_OUTPUT characters' weight (100 k references to
    one big string are cheap to hold but not to send) and MAX_DEPTH levels (deeper data would
    exhaust the stack of whatever walks it next)."""
    if _walk(value, MAX_OUTPUT, max_depth=MAX_DEPTH) > MAX_OUTPUT:
        raise LimitExceeded(f"the value would be larger than {MAX_OUTPUT} characters")


def _walk(value: Any, limit: int, max_depth: int | None) -> int:
    """Weight of ``value`` (see ``weight``), iteratively; refuses nesting below ``max_depth``."""
    total = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if max_depth is not None and depth > max_depth:
            raise LimitExceeded(f"the value nests deeper than {max_depth} levels")
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 + len(item)
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item)
            stack.extend((child, depth + 1) for child in item)
        else:
            total += 8
        if total > limit:
            return total
    return total


def check_output(length: int, what: str) -> None:
    """For filters whose output is much bigger than their input (indent, wordwrap, tojson):
    the output's length, computed before it is built."""
    if length > MAX_OUTPUT:
        raise LimitExceeded(f"{what} would be larger than {MAX_OUTPUT} characters")


_NUMBERS = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?([-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?)[hlL]?([a-zA-Z%])")


def check_format_spec(spec: str, what: str) -> None:
    """Refuse widths and precisions above MAX_FORMAT_WIDTH, and nested or ``*`` widths."""
    if "{" in spec or "*" in spec:
        raise LimitExceeded(f"{what}: computed widths are not allowed")
    for number in _NUMBERS.findall(spec):
        if len(number) > 4 or int(number) > MAX_FORMAT_WIDTH:
            raise LimitExceeded(f"{what}: width {number} is above the limit of {MAX_FORMAT_WIDTH}")


def check_percent_format(template: str, args: Any) -> None:
    """Checks for ``"%10s" % x``: widths, and no float conversions of amounts (``%f`` turns a
    Decimal into a float and rounds it wrongly; use round_money or ``'{:.2f}'.format(x)``)."""
    values = args if isinstance(args, tuple) else tuple(args.values()) if isinstance(args, dict) else (args,)
    for flags, conversion in _PERCENT_SPEC.findall(template):
        check_format_spec(flags, "% formatting")
        if conversion in "eEfFgGdiu" and any(isinstance(v, Decimal | float) for v in values):
            raise LimitExceeded(
                f"'%{conversion}' turns amounts into floats; use round_money(x) or '{{:.2f}}'.format(x)"
            )
