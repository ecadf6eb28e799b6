"""Compile templates once, evaluate them many times.

A string with ``{{`` is a Jinja template. Exactly one ``{{ expr }}`` (whitespace around allowed)
is compiled as an expression and returns its native value; anything else renders to text.
Statements and comments are refused, number literals with a fraction become Decimal, and every
compile error is located (line/col inside the template text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import TemplateError
from jinja2.visitor import NodeTransformer

from engine.expressions import limits
from engine.expressions.errors import ExpressionError
from engine.expressions.pycode import result_kind
from engine.expressions.runtime import run_expression, run_template
from engine.expressions.sandbox import CONCAT, DECIMAL_LITERAL, ENV

Path = tuple[Any, ...]

_REFUSED_TOKENS = {
    "block_begin": "statements ({% ... %}) are not allowed in templates; use $each for lists "
                   "and $when for conditions",
    "comment_begin": "comments ({# ... #}) are not allowed in templates; use a YAML # comment",
    "raw_begin": "raw blocks ({% raw %}) are not allowed in templates",
    "linestatement_begin": "line statements are not allowed in templates",
    "linecomment_begin": "line comments are not allowed in templates",
}


# Jinja names iex removes, with what to use instead.
_REMOVED_NAMES = {
    "self": "'self' is not available in templates",
    "range": "range() is not available in templates; lists come from $each",
    "lipsum": "lipsum() is not available in templates",
    "cycler": "cycler() is not available in templates; use loop.index inside $each",
    "joiner": "joiner() is not available in templates; use the join filter",
    "namespace": "namespace() is not available in templates; use vars in the mapping",
    "dict": "dict() is not available in templates; write {'key': value}",
}


class Compiled:
    """A value from a mapping, recipe or condition, compiled once. ``evaluate`` gives the native
    value of a single ``{{ expr }}``, the text of a mixed template, or the literal itself."""

    __slots__ = (
        "_is_expression",
        "_kind",
        "_paths",
        "_template",
        "is_template",
        "source",
        "tree",
    )

    def __init__(self, source: Any, template: Any = None, tree: nodes.Node | None = None,
                 paths: tuple[Path, ...] = ()) -> None:
        self.source = source
        self.is_template = template is not None
        # the checked syntax tree: the expression of a single ``{{ expr }}``, else the Template
        self.tree = tree
        self._template = template
        self._is_expression = tree is not None and not isinstance(tree, nodes.Template)
        self._paths = paths
        self._kind = result_kind(tree) if self._is_expression else None

    def evaluate(self, context: Mapping[str, Any], *, field_path: str | None = None,
                 missing_ok: bool = False) -> Any:
        """Evaluate in ``context`` (record, settings, steps, key, mapping-local names). Errors
        are DataError (the data does not fit) or IexSystemError (the template was refused).
        ``field_path`` names the target field in errors; with ``missing_ok`` a single expression
        whose last name is missing (``record.meta.ean`` without ``ean``) gives None."""
        if self._template is None:
            return self.source
        if self._is_expression:
            return run_expression(self._template, context, self.source, self._paths, field_path,
                                  missing_ok, self._kind)
        return run_template(self._template, context, self.source, self._paths, field_path)

    def references(self) -> set[str]:
        """Dotted names read from the context, e.g. {"record.billing.country", "settings.x"}."""
        refs = set()
        for path in self._paths:
            names = []
            for part in path:
                if not isinstance(part, str):
                    break
                names.append(part)
            refs.add(".".join(names))
        return refs

    def __repr__(self) -> str:
        return f"Compiled({self.source!r})"


def compile_value(source: Any) -> Compiled:
    """Compile any YAML scalar: strings with ``{{`` are templates, everything else a literal. A
    YAML float (``0.25``) becomes Decimal("0.25")."""
    if isinstance(source, float):
        return Compiled(Decimal(repr(source)))
    if not isinstance(source, str):
        return Compiled(source)
    return _compile_string(source)


def compile_condition(source: str) -> Compiled:
    """Compile a condition: exactly one ``{{ expr }}``; the caller tests the truthiness."""
    if not isinstance(source, str) or "{{" not in source:
        raise ExpressionError(
            'a condition must be exactly one {{ expression }}, e.g. "{{ record.status == \'paid\' }}"',
            source=source if isinstance(source, str) else None,
        )
    compiled = _compile_string(source)
    if not compiled._is_expression:
        raise ExpressionError(
            "a condition must be exactly one {{ expression }} with no text around it",
            1, 1, source,
        )
    return compiled


@lru_cache(maxsize=4096)
def _compile_string(source: str) -> Compiled:
    _check_text(source)
    if "{{" not in source:
        return Compiled(source)
    try:
        return _compile_template(source)
    except TemplateSyntaxError as exc:  # also raised at code generation, e.g. an unknown filter
        raise _syntax_error(exc, source) from None
    except RecursionError:
        raise ExpressionError("the template is nested too deeply", 1, 1, source) from None
    except (TemplateError, SyntaxError, MemoryError) as exc:
        raise ExpressionError(f"cannot compile the template: {_short(str(exc))}", 1, 1, source) from None


def _compile_template(source: str) -> Compiled:
    template = ENV.parse(source)
    expression = _single_expression(template)
    _check_names(template, source)
    if expression is not None:
        expression = _Rewrite().visit(expression)
        root = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)],
                              lineno=1)
        tree: nodes.Node = expression
    else:
        root = tree = _Rewrite().visit(template)
    root.set_environment(ENV)
    compiled = ENV.from_string(root)
    # Jinja copies a template's globals into every new context; as a ChainMap over the
    # environment's globals that copy is most of an evaluation's cost. The helpers never change
    # after start, so one flat copy serves every evaluation.
    compiled.globals = dict(compiled.globals)
    return Compiled(source, compiled, tree, tuple(_paths(root)))


def _check_text(source: str) -> None:
    """Cheap checks on the raw text before Jinja parses it: size, statements, comments and
    bracket nesting (a deeply nested expression would exhaust the parser's recursion)."""
    if len(source) > limits.MAX_SOURCE:
        raise ExpressionError(f"the template is longer than {limits.MAX_SOURCE} characters", 1, 1, source)
    depth = 0
    try:
        for lineno, token, value in ENV.lexer.tokeniter(source, None):
            if token in _REFUSED_TOKENS:
                raise ExpressionError(_REFUSED_TOKENS[token], lineno,
                                      _column(source, lineno, value.strip() or "{"), source)
            if token == "operator" and value in "([{":
                depth += 1
                if depth > limits.MAX_NESTING:
                    raise ExpressionError(
                        f"the template nests brackets more than {limits.MAX_NESTING} deep",
                        lineno, _column(source, lineno, value), source,
                    )
            elif token == "operator" and value in ")]}":
                depth -= 1
    except TemplateSyntaxError as exc:
        raise _syntax_error(exc, source) from None


def _single_expression(template: nodes.Template) -> nodes.Expr | None:
    """The expression if the template is exactly one ``{{ expr }}`` with only whitespace around."""
    if len(template.body) != 1 or not isinstance(template.body[0], nodes.Output):
        return None
    parts = template.body[0].nodes
    exprs = [n for n in parts if not isinstance(n, nodes.TemplateData)]
    text = "".join(n.data for n in parts if isinstance(n, nodes.TemplateData))
    if len(exprs) == 1 and not text.strip():
        return exprs[0]
    return None


def _check_names(tree: nodes.Node, source: str) -> None:
    """Refuse ``_`` names, removed globals, out-of-range literals and deep nesting (which would
    exhaust Python's recursion in the code generator), before anything recursive runs."""
    for node, depth in _walk(tree):
        if depth > limits.MAX_NESTING * 2:
            raise ExpressionError(
                f"the template is nested more than {limits.MAX_NESTING * 2} levels deep "
                "(split it into vars)", node.lineno, 1, source,
            )
        name = None
        if isinstance(node, nodes.Name):
            name = node.name
            if name in _REMOVED_NAMES:
                raise ExpressionError(_REMOVED_NAMES[name], node.lineno,
                                      _column(source, node.lineno, name), source)
        elif isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        if name is not None and name.startswith("_"):
            raise ExpressionError(
                f"names starting with '_' are not allowed ({name})", node.lineno,
                _column(source, node.lineno, name), source,
            )
        if isinstance(node, nodes.Const) and isinstance(node.value, float):
            if node.value != node.value or node.value in (float("inf"), float("-inf")):
                raise ExpressionError("number literal out of range", node.lineno, 1, source)


class _Rewrite(NodeTransformer):
    """``0.25`` becomes ``_iex_dec("0.25")`` (Decimal, never float) and ``a ~ b`` becomes
    ``_iex_concat(a, b)`` (sized before the parts turn into text)."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.Name(CONCAT, "load", lineno=node.lineno), list(node.nodes), [],
                          None, None, lineno=node.lineno)

    def visit_Const(self, node: nodes.Const) -> nodes.Node:
        if isinstance(node.value, float):
            return nodes.Call(
                nodes.Name(DECIMAL_LITERAL, "load", lineno=node.lineno),
                [nodes.Const(repr(node.value), lineno=node.lineno)], [], None, None,
                lineno=node.lineno,
            )
        return node


def _walk(node: nodes.Node) -> Iterator[tuple[nodes.Node, int]]:
    """Every node with its depth, in source order, without recursion."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        stack.extend((child, depth + 1) for child in reversed(list(current.iter_child_nodes())))


def _chain(node: nodes.Node) -> Path | None:
    """("record", "billing", "country") for record.billing.country / record['billing'].country."""
    parts: list[Any] = []
    while True:
        if isinstance(node, nodes.Name):
            if node.name in ENV.globals or node.ctx != "load":
                return None
            return (node.name, *reversed(parts))
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str | int) and not isinstance(node.arg.value, bool):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node


def _paths(tree: nodes.Node) -> list[Path]:
    """Every maximal name chain the template reads, in source order."""
    found: list[Path] = []

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            visit(node.node.node)           # record.name.upper(): reads record.name
            for child in node.iter_child_nodes(exclude=("node",)):
                visit(child)
            return
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            chain = _chain(node)
            if chain is not None:
                if chain not in found:
                    found.append(chain)
                return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return found


def _syntax_error(exc: TemplateSyntaxError, source: str) -> ExpressionError:
    line = exc.lineno or 1
    message = exc.message or "syntax error"
    quoted = re.search(r"'([^']+)'", message)
    needle = quoted.group(1) if quoted else ""
    if needle == "end of print statement":
        needle = "}}"
    col = _column(source, line, needle) if needle else 1
    message = message.replace("No filter named", "no filter named").rstrip(".")
    return ExpressionError(f"template syntax error: {message}", line, col, source)


def _column(source: str, line: int, needle: str) -> int:
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return 1
    found = lines[line - 1].find(needle)
    return found + 1 if found >= 0 else 1


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
