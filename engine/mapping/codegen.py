"""Compile a mapping's node tree into one Python function, the way Jinja compiles a template.

The node tree (nodes.py) stays the reference: it evaluates one template at a time and produces
every error with its field path. The generated function does the same work as straight-line
Python (mapping-local names are local variables, a used file is a function called with its
``$with`` values, each template is translated by engine/expressions/pycode.py). Errors always
come from the tree's own code, so what a user sees never depends on which path ran:

* a template that raises is evaluated once more through its ``Compiled`` object, with the names
  and field path the tree would give it; that raises the located error (``Explained``);
* anything else that raises (a selector, the output check), or a template whose second
  evaluation unexpectedly succeeds, makes ``Mapping.evaluate`` evaluate the record through the
  tree.

A template the translator does not handle is evaluated through its ``Compiled`` object with a
names dict built as the tree would build it, so one exotic template never slows a whole mapping.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from jinja2 import nodes as jinja

from engine.expressions import Compiled, Selector, limits
from engine.expressions.pycode import (
    SCALAR,
    Namespace,
    Translator,
    Untranslatable,
    literal,
    result_kind,
)
from engine.expressions.sandbox import ENV
from engine.expressions.selector_source import SelectorSource
from engine.expressions.selectors import selector_functions
from engine.mapping import generated_runtime as runtime
from engine.mapping.nodes import (
    OMIT,
    PLAIN_TYPES,
    ChoiceNode,
    EachNode,
    Fallback,
    ListNode,
    Mapping,
    Node,
    ObjectNode,
    UseNode,
    ValueNode,
)

Function = Callable[[dict[str, Any]], Any]
GLOBAL_NAMES = frozenset(ENV.globals)


_GENERATED: dict[Any, Function | None] = {}
_MAX_GENERATED = 512


def generate(mapping: Mapping) -> Function | None:
    """The mapping as one function ``f(context, path, depth, budget) -> dict``, or None if it
    cannot be generated (the tree then does all the work). The same file loaded again (each run
    loads its recipe) reuses the function made for its first load."""
    key = _shape(mapping)
    if key not in _GENERATED:
        if len(_GENERATED) >= _MAX_GENERATED:
            _GENERATED.clear()
        _GENERATED[key] = _generate(mapping)
    return _GENERATED[key]


def _shape(item: Any) -> Any:
    """Everything generated code depends on, as a hashable value: node kinds, names, template
    and selector texts (compiling a text always gives the same template), literals, files."""
    if isinstance(item, Mapping):
        return ("file", item.origin, tuple((name, _shape(node)) for name, node in item.variables),
                _shape(item.fields))
    if isinstance(item, Compiled):
        return ("template", item.source) if item.is_template \
            else ("literal", type(item.source).__name__, repr(item.source))
    if isinstance(item, Selector):
        return ("selector", item.source)
    if isinstance(item, list | tuple):
        return tuple(_shape(part) for part in item)
    if isinstance(item, Node):
        return (type(item).__name__, *(_shape(value) for value in vars(item).values()))
    return item


def _generate(mapping: Mapping) -> Function | None:
    module = _Module()
    try:
        entry = module.function(mapping, (), output=True, top=True)
        source = "\n".join(module.lines)
        with warnings.catch_warnings():      # 'text'['key'] in optimistic code is fine: it raises
            warnings.simplefilter("ignore", SyntaxWarning)
            code = compile(source, f"<mapping {mapping.origin}>", "exec")
    except (Untranslatable, SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    exec(code, module.ns.values)  # noqa: S102 - iex's own generated code, see module docstring
    return module.ns.values[entry]


class _Scope:
    """Names visible at one point of the generated code, as the tree's ``Scope.names`` would
    hold them: the root context, then each binding in order (a later one wins)."""

    def __init__(self, bindings: tuple[tuple[str, str], ...] = ()) -> None:
        self.bindings = bindings

    def bind(self, name: str, local: str | tuple[tuple[str, str], ...]) -> _Scope:
        return _Scope((*self.bindings, (name, local)))

    def local(self, name: str) -> str | None:
        for bound, local in reversed(self.bindings):
            if bound == name:
                return _source(local)
        return None

    def names_dict(self) -> str:
        """Source of the names dict the tree would pass to a template or selector here."""
        pairs = "".join(f", {name!r}: {_source(local)}" for name, local in self._latest().items())
        return f"{{**ctx{pairs}}}"

    def names_spec(self) -> tuple[tuple[str, Any], ...]:
        """The same as data, for ``_explain`` to build from the function's locals()."""
        return tuple(self._latest().items())

    def _latest(self) -> dict[str, Any]:
        latest: dict[str, Any] = {}
        for name, local in self.bindings:    # a name bound again keeps its place, new value
            latest[name] = local
        return latest


