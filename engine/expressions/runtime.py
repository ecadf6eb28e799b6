"""Running compiled templates: deadline, Decimal context, and errors that say what went wrong
in which expression, never a raw traceback."""

from __future__ import annotations

import decimal
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError

from engine.errors import DataError, IexError, IexSystemError
from engine.expressions import limits
from engine.expressions.limits import Refused
from engine.secrets import mask

Path = tuple[Any, ...]
_SCALARS = frozenset({str, int, bool, decimal.Decimal, type(None)})

# Decimal arithmetic in templates: 28 significant digits; errors trap instead of giving NaN.
DECIMAL_CONTEXT = decimal.Context(
    prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def run_expression(template: Any, context: Mapping[str, Any], source: str, paths: tuple[Path, ...],
                   field_path: str | None, missing_ok: bool = False, kind: str = "computed") -> Any:
    """Evaluate a single-expression template and return its native value, finished as its
    ``kind`` says (pycode.result_kind): a scalar as it is, a reference to data the engine already
    holds only checked for being missing, anything computed by ``check_result``."""
    token = limits.start_clock()
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            ctx = template.new_context(context if isinstance(context, dict) else dict(context))
            for _ in template.root_render_func(ctx):
                pass
            result = ctx.vars["result"]
            if kind == "scalar" or (kind == "reference" and not isinstance(result, Undefined)):
                return result
            return check_result(result, missing_ok)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a located iex error
        raise _translate(exc, source, context, paths, field_path) from None
    finally:
        limits.stop_clock(token)


def check_result(result: Any, missing_ok: bool = False) -> Any:
    """The value of a computed expression as it may go on: a list instead of a generator, no
    missing value anywhere inside (None for a missing one with ``missing_ok``), within the caps."""
    kind = type(result)
    if kind in _SCALARS:                       # the common case, checked the same way as below
        if kind is str and len(result) > limits.MAX_OUTPUT:
            limits.check_value(result)
        return result
    if missing_ok and isinstance(result, Undefined):
        return None
    result = _materialize(result)
    _reject_undefined(result)
    limits.check_value(result)
    return result


def run_template(template: Any, context: Mapping[str, Any], source: str, paths: tuple[Path, ...],
                 field_path: str | None) -> str:
    """Render a mixed template to text, within the output cap."""
    token = limits.start_clock()
    try:
        with decimal.localcontext(DECIMAL_CONTEXT):
            ctx = template.new_context(context if isinstance(context, dict) else dict(context))
            size = 0
            parts = []
            for part in template.root_render_func(ctx):
                size += len(part)
                if size > limits.MAX_OUTPUT:
                    raise limits.LimitExceeded(f"output is larger than {limits.MAX_OUTPUT} characters")
                parts.append(part)
            return "".join(parts)
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc, source, context, paths, field_path) from None
    finally:
        limits.stop_clock(token)


def _materialize(value: Any) -> Any:
    """map/select/reject give generators, dict.items() a view; the value of an expression is a
    list instead."""
    if isinstance(value, Iterator | KeysView | ValuesView | ItemsView):
        items = []
        for item in value:
            items.append(item)
            limits.check_length(len(items), "list")
        return items
    return value


def _reject_undefined(value: Any, budget: int = 10_000) -> None:
    """A missing name inside a list or dict result (``[record.x]``) must fail like a bare one."""
    stack = [value]
    while stack and budget > 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, Undefined):
            item._fail_with_undefined_error()
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _translate(exc: BaseException, source: str, context: Mapping[str, Any],
               paths: tuple[Path, ...], field_path: str | None) -> IexError:
    where = f"in {_short(source, 120)}"
    if isinstance(exc, SecurityError | Refused):
        return IexSystemError(f"refused {where}: {_reason(exc)}", field_path=field_path,
                              details={"expression": source})
    if isinstance(exc, UndefinedError):
        missing = find_undefined(context, paths)
        text = f"{missing} {where}" if missing else f"undefined value {where}: {_reason(exc)}"
        return DataError(text, field_path=field_path, details={"expression": source})
    if isinstance(exc, IexError):
        return type(exc)(f"{exc.message} ({where})", field_path=field_path or exc.field_path,
                         details={**exc.details, "expression": source})
    if isinstance(exc, RecursionError | MemoryError):
        return IexSystemError(f"refused {where}: the expression is too complex",
                              field_path=field_path, details={"expression": source})
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return DataError(f"division by zero {where}", field_path=field_path,
                         details={"expression": source})
    if isinstance(exc, ArithmeticError | TypeError | ValueError | LookupError | AttributeError
                  | TemplateError):
        return DataError(f"cannot evaluate {where}: {_reason(exc)}", field_path=field_path,
                         details={"expression": source})
    return IexSystemError(f"unexpected {type(exc).__name__} {where}", field_path=field_path,
                          details={"expression": source})


_MISSING = object()


def find_undefined(context: Mapping[str, Any], paths: tuple[Path, ...]) -> str | None:
    """Name the first path the context cannot resolve: "record.billing.company is undefined"."""
    from engine.expressions.sandbox import ENV

    for path in paths:
        value = context.get(path[0], ENV.globals.get(path[0], _MISSING))
        name = str(path[0])
        if value is _MISSING:
            return f"{name} is undefined"
        for part in path[1:]:
            parent, parent_name = value, name
            name += f"[{part}]" if isinstance(part, int) else f".{part}"
            value = _step(value, part)
            if value is _MISSING:
                note = f" ({parent_name} is None)" if parent is None else ""
                return f"{name} is undefined{note}"
    return None


def _step(value: Any, part: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(part, _MISSING) if part in value else _MISSING
    if isinstance(value, list | tuple) and isinstance(part, int):
        return value[part] if -len(value) <= part < len(value) else _MISSING
    if isinstance(part, str) and not part.startswith("_") and value is not None:
        return getattr(value, part, _MISSING)
    return _MISSING


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return mask(_short(text, 200))


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."
