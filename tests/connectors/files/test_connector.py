from decimal import Decimal

import pytest

from connectors.files import FilesConnector, UnreadableRecord
from engine.connector import ActionContext, Runtime
from engine.errors import DataError


def connector(tmp_path, dry_run=False, **settings):
    base = {"folder": str(tmp_path / "in"), "output_folder": str(tmp_path / "out")}
    (tmp_path / "in").mkdir(exist_ok=True)
    return FilesConnector({**base, **settings}, Runtime(dry_run=dry_run))


def read_all(conn, state=None, **options):
    return list(conn.read("records", state, options))


DANISH = "Ordre;Kunde;Beløb;Dato\r\n1001;Søren Æbelø;1.234,50;2024-03-01\r\n1002;Åse;99,95;2024-03-02\r\n"


def test_danish_csv_in_cp1252_with_decimal_comma(tmp_path):
    conn = connector(tmp_path, delimiter=";", decimal_comma=True, encoding="cp1252",
                     columns={"Ordre": "order", "Beløb": "amount"})
    (tmp_path / "in" / "orders.csv").write_bytes(DANISH.encode("cp1252"))
    records = read_all(conn, key_field="order", numeric_fields=["amount"])
    assert [r.key for r in records] == ["1001", "1002"]
    assert records[0].data == {"order": "1001", "Kunde": "Søren Æbelø", "amount": Decimal("1234.50"),
                               "Dato": "2024-03-01", "iex_file": "orders.csv", "iex_line": 2}
    assert records[1].data["amount"] == Decimal("99.95")
    assert records[0].cursor is None and records[1].cursor["settled"][0]["file"] == "orders.csv"


def test_cp1252_file_read_as_utf8_is_a_located_data_error(tmp_path):
    conn = connector(tmp_path, delimiter=";")
    (tmp_path / "in" / "orders.csv").write_bytes(DANISH.encode("cp1252"))
    [record] = read_all(conn)
    assert isinstance(record, UnreadableRecord)
    assert str(record.error).startswith("orders.csv:1: byte 0xf8 is not valid utf-8")


def test_malformed_row_is_an_error_for_that_row_only(tmp_path):
    conn = connector(tmp_path, delimiter=";", decimal_comma=True)
    text = "id;amount\n1;10,00\n2;5;extra\n3;12.50\n4;7,5\n"
    (tmp_path / "in" / "orders.csv").write_text(text)
    records = read_all(conn, key_field="id", numeric_fields=["amount"])
    assert [r.key for r in records] == ["1", "2", "3", "4"]
    bad = {r.key: str(r.error) for r in records if isinstance(r, UnreadableRecord)}
    assert bad == {
        "2": "orders.csv:3: the row has 3 fields, the header has 2 (check the delimiter ';' and the quoting)",
        "3": "orders.csv:4: '12.50' is not a number in decimal-comma notation (like 1.234,50) (field amount)",
    }
    assert records[3].data["amount"] == Decimal("7.5")


def test_jsonl_keeps_json_types_and_locates_a_broken_line(tmp_path):
    conn = connector(tmp_path, format="jsonl", pattern="*.jsonl")
    (tmp_path / "in" / "a.jsonl").write_text('{"id": 1, "total": 10.10, "lines": [{"q": 2}]}\n\n{"id": 2,, }\n')
    ok, bad = read_all(conn)
    assert ok.data["total"] == Decimal("10.10") and ok.data["lines"] == [{"q": 2}] and ok.key == "a.jsonl:1"
    assert str(bad.error).startswith("a.jsonl:3:10: invalid JSON")


def test_xml_elements_attributes_and_repeated_children(tmp_path):
    conn = connector(tmp_path, format="xml", pattern="*.xml", record_element="order", encoding="latin-1")
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<orders>\n'
        '  <order id="7"><customer>Bjørn</customer><total>12,50</total>\n'
        '    <line sku="A">1</line><line sku="B">2</line></order>\n'
        '  <order id="8"><customer>Kai</customer><total>3</total></order>\n</orders>\n'
    )
    (tmp_path / "in" / "o.xml").write_bytes(xml.encode("latin-1"))
    first, second = read_all(conn, key_field="@id", numeric_fields=["total"])
    assert first.key == "7" and first.data["iex_line"] == 3
    assert first.data["customer"] == "Bjørn"
    assert first.data["line"] == [{"@sku": "A", "#text": "1"}, {"@sku": "B", "#text": "2"}]
    assert second.key == "8" and second.data["total"] == Decimal("3")
    assert isinstance(first, UnreadableRecord)  # 12,50 without decimal_comma
    assert str(first.error) == "o.xml:3: '12,50' is not a number (like 1234.50) (field total)"


def test_xml_doctype_is_refused(tmp_path):
    conn = connector(tmp_path, format="xml", pattern="*.xml", record_element="order")
    (tmp_path / "in" / "o.xml").write_text('<!DOCTYPE x [<!ENTITY a "b">]><orders><order/></orders>')
    [record] = read_all(conn)
    assert "DOCTYPE is not allowed" in str(record.error)


