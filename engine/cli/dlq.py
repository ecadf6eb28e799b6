"""``iex dlq list|show|retry``: the records that failed, why, who must act, and sending them
again once the cause is fixed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console

from engine.cli.run import (
    EXIT_CONFIG,
    EXIT_STOPPED,
    exit_code,
    fail,
    instance_option,
    opened,
    print_summary,
    setup_logging,
    verbose_option,
)
from engine.errors import ErrorClass, IexError
from engine.secrets import mask
from engine.state import DeadLetter, StateStore, StepKey, open_store
from engine.state.codec import pretty


@click.group()
def dlq() -> None:
    """List, show and retry dead-lettered records."""


@contextmanager
def _state(instance_path: str) -> Iterator[StateStore]:
    """The instance's state store for reading: the instance file is validated but its secrets
    are not resolved, so listing dead letters needs no credentials (``retry`` sends, and
    resolves them)."""
    setup_logging(False)
    store = None
    try:
        from engine.instance import load_instance

        instance = load_instance(instance_path, resolve_secrets=False)
        store = open_store(instance.state_path)
        yield store
    except IexError as exc:
        fail(exc, EXIT_CONFIG if exc.error_class is ErrorClass.CONFIG else EXIT_STOPPED)
    finally:
        if store is not None:
            store.close()


def _matches(letter: object, flow: str | None) -> bool:
    return flow is None or flow in (letter.flow, f"{letter.integration}/{letter.flow}")  # type: ignore[attr-defined]


format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text for people; json for scripts (fields below).")

JSON_FIELDS = """\b
JSON fields of a letter:
  id, integration, flow, key (the record key), step, class (data, system, ...),
  field_path (null when none), reason (the message), who (who must act),
  first_seen (the first letter of this record and step), created (this letter),
  closed (when retried or gone through, else null), attempts (sends of the step),
  recipe_version, recipe_digest, queued (the record waits for the next run)"""


def _as_json(store: StateStore, letters: list[DeadLetter], *, with_record: bool) -> list[dict[str, Any]]:
    """The letters as plain JSON values; strings pass through ``mask`` (as everywhere)."""
    first_seen: dict[tuple[str, str, str, str], str] = {}
    for x in store.dead_letters(include_retried=True):
        first_seen.setdefault((x.integration, x.flow, x.record_key, x.step), x.created)
    queued = _queued(store, letters)
    shaped = []
    for x in letters:
        entry = store.ledger_get(StepKey(x.integration, x.flow, x.record_key, x.step))
        item: dict[str, Any] = {
            "id": x.id, "integration": x.integration, "flow": x.flow, "key": x.record_key, "step": x.step,
            "class": str(x.error_class), "field_path": x.field_path, "reason": x.message, "who": x.who,
            "first_seen": first_seen.get((x.integration, x.flow, x.record_key, x.step), x.created),
            "created": x.created, "closed": x.retried, "attempts": entry.attempts if entry else 0,
            "recipe_version": x.recipe_version, "recipe_digest": x.recipe_digest,
            "queued": x.retried is None and (x.integration, x.flow, x.record_key) in queued,
        }
        if with_record:
            item["record"] = x.record
        shaped.append(item)
    return shaped


def _queued(store: StateStore, letters: list[DeadLetter]) -> set[tuple[str, str, str]]:
    """(integration, flow, record key) of the letters whose record waits in the flow's inbox: a
    retry a fault interrupted, which the next ``iex run`` finishes."""
    flows = {(x.integration, x.flow) for x in letters if x.retried is None}
    return {(i, f, item.record_key) for i, f in flows for item in store.inbox_pending(i, f)}


@dlq.command("list", epilog=JSON_FIELDS)
@instance_option
@click.option("--flow", help="Only this flow (name or integration/flow).")
@click.option("--all", "show_all", is_flag=True, help="Include letters already retried.")
@format_option
def list_letters(instance_path: str, flow: str | None, show_all: bool, output_format: str) -> None:
    """Dead letters, oldest first: error class, field, message and who must act. With
    --format json: a JSON array of letters (without the record; see `iex dlq show`)."""
    console = Console()
    with _state(instance_path) as store:
        letters = [x for x in store.dead_letters(include_retried=show_all) if _matches(x, flow)]
        if output_format == "json":
            click.echo(pretty(_as_json(store, letters, with_record=False)))
            return
        if not letters:
            console.print("no dead letters")
            return
        queued = _queued(store, letters)
        for x in letters:
            field = f", field {x.field_path}" if x.field_path else ""
            closed = f" (closed {x.retried[:19]})" if x.retried else ""
            if (x.integration, x.flow, x.record_key) in queued:
                closed = " (queued: the next `iex run` takes it up)"
            console.print(f"#{x.id} {x.integration}/{x.flow} record {x.record_key} step {x.step} "
                          f"[{x.error_class}{field}] {x.created[:19]}{closed}", markup=False, highlight=False)
            console.print(f"    {mask(x.message)}", markup=False, highlight=False)
            console.print(f"    who acts: {x.who}", markup=False, highlight=False)


@dlq.command(epilog=JSON_FIELDS + ",\n  record (the record as it was)")
@instance_option
@click.argument("letter_id", type=int)
@format_option
def show(instance_path: str, letter_id: int, output_format: str) -> None:
    """Everything about one dead letter, with the record as it was. With --format json: one
    JSON object."""
    console = Console()
    with _state(instance_path) as store:
        letter = store.get_dead_letter(letter_id)
        if letter is None:
            raise click.ClickException(f"no dead letter {letter_id} (see `iex dlq list`)")
        if output_format == "json":
            click.echo(pretty(_as_json(store, [letter], with_record=True)[0]))
            return
        rows = [
            ("flow", f"{letter.integration}/{letter.flow}"), ("record", letter.record_key),
            ("step", letter.step), ("class", str(letter.error_class)), ("field", letter.field_path or "-"),
            ("message", letter.message), ("who acts", letter.who),
            ("recipe", f"{letter.recipe_version or '-'} (digest {letter.recipe_digest or '-'})"),
            ("created", letter.created), ("retried", letter.retried or "no"),
        ]
        for name, value in rows:
            console.print(f"{name:>9}: {mask(value)}", markup=False, highlight=False)
        if letter.record is not None:
            console.print("   record:", markup=False)
            console.print(pretty(letter.record), markup=False, highlight=False)


@dlq.command()
@instance_option
@click.argument("letter_ids", type=int, nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Every open dead letter (of --flow, if given).")
@click.option("--flow", help="With --all: only this flow (name or integration/flow).")
@click.option("--wait", is_flag=True, help="Wait for another iex process on this instance instead of refusing.")
@verbose_option
def retry(instance_path: str, letter_ids: tuple[int, ...], retry_all: bool, flow: str | None, wait: bool,
          verbose: bool) -> None:
    """Send dead-lettered records through their flows again, from the failed step on (steps
    already done are left alone). Fix the cause first."""
    if not letter_ids and not retry_all:
        raise click.UsageError("name the dead letters to retry, or pass --all")
    console = Console()
    with opened(instance_path, verbose) as (instance, store):
        if retry_all:
            letters = [x for x in store.dead_letters() if _matches(x, flow)]
        else:
            letters = []
            for letter_id in letter_ids:
                letter = store.get_dead_letter(letter_id)
                if letter is None:
                    raise click.ClickException(f"no dead letter {letter_id} (see `iex dlq list`)")
                if letter.retried:
                    raise click.ClickException(f"dead letter {letter_id} was retried already ({letter.retried})")
                letters.append(letter)
        if not letters:
            console.print("no dead letters to retry")
            return
        from engine.runner import Runner

        summary = Runner(instance, store, console=console).retry(letters, wait=wait)
        print_summary(summary, console, title="Retry")
        still = len(store.dead_letters())
        console.print(f"open dead letters now: {still}")
        sys.exit(exit_code(summary))
