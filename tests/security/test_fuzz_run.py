"""`iex run` on broken records: a bad order never stops the others, never shows a traceback, and
every record ends up in exactly one place (written once, filtered, or a located dead letter).

The files connector reads JSON lines, so hypothesis can hand the engine anything a broken export
holds: wrong types, missing fields, numbers that are not numbers, lines that are not JSON, huge
values. The same files run through the runner, the mapping, the ledger and the dead-letter store
as a webshop order does.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import cli
from engine.state import open_store

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("date", "customer", "country", "status", "net", "vat", "currency")

INSTANCE = """\
iex: 1
state: {{path: state.sqlite}}
integrations:
  orders-export:
    recipe: recipes/files-example.yaml
    connections:
      inbox: {{folder: "{root}/inbox", format: jsonl, pattern: "*.jsonl", encoding: utf-8, decimal_comma: false}}
      outbox: {{output_folder: "{root}/out"}}
"""


@contextmanager
def project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "recipes").mkdir()
        shutil.copy(ROOT / "recipes" / "files-example.yaml", root / "recipes")
        shutil.copytree(ROOT / "mappings" / "files", root / "mappings" / "files")
        (root / "inbox").mkdir()
        (root / "iex.yaml").write_text(INSTANCE.format(root=root), encoding="utf-8")
        yield root


def run(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", "--once", "-i", str(root / "iex.yaml"), "--no-progress"],
                                catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


def written(root: Path) -> list[dict[str, Any]]:
    path = root / "out" / "orders.jsonl"
    if not path.exists():
        return []
    return [json.loads(line, parse_float=Decimal) for line in path.read_text(encoding="utf-8").split("\n") if line]


GOOD = {
    "date": st.sampled_from(["2025-03-01", "2025-12-31"]),
    "customer": st.text(min_size=1, max_size=30),
    "country": st.sampled_from(["dk", "DE", "se"]),
    "status": st.sampled_from(["betalt", "afsendt"]),
    "net": st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    "vat": st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False),
    "currency": st.sampled_from(["DKK", "EUR"]),
}
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.text(max_size=10),
    st.sampled_from(["NaN", "Infinity", "-inf", "1e999999999", "1,2,3", "12.345,00", "0x1F", "", " ", "9" * 400,
                     "{{ record.__class__ }}", "${env:HOME}", "\x00", "\ud800", "a\u2028b", "c\x85d"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("x" * 200_000),
)
RAW_LINES = st.sampled_from([
    "not json at all", "[1, 2, 3]", "\"a string\"", "42", "null", "{\"order_number\": ", "{}", "{\"a\": 1}{\"b\": 2}",
    "\ufeff{\"order_number\": \"bom\"}", "{\"order_number\": \"x\", \"net\": 1e999999}",
    "{\"order_number\": \"y\", \"net\": 1e99999999999}", "[" * 50 + "]" * 50, "[" * 100_000 + "]" * 100_000,
])


@st.composite
def order_line(draw: st.DrawFn, number: int) -> tuple[str, dict[str, Any] | None]:
    """A JSON line and, if the line is an order whose every field is good, the order."""
    kind = draw(st.sampled_from(["good", "good", "broken", "missing", "raw", "cancelled"]))
    if kind == "raw":
        return draw(RAW_LINES), None
    order: dict[str, Any] = {"order_number": str(number)}
    for name, strategy in GOOD.items():
        order[name] = draw(strategy)
    if kind == "cancelled":
        order["status"] = "annulleret"
    elif kind == "broken":
        for name in draw(st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3)):
            order[name] = draw(JUNK)
    elif kind == "missing":
        for name in draw(st.sets(st.sampled_from((*FIELDS, "order_number")), min_size=1, max_size=3)):
            order.pop(name, None)
    line = json.dumps(order, default=str, ensure_ascii=draw(st.booleans()))
    if not _encodable(line):
        line = json.dumps(order, default=str)  # a lone surrogate can only be written escaped
    return line, order if kind == "good" else None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def export(draw: st.DrawFn) -> list[tuple[str, dict[str, Any] | None]]:
    count = draw(st.integers(1, 10))
    return [draw(order_line(10_000 + i)) for i in range(count)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(export())
def test_bad_orders_never_stop_the_good_ones(lines: list[tuple[str, dict[str, Any] | None]]) -> None:
    with project() as root:
        (root / "inbox" / "export.jsonl").write_text("\n".join(text for text, _ in lines) + "\n", encoding="utf-8",
                                                     errors="surrogatepass")
        code, output = run(root)
        assert "Traceback" not in output
        assert code == 0, output  # record problems are dead letters, not a stopped run

        out = written(root)
        numbers = [row["order_number"] for row in out]
        assert len(numbers) == len(set(numbers)), "an order was written twice"
        good = {order["order_number"]: order for _, order in lines if order is not None}
        assert set(good) <= set(numbers), "a good order was not written"
        for row in out:
            if row["order_number"] in good:
                assert row["net"] == good[row["order_number"]]["net"]  # exact, never through float

        store = open_store(root / "state.sqlite")
        try:
            letters = store.dead_letters()
            counts = store.runs(1)[0].counts["flows"]["orders-export/orders"]
        finally:
            store.close()
        for letter in letters:
            assert letter.message and letter.who
            assert "Traceback" not in letter.message
            located = ("export.jsonl:" in letter.message or letter.field_path or "order.yaml" in letter.message
                       or f"record {letter.record_key}" in letter.message)
            assert located, letter
        assert counts["pending"] == 0 and counts["stopped"] is None, counts
        assert counts["seen"] == len([t for t, _ in lines if t.strip()]), counts
        settled = counts["filtered"] + sum(counts["done"].values()) + sum(counts["dead"].values()) + counts["already_dead"]
        assert counts["seen"] == settled, counts

        # the same export again: nothing new is written, nothing new is dead-lettered
        shutil.copy(root / "inbox" / "export.jsonl", root / "inbox" / "again.jsonl")
        code, output = run(root)
        assert code == 0 and "Traceback" not in output
        assert len(written(root)) == len(out)


def test_one_deeply_nested_line_does_not_stop_the_file() -> None:
    good = {"order_number": "1", "date": "2025-03-01", "customer": "A", "country": "dk", "status": "betalt",
            "net": 10, "vat": "2.50", "currency": "DKK"}
    with project() as root:
        (root / "inbox" / "export.jsonl").write_text(
            '{"order_number": "2", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + json.dumps(good) + "\n",
            encoding="utf-8")
        code, output = run(root)
        assert "Traceback" not in output
        assert [row["order_number"] for row in written(root)] == ["1"]
        assert code == 0


def test_a_number_beyond_the_decimal_range_does_not_stop_the_flow() -> None:
    good = {"order_number": "1", "date": "2025-03-01", "customer": "A", "country": "dk", "status": "betalt",
            "net": 10, "vat": "2.50", "currency": "DKK"}
    with project() as root:
        (root / "inbox" / "export.jsonl").write_text(
            '{"order_number": "2", "net": 1e99999999999}\n' + json.dumps(good) + "\n", encoding="utf-8")
        code, output = run(root)
        assert "Traceback" not in output
        assert [row["order_number"] for row in written(root)] == ["1"]
        assert code == 0


def test_a_line_separator_inside_a_json_string_does_not_split_the_record() -> None:
    good = {"order_number": "1", "date": "2025-03-01", "customer": "Line\u2028Separator ApS", "country": "dk",
            "status": "betalt", "net": 10, "vat": "2.50", "currency": "DKK"}
    with project() as root:
        (root / "inbox" / "export.jsonl").write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
        code, output = run(root)
        assert [row["customer"] for row in written(root)] == ["Line\u2028Separator ApS"]


def test_a_lone_surrogate_in_a_record_does_not_stop_the_flow() -> None:
    good = {"order_number": "1", "date": "2025-03-01", "customer": "A", "country": "dk", "status": "betalt",
            "net": 10, "vat": "2.50", "currency": "DKK"}
    with project() as root:
        (root / "inbox" / "export.jsonl").write_text(
            '{"order_number": "2", "date": "2025-03-01", "customer": "B", "country": "dk", "status": "betalt", '
            '"net": 10, "vat": "2.50", "currency": "\\ud800"}\n' + json.dumps(good) + "\n", encoding="utf-8")
        code, output = run(root)
        assert "1" in [row["order_number"] for row in written(root)]
        assert code == 0