def test_file_moves_only_once_the_state_says_it_is_settled(tmp_path):
    conn = connector(tmp_path)
    (tmp_path / "in" / "a.csv").write_text("id\n1\n2\n")
    (tmp_path / "in" / "b.csv").write_text("id\n3,\n")
    records = read_all(conn, key_field="id")
    assert (tmp_path / "in" / "a.csv").exists()
    # only a.csv settled (the runner committed the cursor of its last record)
    again = read_all(connector(tmp_path), records[1].cursor, key_field="id")
    assert (tmp_path / "in" / "processed" / "a.csv").exists() and not (tmp_path / "in" / "a.csv").exists()
    assert [r.key for r in again] == ["3"]
    # b.csv had an unreadable row: it goes to the failed folder once settled
    read_all(connector(tmp_path), again[-1].cursor, key_field="id")
    assert (tmp_path / "in" / "failed" / "b.csv").exists()


def test_new_file_with_a_settled_name_is_read_and_plan_moves_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("id\n1\n")
    state = read_all(connector(tmp_path))[-1].cursor
    (tmp_path / "in" / "a.csv").write_text("id\n9\n")
    assert [r.data["id"] for r in read_all(connector(tmp_path, dry_run=True), state)] == ["9"]
    assert [r.data["id"] for r in read_all(connector(tmp_path), state)] == ["9"]
    assert not (tmp_path / "in" / "processed").exists()


def ctx(key="shop:orders:1:write"):
    return ActionContext(idempotency_key=key, record_key="1")


def test_write_records_is_idempotent_by_key_and_updates_in_place(tmp_path):
    conn = connector(tmp_path)
    conn.run_action("write_records", {"records": [{"id": 1, "total": Decimal("10.50")}]}, ctx())
    conn.run_action("write_records", {"records": [{"id": 2}]}, ctx("k2"))
    conn.run_action("write_records", {"records": [{"id": 1, "total": Decimal("10.50")}]}, ctx())
    lines = (tmp_path / "out" / "records.jsonl").read_text().splitlines()
    assert lines == ['{"iex_key":"shop:orders:1:write","id":1,"total":10.50}', '{"iex_key":"k2","id":2}']
    conn = connector(tmp_path)
    conn.run_action("write_records", {"records": [{"id": 1, "total": Decimal("11")}]}, ctx())
    lines = (tmp_path / "out" / "records.jsonl").read_text().splitlines()
    assert lines == ['{"iex_key":"shop:orders:1:write","id":1,"total":11}', '{"iex_key":"k2","id":2}']


def test_finder_sees_complete_writes_only(tmp_path):
    conn = connector(tmp_path)
    assert conn.find_effect("write_records", {"records": []}, ctx()) is None
    conn.run_action("write_records", {"records": [{"id": 1}]}, ctx())
    with open(tmp_path / "out" / "records.jsonl", "a") as out:
        out.write('{"iex_key":"k2","id"')  # a crash in the middle of the next write
    fresh = connector(tmp_path)
    assert fresh.find_effect("write_records", {"records": []}, ctx())["rows"] == 1
    assert fresh.find_effect("write_records", {"records": []}, ctx("k2")) is None


def test_csv_output_with_decimal_comma(tmp_path):
    conn = connector(tmp_path, delimiter=";", decimal_comma=True)
    conn.run_action("write_records", {"file": "out.csv", "records": [{"id": 1, "amount": Decimal("5.25")}]}, ctx())
    conn.run_action("write_records", {"file": "out.csv", "records": [{"id": 2, "amount": Decimal("1"), "note": "x"}]}, ctx("k2"))
    assert (tmp_path / "out" / "out.csv").read_text() == (
        "iex_key;id;amount;note\nshop:orders:1:write;1;5,25;\nk2;2;1;x\n"
    )
    with pytest.raises(DataError, match="CSV cell"):
        conn.run_action("write_records", {"file": "out.csv", "records": [{"x": [1]}]}, ctx("k3"))


def test_many_output_files_keep_only_the_recent_ones_open_and_stay_exactly_once(tmp_path):
    from connectors.files.connector import OPEN_OUTPUTS

    conn = connector(tmp_path)
    files = [f"orders-{n}.jsonl" for n in range(OPEN_OUTPUTS + 4)]
    for name in files:
        conn.run_action("write_records", {"file": name, "records": [{"id": name}]}, ctx(f"k-{name}"))
    assert len(conn._outputs) == OPEN_OUTPUTS          # the key index of the oldest files is let go
    first = files[0]
    conn.run_action("write_records", {"file": first, "records": [{"id": first}]}, ctx(f"k-{first}"))
    conn.run_action("write_records", {"file": first, "records": [{"id": "changed"}]}, ctx(f"k-{first}"))
    conn.run_action("write_records", {"file": first, "records": [{"id": "new"}]}, ctx("k-new"))
    lines = (tmp_path / "out" / first).read_text().splitlines()
    assert lines == [f'{{"iex_key":"k-{first}","id":"changed"}}', '{"iex_key":"k-new","id":"new"}']


def test_parallel_writers_to_many_files_write_every_row_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    conn = connector(tmp_path)

    def write(n):
        name = f"part-{n % 40}.jsonl"
        conn.run_action("write_records", {"file": name, "records": [{"n": n}]}, ctx(f"k{n}"))
        conn.run_action("write_records", {"file": name, "records": [{"n": n}]}, ctx(f"k{n}"))   # a retry

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(400)))
    rows = [line for path in (tmp_path / "out").glob("part-*.jsonl") for line in path.read_text().splitlines()]
    assert sorted(rows) == sorted(f'{{"iex_key":"k{n}","n":{n}}}' for n in range(400))
