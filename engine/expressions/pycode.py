"""Translate a checked template's Jinja syntax tree into one Python expression, with the same
sandbox rules Jinja's own code generator applies, for code that evaluates a whole mapping in one
function (engine/mapping/codegen.py).

Why: Jinja runs every template through a fresh Context (a copy of all globals), a generator and
the per-expression checks; a mapping of a hundred expressions then costs a hundred times that.
Translated, an expression is plain Python: ``order.billing.country`` becomes
``_ga(_ga(v_order, 'billing'), 'country')``.

The rules kept, exactly as the sandboxed code generator writes them:

* attribute and item access go through ``ENV.getattr`` / ``ENV.getitem`` (``_ga``/``_gi`` answer
  plain dict keys and list indexes themselves, which is what the sandbox would answer);
* every call goes through ``ENV.call`` (the safe-callable check, the str-method caps), except a
  call of an iex helper function by its global name, which ENV.call would pass straight through;
* every arithmetic operator goes through ``ENV.call_binop``/``call_unop`` (float refusal, caps);
* filters and tests are the environment's own (size-checked) functions, called as Jinja calls
  them;
* names resolve through the caller (mapping-local names, the context, globals), constants are
  written with ``repr`` and every generated identifier is iex's own, so no text from a template
  ever becomes Python syntax.

A node this module does not know raises ``Untranslatable``; the caller then evaluates that
template the ordinary way. Callers treat any exception raised by translated code as "ask the
ordinary path": it alone produces errors, so the two can never disagree on what a user sees.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.utils import _PassArg

from engine.expressions import limits
from engine.expressions.filters import display_text
from engine.expressions.runtime import check_result
from engine.expressions.sandbox import CONCAT, ENV
from engine.expressions.shortcuts import CONSTANT_TYPES, SHORTCUTS, Written, literal
from engine.helpers.countries import NAMES as COUNTRY_NAMES
from engine.helpers.money import PLAIN_AMOUNT

_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=",
            "in": "in", "notin": "not in"}
_CONTEXT = ENV.context_class(ENV, {}, None, {})   # what pass_context filters receive
_NATIVE_DECIMAL_OPS = frozenset({"+", "-", "*", "/"})
# str methods a filter of a text comes to, with the longest text whose result stays within the
# output cap (upper/lower can triple a text: "ΐ".upper() is three characters)
_STR_FILTERS = {"trim": ("strip", limits.MAX_OUTPUT), "upper": ("upper", limits.MAX_OUTPUT // 3),
                "lower": ("lower", limits.MAX_OUTPUT // 3)}
_ASKS_IF_MISSING = frozenset({"defined", "undefined", "default", "d"})


class Untranslatable(Exception):
    """The tree has a node the translator does not handle; evaluate it the ordinary way."""


_DICT_ATTRIBUTES = frozenset(dir(dict))


def _ga(obj: Any, attr: str) -> Any:
    """ENV.getattr, answered directly for a plain dict: its key, else (no dict method of that
    name) the Undefined the sandbox would give after failing both lookups."""
    if type(obj) is dict:
        if attr in obj:
            return obj[attr]
        if attr not in _DICT_ATTRIBUTES:
            return ENV.undefined(obj=obj, name=attr)
    return ENV.getattr(obj, attr)


def _gi(obj: Any, key: Any) -> Any:
    """ENV.getitem, answered directly for a dict key or a list index in range."""
    kind = type(obj)
    if kind is dict and type(key) is str:
        if key in obj:
            return obj[key]
        if key not in _DICT_ATTRIBUTES:
            return ENV.undefined(obj=obj, name=key)
    elif kind is list and type(key) is int and -len(obj) <= key < len(obj):
        return obj[key]
    return ENV.getitem(obj, key)


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    return ENV.call(_CONTEXT, function, *args, **kwargs)


def _undefined(name: str) -> Any:
    return ENV.undefined(name=name)


def _no_else(where: str) -> Any:
    return ENV.undefined(f"the inline if-expression on {where} evaluated to false and no else "
                         "section was defined.")


def _render(*parts: Any) -> str:
    """A mixed template's text: literal text as it stands, each value as display text, capped."""
    texts = [part if isinstance(part, _Text) else str(display_text(part)) for part in parts]
    if sum(len(t) for t in texts) > limits.MAX_OUTPUT:
        raise limits.LimitExceeded(f"output is larger than {limits.MAX_OUTPUT} characters")
    return "".join(texts)


