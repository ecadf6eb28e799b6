"""Expressions: the sandboxed Jinja templates and JMESPath selectors of recipes and mappings.

Jinja computes, JMESPath selects (docs/ARCHITECTURE.md, "Expressions: the one rule").

    compile_value(source) -> Compiled        any YAML scalar; strings with "{{" are templates
    compile_condition(source) -> Compiled    exactly one {{ expr }}; evaluate() returns its value
    compile_selector(source) -> Selector     JMESPath; "{{" is an error
    Compiled.evaluate(context) / .references();  Selector.search(data)

Compile problems raise ExpressionError (line/col inside the template text); evaluation problems
raise engine.errors.DataError (the data does not fit) or IexSystemError (refused by the sandbox).
"""

from engine.expressions.compiler import Compiled, compile_condition, compile_value
from engine.expressions.errors import ExpressionError
from engine.expressions.selectors import Selector, compile_selector

__all__ = [
    "Compiled",
    "ExpressionError",
    "Selector",
    "compile_condition",
    "compile_selector",
    "compile_value",
]
