"""What a template may read where: declared settings, earlier steps, and the context names each
place provides (source options see only settings; a filter runs before any step)."""

from __future__ import annotations

from engine.validate.problems import Problem, at
from engine.validate.suggest import did_you_mean
from engine.validate.templates import TemplateUse
from engine.yamlpos import Document

RECORD_CONTEXT = frozenset({"record", "settings", "key"})
CONTEXT: dict[str, frozenset[str]] = {
    "source options": frozenset({"settings"}),
    "on_change": frozenset({"settings"}),
    "filter": RECORD_CONTEXT,
    "refs": RECORD_CONTEXT,
    "concurrency_key": RECORD_CONTEXT,
    "when": RECORD_CONTEXT | {"steps", "ledger"},
    "input": RECORD_CONTEXT | {"steps", "ledger"},
}
KNOWN = frozenset({"record", "settings", "key", "steps", "ledger"})


def check_references(
    use: TemplateUse,
    where: str,
    settings: dict,
    *,
    earlier: list[str] | None,
    recipe: Document,
    flow: str,
    problems: list[Problem],
    step: str | None = None,
) -> None:
    """Report every name ``use`` reads that does not exist at its place. Names other than the
    engine's context (helpers, mapping vars, ``$as`` names) are left to the expression engine."""
    doc = use.doc
    for ref in sorted(use.references):
        parts = ref.split(".")
        root = parts[0]
        if root in KNOWN and root not in CONTEXT[where]:
            available = ", ".join(sorted(CONTEXT[where]))
            problems.append(at(doc, use.path, f"{where} cannot read {root!r} (available here: {available})",
                               position=doc.find_in_value(use.path, root)))
            continue
        if len(parts) < 2:
            continue
        name = parts[1]
        if root == "settings" and name not in settings:
            whose = "" if doc is recipe else f" of recipe {recipe.name}"
            problems.append(at(doc, use.path, f"setting {name!r} is not declared in the settings{whose}",
                               suggestion=did_you_mean(name, settings), position=doc.find_in_value(use.path, f"settings.{name}")))
        elif root == "steps" and earlier is not None and name not in earlier:
            if name == step:
                message = f"step {step!r} cannot read its own result (steps.{name})"
            else:
                before = ", ".join(earlier) or "none"
                message = f"no earlier step named {name!r} in flow {flow!r} (earlier steps: {before})"
            problems.append(at(doc, use.path, message, suggestion=did_you_mean(name, earlier),
                               position=doc.find_in_value(use.path, f"steps.{name}")))