class _Text(str):
    """Literal template text inside ``_render`` (never passed through display_text)."""


def _ref(value: Any) -> Any:
    """The value of a name/attribute chain: only a missing one is an error."""
    if isinstance(value, Undefined):
        raise _Fallback
    return value


def _ref_or_none(value: Any) -> Any:
    return None if isinstance(value, Undefined) else value


class _Fallback(Exception):
    """Raised by translated code where the ordinary path must produce the answer (or error)."""


RUNTIME: dict[str, Any] = {
    "_Undefined": Undefined, "_Decimal": Decimal, "_MONEY_PLAIN": PLAIN_AMOUNT.fullmatch, "_DECIMAL_OR_INT": frozenset({Decimal, int}),
    "_FINISHED": frozenset({int, bool, Decimal, type(None)}),
    "_CENT": Decimal("0.01"), "_HALF_UP": ROUND_HALF_UP, "_COUNTRY_NAMES": COUNTRY_NAMES,
    "_ga": _ga, "type": type, "dict": dict, "_gi": _gi, "_call": _call, "_undefined": _undefined, "_no_else": _no_else,
    "_render": _render, "_ref": _ref, "_ref_or_none": _ref_or_none,
    "_result": check_result,
    "_result_or_none": lambda value: check_result(value, True),
    "_binop": ENV.call_binop, "_unop": ENV.call_unop,
    "__builtins__": {"slice": slice, "len": len, "enumerate": enumerate, "isinstance": isinstance, "str": str,
                     "int": int,
                     "Exception": Exception,
                     "dict": dict, "list": list},
}