def _source(local: str | tuple[tuple[str, str], ...]) -> str:
    """A binding's value as source: a local, or (``vars``) a dict of locals."""
    if isinstance(local, tuple):
        return f"{{{', '.join(f'{name!r}: {var}' for name, var in local)}}}"
    return local


class _Module:
    """The generated source: one function per (mapping, ``$with`` names) pair."""

    def __init__(self) -> None:
        self.ns = Namespace()
        self.ns.values.update(OMIT=OMIT, _each_list=runtime.each_list, _var=runtime.var,
                              _explain=runtime.explain, _leaf=runtime.leaf, locals=locals,
                              _PLAIN_TYPES=PLAIN_TYPES, Fallback=Fallback, MAX_DEPTH=limits.MAX_DEPTH)
        self.lines: list[str] = []
        self._functions: dict[tuple[int, tuple[str, ...], bool], str] = {}

    def function(self, mapping: Mapping, with_names: tuple[str, ...], output: bool, top: bool = False) -> str:
        """The function ``m(ctx, path, *with_values)`` giving a used file's fields as a value
        (a var, a ``$with``), or ``m(ctx, path, d, b, *with_values)`` giving them as part of
        the output, already as ``plain`` makes output: ``d`` is the output depth of the
        result, ``b`` the remaining output budget (counted down, checked at the end).
        ``path`` is the field path of the place that uses the file, for errors."""
        key = (id(mapping), with_names, output)
        if key in self._functions:
            return self._functions[key]
        name = self.ns.fresh("m")
        self._functions[key] = name
        body = _Body(self, self.ns.name_for(mapping.origin, "O"))
        params = [body.local(f"w_{n}") for n in with_names]
        scope = _Scope(tuple(zip(with_names, params, strict=True)))
        computed: list[tuple[str, str]] = []
        for var_name, node in mapping.variables:
            local = body.local(f"v_{var_name}")
            value = body.node(node, scope, _Path.static(f"vars.{var_name}"), None, into=local)
            if value != local:
                body.emit(f"{local} = {_as_var(value, node)}")
            computed.append((var_name, local))
            # ``vars`` is a dict of the vars so far, built where it is read
            scope = scope.bind(var_name, local).bind("vars", tuple(computed))
        # the top fields ignore $when, as the tree does
        result = body.produce(mapping.fields, scope, _Path.static("") if top else _Path("path"),
                              1 if output else None)
        body.emit(f"return {result}")
        output_params = ", d, b" if output else ""
        self.lines.append(f"def {name}(ctx, path{output_params}{''.join(', ' + p for p in params)}):")
        if output:
            self.lines.append(f"    if d + {body.max_depth - 1} > MAX_DEPTH:")
            self.lines.append("        raise Fallback")
        for root, local in body.roots.items():
            self.lines.append(f"    {local} = ctx[{root!r}] if {root!r} in ctx else _undefined({root!r})")
        self.lines.extend(body.lines)
        return name


class _Path:
    """A field path while generating: the source of an expression giving it as cheap data,
    text or nested pairs (parent, field name or list index), made into text by
    ``generated_runtime.path_text`` only when something fails: ``((path, 'lines'), i_7)``."""

    def __init__(self, source: str) -> None:
        self.source = source

    @classmethod
    def static(cls, text: str) -> _Path:
        return cls(repr(text))

    def field(self, name: str) -> _Path:
        return _Path(f"({self.source}, {name!r})")

    def index(self, index: str) -> _Path:
        return _Path(f"({self.source}, {index})")


