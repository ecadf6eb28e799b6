"""The list filters ``select``, ``reject``, ``selectattr``, ``rejectattr`` and ``map``, as Jinja
defines them, without Jinja's per-item indirection.

Jinja looks the test up by name and re-dispatches it for every item (``call_test``), and reads
attributes through two layers of closures. Mappings use these filters on every record
(``order.meta_data | selectattr('key', 'equalto', ...)``), so here the test is looked up once per
call and a plain dict item is read directly (what the sandbox's ``getitem`` answers for a dict
key). Everything else is Jinja's behaviour: lazy generators, nothing done for an empty input,
``default=`` for missing attributes, dotted and numeric attribute paths, an unknown test failing
at the first item.

Deadline and size: every item checks the evaluation deadline. The select family and
``map(attribute=...)`` only pass on (parts of) items they were given, so nothing grows; ``map``
through another filter can make each item bigger, so its stream is bounded by the output cap.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.exceptions import FilterArgumentError
from jinja2.filters import _prepare_attribute_parts
from jinja2.utils import _PassArg

from engine.expressions import limits


@functools.lru_cache(maxsize=1024)
def _parts(attribute: Any) -> tuple[Any, ...]:
    return tuple(_prepare_attribute_parts(attribute))


@functools.lru_cache(maxsize=1024)
def _pass_arg(function: Callable[..., Any]) -> Any:
    return _PassArg.from_obj(function)


def _getter(environment: Any, attribute: Any, default: Any = None) -> Callable[[Any], Any]:
    """jinja2.filters.make_attrgetter, with a direct read of a dict key."""
    parts = _parts(attribute) if isinstance(attribute, str | int) else _prepare_attribute_parts(attribute)
    getitem = environment.getitem
    if len(parts) == 1 and isinstance(parts[0], str) and default is None:
        part = parts[0]
        return lambda item: item[part] if type(item) is dict and part in item else getitem(item, part)

    def get(item: Any) -> Any:
        for step in parts:
            item = getitem(item, step)
            if default is not None and isinstance(item, Undefined):
                item = default
        return item

    return get


def _tester(context: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[Any], Any]:
    """The test named by ``args[0]`` with its arguments, looked up once (bool without one)."""
    if not args:
        return bool
    name, rest = args[0], args[1:]
    environment = context.environment
    test = environment.tests.get(name) if isinstance(name, str) else None
    if test is None:        # Jinja's own error, at the first item as Jinja gives it
        return lambda item: environment.call_test(name, item, rest, kwargs, context)
    pass_arg = _pass_arg(test)
    if pass_arg is None:
        if not rest and not kwargs:
            return test
        return lambda item: test(item, *rest, **kwargs)
    passed = (context if pass_arg is _PassArg.context else context.eval_ctx
              if pass_arg is _PassArg.eval_context else environment)
    return lambda item: test(passed, item, *rest, **kwargs)


def _select(context: Any, value: Iterable[Any], args: tuple[Any, ...], kwargs: dict[str, Any],
            keep: bool, by_attribute: bool) -> Iterator[Any]:
    if not value:
        return
    if by_attribute:
        if not args:
            raise FilterArgumentError("Missing parameter for attribute name")
        get = _getter(context.environment, args[0])
        args = args[1:]
    else:
        get = None
    test = _tester(context, args, kwargs)
    for item in value:
        limits.tick()
        if bool(test(get(item) if get is not None else item)) is keep:
            yield item


def _selecting(keep: bool, by_attribute: bool) -> Callable[..., Iterator[Any]]:
    """select (keep, by item), reject, selectattr (keep, by attribute) or rejectattr."""
    @pass_context
    def selecting(context: Any, value: Iterable[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
        return _select(context, value, args, kwargs, keep, by_attribute)

    return selecting


@pass_context
def map_items(context: Any, value: Iterable[Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
    """``map(attribute='x', default=...)`` or ``map('filter', *args)``."""
    if not value:
        return iter(())
    if not args and "attribute" in kwargs:
        options = dict(kwargs)
        attribute = options.pop("attribute")
        default = options.pop("default", None)
        if options:
            raise FilterArgumentError(f"Unexpected keyword argument {next(iter(options))!r}")
        return _ticking(map(_getter(context.environment, attribute, default), value))
    if not args:
        raise FilterArgumentError("map requires a filter argument")
    name, rest = args[0], args[1:]
    environment = context.environment
    return _bounded((environment.call_filter(name, item, rest, kwargs, context=context)
                     for item in value), "map")


def _ticking(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        limits.tick()
        yield item


def _bounded(items: Iterable[Any], name: str) -> Iterator[Any]:
    total = 0
    for item in items:
        limits.tick()
        total += limits.weight(item)
        if total > limits.MAX_OUTPUT:
            raise limits.LimitExceeded(f"the {name} filter would produce more than "
                                       f"{limits.MAX_OUTPUT} characters")
        yield item


FILTERS = {"select": _selecting(True, False), "reject": _selecting(False, False),
           "selectattr": _selecting(True, True), "rejectattr": _selecting(False, True), "map": map_items}