class Namespace:
    """The globals of one generated module: the runtime helpers plus the objects the code
    refers to (filters, tests, helper functions, literal text), each under a generated name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = dict(RUNTIME)
        self._names: dict[int, str] = {}
        self._counter = 0

    def name_for(self, obj: Any, prefix: str) -> str:
        existing = self._names.get(id(obj))
        if existing is not None:
            return existing
        name = self.fresh(prefix)
        self.values[name] = obj
        self._names[id(obj)] = name
        return name

    def fresh(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"


SCALAR, REFERENCE, COMPUTED = "scalar", "reference", "computed"
_SCALAR_NODES = (nodes.Const, nodes.Compare, nodes.Not, nodes.Test)


def result_kind(node: nodes.Node) -> str:
    """What finishing a single expression's value needs, decided from its tree (the same rule
    for the ordinary path and translated code):

    * SCALAR: a literal (``[]`` and ``{}`` included), a comparison, ``not``, a test or ``~``
      (always a plain, capped value);
    * REFERENCE: a name or an attribute/item/slice chain on one, or a choice (``if``/``and``/
      ``or``) among those and scalars: data already held, checked only for being missing;
    * COMPUTED: anything else, materialised and size-checked (``check_result``).
    """
    if isinstance(node, _SCALAR_NODES):
        return SCALAR
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) \
            and node.node.name == CONCAT and not node.kwargs and node.dyn_args is None:
        return SCALAR
    if isinstance(node, nodes.List | nodes.Tuple | nodes.Dict) and not node.items:
        return SCALAR
    if isinstance(node, nodes.Name):
        return REFERENCE
    if isinstance(node, nodes.Getattr | nodes.Getitem):     # part of held data, never bigger
        return REFERENCE if result_kind(node.node) == REFERENCE else COMPUTED
    if isinstance(node, nodes.And | nodes.Or | nodes.CondExpr):
        parts = [node.left, node.right] if isinstance(node, nodes.And | nodes.Or) \
            else [node.expr1, node.expr2]
        kinds = {result_kind(part) if part is not None else REFERENCE for part in parts}
        if kinds == {SCALAR}:
            return SCALAR
        return COMPUTED if COMPUTED in kinds else REFERENCE
    return COMPUTED


def is_plain_helper(obj: Any) -> bool:
    """A Python function ENV.call would call unchanged: no context argument, not marked unsafe."""
    return (inspect.isfunction(obj) and _PassArg.from_obj(obj) is None
            and ENV.is_safe_callable(obj))


class Translator:
    """Turns expression nodes into Python source. ``resolve(name)`` gives the source of a
    name's value (a local variable of the generated function, or a namespace entry)."""

    def __init__(self, namespace: Namespace, resolve: Callable[[str], str],
                 optimistic: bool = False, held: Callable[[str], bool] = lambda name: False) -> None:
        self.ns = namespace
        self.resolve = resolve
        # names whose value is held data, never Undefined (mapping-local values, checked when made)
        self.held = held
        # Optimistic code reads ``x.a`` as ``x['a']``: where that succeeds (a dict key, a list
        # index) it is what the sandbox answers; where it raises (a missing key, an object) the
        # caller runs the ordinary translation instead. ``guessed`` says if it made such a read.
        self.optimistic = optimistic
        self.guessed = False

    def result(self, node: nodes.Node, missing_ok: bool, output: str | None = None) -> str:
        """The value of a whole single-expression template, finished as the ordinary path
        finishes it (materialised, no Undefined inside, size-capped). ``output`` is the source
        of a function that makes the value plain output (``_leaf(@, b, d + 1)`` with ``@`` for
        the value): a value of a plain type needs neither step, so one check serves both."""
        optimistic = self.optimistic
        self.optimistic = optimistic and not missing_ok     # see _careful
        try:
            return self._result(node, missing_ok, output)
        finally:
            self.optimistic = optimistic

    def _result(self, node: nodes.Node, missing_ok: bool, output: str | None) -> str:
        kind = result_kind(node)
        if kind == SCALAR:
            return self.expr(node)
        value = self.ns.fresh("_v")
        if kind == REFERENCE:     # only a missing value needs the check
            source = self.expr(node)
            never_missing = self._never_missing(node)
            finish = value if never_missing else f"{'_ref_or_none' if missing_ok else '_ref'}({value})"
            if output is not None:
                return f"({value} if type({value} := {source}) in _PLAIN_TYPES else {output.replace('@', finish, 1)})"
            if never_missing:
                return source
            return f"({value} if not isinstance({value} := {source}, _Undefined) else {finish})"
        finish = f"{'_result_or_none' if missing_ok else '_result'}({value})"
        if output is not None:
            finish = output.replace("@", finish, 1)

        def wrap(source: str) -> str:
            return f"({value} if type({value} := {source}) in _FINISHED or type({value}) is str " \
                   f"and len({value}) <= {limits.MAX_OUTPUT} else {finish})"

        return self._finished(node, wrap)

    def _never_missing(self, node: nodes.Node) -> bool:
        """Whether the translated node can never give Undefined: a held name, a literal or test,
        an optimistic read (it raises instead), or a choice among those."""
        if isinstance(node, nodes.Name):
            return self.held(node.name)
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            return self.optimistic
        if isinstance(node, nodes.And | nodes.Or):
            return self._never_missing(node.left) and self._never_missing(node.right)
        if isinstance(node, nodes.CondExpr):
            return node.expr2 is not None and self._never_missing(node.expr1) and self._never_missing(node.expr2)
        return result_kind(node) == SCALAR

    def _finished(self, node: nodes.Node, wrap: Callable[[str], str]) -> str:
        """The node's value finished by ``wrap``, except where the translation knows the value
        is finished already (a helper's written-out call, a trim of a text, native arithmetic,
        a plain literal): there the common case pays nothing for finishing."""
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            return f"({self._finished(node.expr1, wrap)} if {self.expr(node.test)} " \
                   f"else {self._finished(node.expr2, wrap)})"
        if isinstance(node, nodes.Const) and type(node.value) in CONSTANT_TYPES \
                and (type(node.value) is not str or len(node.value) <= limits.MAX_OUTPUT):
            return self._Const(node)
        if result_kind(node) == SCALAR and not isinstance(node, nodes.List | nodes.Tuple | nodes.Dict):
            return self.expr(node)
        if isinstance(node, nodes.Call):
            return self._Call(node, wrap)
        if isinstance(node, nodes.Filter):
            return self._Filter(node, wrap)
        if isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.Div):
            return self._binary(node, wrap)
        if isinstance(node, nodes.Neg | nodes.Pos):
            return self._unary(node, wrap)
        return wrap(self.expr(node))

    def text(self, template: nodes.Template) -> str:
        """A mixed template (text with ``{{ }}`` parts) rendered to text."""
        parts: list[str] = []
        for output in template.body:
            if not isinstance(output, nodes.Output):
                raise Untranslatable(type(output).__name__)
            for child in output.nodes:
                if isinstance(child, nodes.TemplateData):
                    parts.append(self.ns.name_for(_Text(child.data), "T"))
                else:
                    parts.append(self.expr(child))
        return f"_render({', '.join(parts)})"

    def expr(self, node: nodes.Node) -> str:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Untranslatable(type(node).__name__)
        return method(node)

    # -- leaves ----------------------------------------------------------------------------------

    def _Const(self, node: nodes.Const) -> str:
        if type(node.value) not in CONSTANT_TYPES:
            raise Untranslatable(f"constant {type(node.value).__name__}")
        return repr(node.value)

    def _Name(self, node: nodes.Name) -> str:
        if node.ctx != "load":
            raise Untranslatable("name store")
        return self.resolve(node.name)

    # -- access ----------------------------------------------------------------------------------

    def _Getattr(self, node: nodes.Getattr) -> str:
        # inline for a plain dict (the sandbox answers a dict key the same way), else ENV.getattr
        obj = self.expr(node.node)
        if self.optimistic:
            self.guessed = True
            return f"{obj}[{node.attr!r}]"
        if obj.isidentifier():
            return f"({obj}[{node.attr!r}] if type({obj}) is dict and {node.attr!r} in {obj} " \
                   f"else _ga({obj}, {node.attr!r}))"
        temp = self.ns.fresh("_a")
        return f"({temp}[{node.attr!r}] if type({temp} := {obj}) is dict and {node.attr!r} in {temp} " \
               f"else _ga({temp}, {node.attr!r}))"

    def _Getitem(self, node: nodes.Getitem) -> str:
        if isinstance(node.arg, nodes.Slice):
            bounds = [self.expr(part) if part is not None else "None"
                      for part in (node.arg.start, node.arg.stop, node.arg.step)]
            key = f"slice({', '.join(bounds)})"
        else:
            key = self.expr(node.arg)
        if self.optimistic:
            self.guessed = True
            return f"{self.expr(node.node)}[{key}]"
        return f"_gi({self.expr(node.node)}, {key})"

    # -- calls, filters, tests -------------------------------------------------------------------

    def _arguments(self, node: nodes.Call | nodes.Filter | nodes.Test) -> list[str]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Untranslatable("*args")
        args = [self.expr(arg) for arg in node.args]
        if node.kwargs:
            pairs = ", ".join(f"{kw.key!r}: {self.expr(kw.value)}" for kw in node.kwargs)
            args.append(f"**{{{pairs}}}")
        return args

    def _Call(self, node: nodes.Call, wrap: Callable[[str], str] | None = None) -> str:
        """A call; with ``wrap`` (see _finished) its value finished."""
        args = self._arguments(node)
        if isinstance(node.node, nodes.Name):
            helper = ENV.globals.get(node.node.name)
            callee = self.resolve(node.node.name)
            if helper is not None and is_plain_helper(helper) and callee == self.ns.name_for(helper, "G"):
                if node.node.name == CONCAT and 1 < len(args) <= 4 and not node.kwargs:
                    return _wrapped(self._concat(callee, args), wrap)
                shortcut = SHORTCUTS.get(helper)
                if shortcut is not None and not node.kwargs:
                    return self._shortcut(shortcut, callee, args, wrap)
                return _wrapped(f"{callee}({', '.join(args)})", wrap)
        return _wrapped(f"_call({', '.join([self.expr(node.node), *args])})", wrap)

    def _shortcut(self, shortcut: Callable[[list[str]], Written | None], function: str,
                  args: list[str], wrap: Callable[[str], str] | None) -> str:
        """A helper call that, for its commonest arguments, is written out (see SHORTCUTS); a
        literal argument is used as it stands, so what it decides is decided here."""
        names = [arg if literal(arg)[0] else self.ns.fresh("_h") for arg in args]
        written = shortcut(names)
        if written is None:
            return _wrapped(f"{function}({', '.join(args)})", wrap)
        condition = written.condition
        if wrap is not None and written.finished:
            condition = f"{condition} and {written.finished}"
        bound = [f"({name} := {arg})" for name, arg in zip(names, args, strict=True) if name != arg]
        if bound:
            condition = f"({', '.join(bound)},) and {condition}"
        general = _wrapped(f"{function}({', '.join(names)})", wrap)
        return f"({written.value} if {condition} else {general})"

    def _concat(self, function: str, args: list[str]) -> str:
        """``a ~ b``: texts joined directly, anything else (or too long) through _iex_concat."""
        # a literal text part is used as it stands; only the others are named and checked
        parts = [arg if type(literal(arg)[1]) is str else self.ns.fresh("_c") for arg in args]
        named = [(part, arg) for part, arg in zip(parts, args, strict=True) if part != arg]
        if not named:
            return f"{function}({', '.join(args)})"
        bind = ", ".join(f"({part} := {arg})" for part, arg in named)
        texts = " and ".join(f"type({part}) is str" for part, _ in named)
        fixed = sum(len(literal(part)[1]) for part in parts if part in args)     # literal lengths, added up here
        total = " + ".join([*(f"len({part})" for part, _ in named), *([str(fixed)] if fixed else [])])
        return (f"({' + '.join(parts)} if ({bind},) and {texts} and {total} <= {limits.MAX_ITEMS} "
                f"else {function}({', '.join(parts)}))")

    def _Filter(self, node: nodes.Filter, wrap: Callable[[str], str] | None = None) -> str:
        """A filter; with ``wrap`` (see _finished) its value finished."""
        if node.node is None:
            raise Untranslatable("filter block")
        function = ENV.filters[node.name]
        method = _STR_FILTERS.get(node.name)
        if method is None or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            return _wrapped(self._apply(function, "F", node), wrap)
        # trim/upper/lower of a str within the size cap: what the size-checked filter returns
        name, longest = method
        value = self.ns.fresh("_s")
        arguments = ", ".join([*self._passed(function), value])
        general = _wrapped(f"{self.ns.name_for(function, 'F')}({arguments})", wrap)
        return (f"({value}.{name}() if type({value} := {self.expr(node.node)}) is str "
                f"and len({value}) <= {longest} else {general})")

    def _Test(self, node: nodes.Test) -> str:
        return self._apply(ENV.tests[node.name], "K", node)

    def _passed(self, function: Callable[..., Any]) -> list[str]:
        """What Jinja passes before the value: the context, eval context or environment."""
        return {_PassArg.context: [self.ns.name_for(_CONTEXT, "C")],
                _PassArg.eval_context: [self.ns.name_for(_CONTEXT.eval_ctx, "E")],
                _PassArg.environment: [self.ns.name_for(ENV, "ENV")]}.get(_PassArg.from_obj(function), [])

    def _apply(self, function: Callable[..., Any], prefix: str, node: nodes.Filter | nodes.Test) -> str:
        if node.name in _ASKS_IF_MISSING:
            value = self._careful(node.node)
        else:
            value = self.expr(node.node)
        args = [*self._passed(function), value, *self._arguments(node)]
        return f"{self.ns.name_for(function, prefix)}({', '.join(args)})"

    def _careful(self, node: nodes.Node) -> str:
        """``node`` translated so that a missing value is Undefined, not an exception: what
        ``is defined`` and ``default`` are asked about is expected to be missing at times."""
        optimistic, self.optimistic = self.optimistic, False
        try:
            return self.expr(node)
        finally:
            self.optimistic = optimistic

    # -- operators -------------------------------------------------------------------------------

    def _binary(self, node: nodes.BinExpr, wrap: Callable[[str], str] | None = None) -> str:
        """An operator; with ``wrap`` (see _finished) its value finished (a native result, a
        Decimal or int, is)."""
        left, right = self.expr(node.left), self.expr(node.right)
        if node.operator not in _NATIVE_DECIMAL_OPS:
            return _wrapped(f"_binop(None, {node.operator!r}, {left}, {right})", wrap)
        # numbers the sandbox's operator would treat exactly as Python does: Decimal with Decimal
        # or int; int with int for + and -, and for * within the integer size cap
        a, b = self.ns.fresh("_l"), self.ns.fresh("_r")
        decimal = (f"(type({a}) is _Decimal and type({b}) in _DECIMAL_OR_INT or "
                   f"type({b}) is _Decimal and type({a}) in _DECIMAL_OR_INT)")
        both_int = f"type({a}) is int and type({b}) is int"
        native = {"+": f"({decimal} or {both_int})", "-": f"({decimal} or {both_int})",
                  "*": f"({decimal} or {both_int} and {a}.bit_length() + {b}.bit_length() <= {limits.MAX_INT_BITS})",
                  "/": decimal}[node.operator]
        general = _wrapped(f"_binop(None, {node.operator!r}, {a}, {b})", wrap)
        return f"({a} {node.operator} {b} if (({a} := {left}), ({b} := {right})) and {native} else {general})"

    _Add = _Sub = _Mul = _Div = _FloorDiv = _Mod = _Pow = _binary

    def _unary(self, node: nodes.UnaryExpr, wrap: Callable[[str], str] | None = None) -> str:
        operand = self.expr(node.node)
        value = self.ns.fresh("_u")
        general = _wrapped(f"_unop(None, {node.operator!r}, {value})", wrap)
        return f"({node.operator}{value} if type({value} := {operand}) is _Decimal else {general})"

    _Neg = _Pos = _unary

    def _Not(self, node: nodes.Not) -> str:
        return f"(not {self.expr(node.node)})"

    def _And(self, node: nodes.And) -> str:
        return f"({self.expr(node.left)} and {self.expr(node.right)})"

    def _Or(self, node: nodes.Or) -> str:
        return f"({self.expr(node.left)} or {self.expr(node.right)})"

    def _Compare(self, node: nodes.Compare) -> str:
        parts = [self.expr(node.expr)]
        for operand in node.ops:
            parts.append(_COMPARE[operand.op])
            parts.append(self.expr(operand.expr))
        return f"({' '.join(parts)})"

    def _CondExpr(self, node: nodes.CondExpr) -> str:
        otherwise = self.expr(node.expr2) if node.expr2 is not None \
            else f"_no_else({f'line {node.lineno}'!r})"
        return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {otherwise})"

    # -- literals --------------------------------------------------------------------------------

    def _List(self, node: nodes.List) -> str:
        return f"[{', '.join(self.expr(item) for item in node.items)}]"

    def _Tuple(self, node: nodes.Tuple) -> str:
        if node.ctx != "load":
            raise Untranslatable("tuple store")
        items = [self.expr(item) for item in node.items]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"

    def _Dict(self, node: nodes.Dict) -> str:
        pairs = ", ".join(f"{self.expr(pair.key)}: {self.expr(pair.value)}" for pair in node.items)
        return f"{{{pairs}}}"


def _wrapped(source: str, wrap: Callable[[str], str] | None) -> str:
    return source if wrap is None else wrap(source)