class _Body:
    """Statements of one generated function. ``node``/``produce`` emit the statements that
    compute a node and return the source of its value (a local or a literal)."""

    def __init__(self, module: _Module, origin: str) -> None:
        self.module = module
        self.origin = origin                # namespace name of the mapping file's name
        self.lines: list[str] = []
        self.indent = 1
        self.roots: dict[str, str] = {}     # context names read, loaded once at the start
        self.max_depth = 1                  # deepest output container this function builds

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)

    def local(self, hint: str) -> str:
        return self.module.ns.fresh(f"{''.join(c for c in hint if c.isalnum() or c == '_')[:20]}_")

    # -- templates -------------------------------------------------------------------------------

    def template(self, compiled: Compiled, scope: _Scope, path: str, missing_ok: bool = False,
                 value: bool = True, output: str | None = None, into: str | None = None) -> str:
        """Emit the evaluation of one template; ``path`` is the source of its field path (a
        value's errors name it or nothing, a ``$when``'s name it as it is, as in the tree).
        Returns the source of the value: ``into`` (a local to assign), a literal or a local."""
        if not compiled.is_template:
            return self.module.ns.name_for(compiled.source, "L") \
                if not isinstance(compiled.source, str | int | bool | type(None)) else repr(compiled.source)
        tree = compiled.tree
        if isinstance(tree, jinja.Name) and not missing_ok and scope.local(tree.name) is not None:
            return scope.local(tree.name)       # a mapping-local value, checked when it was made
        holder = self.module.ns.name_for(compiled, "X")
        try:
            ordinary = self._translate(compiled, scope, missing_ok, False, output)
            optimistic = self._translate(compiled, scope, missing_ok, True, output)
        except Untranslatable:
            ordinary = f"{holder}.evaluate({scope.names_dict()}, missing_ok={missing_ok})"
            if output is not None:
                ordinary = output.replace("@", ordinary, 1)
            optimistic = ""
        result = into or self.local("t")
        spec = self.module.ns.name_for(scope.names_spec(), "N")
        explain = f"_explain({holder}, ctx, locals(), {spec}, {path}, {value}, {missing_ok}, {self.origin})"
        self.emit("try:")
        self.emit(f"    {result} = {optimistic or ordinary}")
        self.emit("except Exception:")
        if optimistic:
            self.emit("    try:")
            self.emit(f"        {result} = {ordinary}")
            self.emit("    except Exception:")
            self.emit(f"        {explain}")
        else:
            self.emit(f"    {explain}")
        return result

    def _translate(self, compiled: Compiled, scope: _Scope, missing_ok: bool, optimistic: bool,
                   output: str | None) -> str:
        """The template as Python (made plain output with ``output``, see Translator.result);
        with ``optimistic``, "" when that would be the same code."""
        translator = Translator(self.module.ns, lambda name: self.resolve(name, scope), optimistic,
                                held=lambda name: scope.local(name) is not None)
        if isinstance(compiled.tree, jinja.Template):
            source = translator.text(compiled.tree)        # text: plain already
        else:
            source = translator.result(compiled.tree, missing_ok, output)
        return "" if optimistic and not translator.guessed else source

    def resolve(self, name: str, scope: _Scope) -> str:
        local = scope.local(name)
        if local is not None:
            return local
        if name in GLOBAL_NAMES:         # Mapping.evaluate makes sure the context never shadows one
            return self.module.ns.name_for(ENV.globals[name], "G")
        if name not in self.roots:
            self.roots[name] = self.local(f"c_{name}")
        return self.roots[name]

    # -- nodes -----------------------------------------------------------------------------------

    # Each method takes ``out``: the output depth of the value it produces inside this
    # function's result (1 = the result itself), or None where the value is not output (a var,
    # a ``$with``): output values are made plain (``_leaf``) and counted against the budget.

    def node(self, node: Node, scope: _Scope, path: _Path, out: int | None, into: str | None = None) -> str:
        """A node's value (OMIT when its $when is false), as Node.run computes it; a value
        computed here is assigned to ``into`` if given."""
        if node.when is None:
            return self.produce(node, scope, path, out, into)
        result = self.local("when")
        self.emit(f"if {self.template(node.when, scope, path.source, value=False)}:")
        self.indent += 1
        self.emit(f"{result} = {self.produce(node, scope, path, out)}")
        self.indent -= 1
        self.emit("else:")
        self.emit(f"    {result} = OMIT")
        return result

    def produce(self, node: Node, scope: _Scope, path: _Path, out: int | None, into: str | None = None) -> str:
        if out is not None:
            self.max_depth = max(self.max_depth, out)
        if isinstance(node, ValueNode):
            if out is None or _is_plain_scalar(node.value):
                return self.template(node.value, scope, path.source, node.missing_ok, into=into)
            leaf = f"_leaf(@, b, d + {out - 1})"
            if not node.value.is_template or (isinstance(node.value.tree, jinja.Name)
                                              and scope.local(node.value.tree.name) is not None):
                value = self.template(node.value, scope, path.source, node.missing_ok)
                return f"({value} if type({value}) in _PLAIN_TYPES else {leaf.replace('@', value, 1)})"
            return self.template(node.value, scope, path.source, node.missing_ok, output=leaf)
        if isinstance(node, ObjectNode):
            return self._object(node.fields, scope, path, out)
        if isinstance(node, ListNode):
            return self._list(node.items, scope, path, out)
        if isinstance(node, EachNode):
            return self._each(node, scope, path, out)
        if isinstance(node, ChoiceNode):
            return self._choice(node, scope, path, out)
        if isinstance(node, UseNode):
            return self._use(node, scope, path, out)
        raise Untranslatable(type(node).__name__)

    def _count(self, values: int, out: int | None) -> None:
        if out is not None and values:
            self.emit(f"b[0] -= {values}")

    def _object(self, fields: list[tuple[str, Node]], scope: _Scope, path: _Path, out: int | None,
                into: str | None = None) -> str:
        result = into or self.local("obj")
        if into is None:
            self.emit(f"{result} = {{}}")
        self._count(sum(not _counts_itself(child) for _, child in fields) + (into is None), out)
        inner = out + 1 if out is not None else None
        for name, child in fields:
            self._put(f"{result}[{name!r}] = {{}}", child, scope, path.field(name), inner)
        return result

    def _list(self, items: list[Node], scope: _Scope, path: _Path, out: int | None) -> str:
        result = self.local("list")
        self.emit(f"{result} = []")
        self._count(sum(not _counts_itself(child) for child in items) + 1, out)
        inner = out + 1 if out is not None else None
        for index, child in enumerate(items):
            self._put(f"{result}.append({{}})", child, scope, path.index(str(index)), inner)
        return result

    def _put(self, statement: str, child: Node, scope: _Scope, path: _Path, out: int | None) -> None:
        """Put the child's value into the result (``statement`` with ``{}`` for it), unless its
        $when is false or it gave OMIT: the same as Node.run, without OMIT in between."""
        if child.when is not None:
            self.emit(f"if {self.template(child.when, scope, path.source, value=False)}:")
            self.indent += 1
        value = self.produce(child, scope, path, out)
        if isinstance(child, ChoiceNode) and _choice_may_omit(child):
            self.emit(f"if {value} is not OMIT:")
            self.emit("    " + statement.format(value))
        else:
            self.emit(statement.format(value))
        if child.when is not None:
            self.indent -= 1

    def _each(self, node: EachNode, scope: _Scope, path: _Path, out: int | None) -> str:
        result, items, count, index, item = (self.local(h) for h in ("each", "items", "count", "i", node.name))
        self.emit(f"{result} = []")
        self.emit(f"{items} = _each_list({self._selection(node.selector, scope)})")
        self.emit(f"{count} = len({items})")
        self._count(1, out)
        self.emit(f"for {index}, {item} in enumerate({items}):")
        self.indent += 1
        inner = scope.bind(node.name, item)
        if _reads(node.body, "loop"):       # else no template here can see it: not built
            loop = self.local("loop")
            self.emit(f"{loop} = {{'index0': {index}, 'index': {index} + 1, 'first': {index} == 0, "
                      f"'last': {index} == {count} - 1, 'length': {count}}}")
            inner = inner.bind("loop", loop)
        if not _counts_itself(node.body):
            self._count(1, out)
        self._put(f"{result}.append({{}})", node.body, inner, path.index(index), out + 1 if out is not None else None)
        self.indent -= 1
        return result

    def _selection(self, selector: Selector, scope: _Scope) -> str:
        """A ``$each`` selector as Python reading the locals, else through the Selector."""
        def root_name(name: str) -> str:
            return scope.local(name) or f"ctx.get({name!r})"

        try:
            return SelectorSource(self.module.ns, selector_functions(), root_name, scope.names_dict) \
                .source(selector.parsed)
        except (Untranslatable, RecursionError):
            return f"{self.module.ns.name_for(selector, 'S')}.search({scope.names_dict()})"

    def _choice(self, node: ChoiceNode, scope: _Scope, path: _Path, out: int | None) -> str:
        result = self.local("choice")
        self.emit(f"{result} = {self.node(node.value, scope, path, out)}")
        if node.default is not None:
            self.emit(f"if {result} is None or {result} is OMIT:")
            self.indent += 1
            self.emit(f"{result} = {self.node(node.default, scope, path, out)}")
            self.indent -= 1
        return result

    def _use(self, node: UseNode, scope: _Scope, path: _Path, out: int | None) -> str:
        values = []
        for name, child in node.with_names:
            local = self.local(f"with_{name}")
            value = self.node(child, scope, path.field(f"$with.{name}"), None, into=local)
            if _as_var(value, child) != value or not (value.isidentifier() or literal(value)[0]):
                self.emit(f"{local} = {_as_var(value, child)}")
                value = local
            values.append(value)
        with_names = tuple(name for name, _ in node.with_names)
        function = self.module.function(node.mapping, with_names, output=out is not None)
        result = self.local("used")
        depth = f", d + {out - 1}, b" if out is not None else ""
        self.emit(f"{result} = {function}(ctx, {path.source}{depth}{''.join(', ' + v for v in values)})")
        self._object(node.extra.fields, scope, path, out, into=result)
        return result


def _is_plain_scalar(compiled: Compiled) -> bool:
    """A value ``plain`` passes on unchanged whatever the record: a literal of a plain type or
    an expression whose kind is SCALAR (a comparison, a test, ``~``...)."""
    if not compiled.is_template:
        return type(compiled.source) in (str, int, bool, type(None))
    return not isinstance(compiled.tree, jinja.Template) and result_kind(compiled.tree) == SCALAR \
        and not isinstance(compiled.tree, jinja.List | jinja.Tuple | jinja.Dict)


def _reads(node: Node, name: str) -> bool:
    """Whether any template or selector in ``node`` (used files included) reads ``name``."""
    return any(reference.split(".")[0] == name for item in node.compiled() for reference in item.references())


def _counts_itself(node: Node) -> bool:
    """Output containers count themselves against the budget; a value is counted by its parent."""
    return isinstance(node, ObjectNode | ListNode | EachNode | UseNode)


def _may_omit(node: Node) -> bool:
    """Whether a node can give OMIT (a false $when somewhere that decides its value)."""
    if node.when is not None:
        return True
    return isinstance(node, ChoiceNode) and _choice_may_omit(node)


def _choice_may_omit(node: ChoiceNode) -> bool:
    """Whether a $value/$default gives OMIT when its own $when is true."""
    return _may_omit(node.value) if node.default is None else _may_omit(node.default)


def _as_var(source: str, node: Node) -> str:
    return f"_var({source})" if _may_omit(node) else source
