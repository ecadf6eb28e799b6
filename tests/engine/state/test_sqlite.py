import os
import stat
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest

from engine.errors import DataError, HeldError, TransientError
from engine.secrets import Secret
from engine.state import InstanceBusyError, LedgerStatus, StepKey, open_store

KEY = StepKey("shop", "orders", "1001", "invoice")


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "state" / "iex.sqlite")
    yield s
    s.close()


def test_state_files_are_owner_only(tmp_path, store):
    store.set_cursor("shop", "orders", {"after": "2024-01-01"})
    for path in (tmp_path / "state").iterdir():
        if path.name.startswith("iex.sqlite"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_done_result_round_trips_with_decimals_and_masked_secrets(store):
    secret = Secret("grant-token-xyz")
    store.ledger_pending(KEY, payload_hash="h1", recipe_digest="d1")
    store.ledger_done(KEY, result={"number": 17, "net": Decimal("99.90"), "echo": f"t={secret.reveal()}"},
                      reference="17", payload_hash="h1", recipe_digest="d1")
    entry = store.ledger_get(KEY)
    assert entry.status is LedgerStatus.DONE
    assert entry.result == {"number": 17, "net": Decimal("99.90"), "echo": "t=***"}
    assert str(entry.result["net"]) == "99.90"
    assert entry.reference == "17" and entry.attempts == 1


def test_ledger_write_and_cursor_are_one_transaction(store):
    store.ledger_pending(KEY, payload_hash="h", recipe_digest=None)
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.ledger_done(KEY, result={}, reference=None, payload_hash="h", recipe_digest=None)
            store.set_cursor("shop", "orders", {"page": 2})
            raise RuntimeError("power cut")
    assert store.ledger_get(KEY).status is LedgerStatus.PENDING
    assert store.get_cursor("shop", "orders") is None
    with store.atomic():
        store.ledger_done(KEY, result={}, reference=None, payload_hash="h", recipe_digest=None)
        store.set_cursor("shop", "orders", {"page": 2})
    assert store.ledger_get(KEY).status is LedgerStatus.DONE
    assert store.get_cursor("shop", "orders") == {"page": 2}


def test_attempts_count_and_failed_then_held(store):
    assert store.ledger_pending(KEY, payload_hash="h", recipe_digest=None) == 1
    store.ledger_failed(KEY, TransientError("timeout"))
    assert store.ledger_get(KEY).status is LedgerStatus.FAILED
    assert store.ledger_pending(KEY, payload_hash="h", recipe_digest=None) == 2
    store.ledger_held(KEY, HeldError("invoice of order 7 not booked yet"), record={"id": 1001}, payload_hash="h")
    held = list(store.ledger_entries("shop", "orders", status=LedgerStatus.HELD))
    assert [(e.record_key, e.record, e.error) for e in held] == [("1001", {"id": 1001}, "invoice of order 7 not booked yet")]


def test_entries_carry_refs_and_filter_by_step(store):
    for step in ("customer", "invoice"):
        key = StepKey("shop", "orders", "1001", step)
        store.ledger_done(key, result={"n": step}, reference=step[:3], payload_hash="h", recipe_digest=None)
    store.set_refs("shop", "orders", "1001", {"order_number": "1001", "invoice": 5})
    entries = list(store.ledger_entries("shop", "orders", step="invoice"))
    assert [(e.step, e.reference, e.refs) for e in entries] == [("invoice", "inv", {"order_number": "1001", "invoice": 5})]
    assert len(list(store.ledger_entries("shop", "orders"))) == 2


def test_dead_letter_marks_ledger_and_lists_until_retried(store):
    err = DataError("amount is not a number", field_path="lines[0].amount")
    letter_id = store.dead_letter(KEY, err, record={"id": 1001, "amount": "x"}, payload_hash=None,
                                  recipe_version="1.0.0", recipe_digest="d1")
    assert store.ledger_get(KEY).status is LedgerStatus.DEAD
    [letter] = store.dead_letters("shop")
    assert (letter.id, letter.field_path, letter.error_class, letter.record) == (
        letter_id, "lines[0].amount", "data", {"id": 1001, "amount": "x"})
    assert "customer" in letter.who and letter.recipe_digest == "d1"
    store.mark_retried(letter_id)
    assert store.dead_letters("shop") == []
    assert store.get_dead_letter(letter_id).retried is not None


def test_inbox_and_run_log(store):
    item = store.inbox_add("shop", "orders", "1001", {"id": 1001, "total": Decimal("5.00")})
    [pending] = store.inbox_pending("shop", "orders")
    assert (pending.id, pending.record["total"]) == (item, Decimal("5.00"))
    store.inbox_processed(item)
    assert store.inbox_pending("shop", "orders") == []
    store.run_started("r1", "2024-01-01T00:00:00")
    store.run_finished("r1", "2024-01-01T00:00:05", {"done": 3}, "ok")
    assert [(r.id, r.counts, r.outcome) for r in store.runs()] == [("r1", {"done": 3}, "ok")]


def test_concurrent_writers_from_threads(store):
    def work(n):
        for i in range(20):
            key = StepKey("shop", "orders", f"{n}-{i}", "s")
            store.ledger_pending(key, payload_hash="h", recipe_digest=None)
            with store.atomic():
                store.ledger_done(key, result={"i": i}, reference=None, payload_hash="h", recipe_digest=None)
                store.set_cursor("shop", f"flow{n}", {"i": i})
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(store.ledger_entries("shop", "orders", status=LedgerStatus.DONE))) == 80
    assert store.get_cursor("shop", "flow3") == {"i": 19}


def test_second_holder_of_the_instance_lock_is_refused(tmp_path, store):
    other = open_store(tmp_path / "state" / "iex.sqlite")
    with store.lock("iex run --once"):
        with pytest.raises(InstanceBusyError, match=rf"PID {os.getpid()}, iex run --once.*--wait"):
            with other.lock("iex run"):
                pass
    with other.lock("iex run"):
        pass
    other.close()


def test_waiting_holder_gets_the_lock_when_released(tmp_path, store):
    other = open_store(tmp_path / "state" / "iex.sqlite")
    got = []
    with store.lock("first"):
        t = threading.Thread(target=lambda: other.lock("second", wait=True).__enter__() or got.append(1))
        t.start()
        time.sleep(0.3)
        assert got == []
    t.join(timeout=10)
    assert got == [1]


def test_lock_of_a_killed_process_is_taken_over(tmp_path, store):
    code = (
        "import sys, time; from engine.state import open_store\n"
        f"s = open_store({str(tmp_path / 'state' / 'iex.sqlite')!r})\n"
        "cm = s.lock('iex serve'); cm.__enter__(); print('locked', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(InstanceBusyError, match="iex serve"):
            with store.lock("iex run"):
                pass
    finally:
        proc.kill()
        proc.wait()
    with store.lock("iex run"):
        pass


def test_resolving_closes_only_that_records_open_letters(store):
    err = DataError("bad")
    store.dead_letter(KEY, err, record={}, payload_hash=None, recipe_version=None, recipe_digest=None)
    other = StepKey("shop", "orders", "1002", "invoice")
    store.dead_letter(other, err, record={}, payload_hash=None, recipe_version=None, recipe_digest=None)
    assert store.resolve_dead_letters("shop", "orders", "1001") == 1
    assert [x.record_key for x in store.dead_letters()] == ["1002"]


def test_record_version_keeps_the_newest(store):
    assert store.record_version("shop", "orders", "1001") is None
    store.set_record_version("shop", "orders", "1001", "2025-03-10T10:00:05")
    store.set_record_version("shop", "orders", "1001", "2025-03-10T10:00:00")
    assert store.record_version("shop", "orders", "1001") == "2025-03-10T10:00:05"
    store.set_record_version("shop", "orders", "1001", "2025-03-10T10:00:09")
    assert store.record_version("shop", "orders", "1001") == "2025-03-10T10:00:09"
    assert store.record_version("shop", "orders", "1002") is None


def test_a_schema_1_state_file_gains_inbox_versions_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, integration TEXT NOT NULL, flow TEXT NOT NULL, "
        "record_key TEXT NOT NULL, record TEXT NOT NULL, received TEXT NOT NULL, processed TEXT);"
        "INSERT INTO inbox (integration, flow, record_key, record, received) "
        "VALUES ('shop', 'orders', '7', '{\"id\":7}', '2025-01-01');"
        "PRAGMA user_version=1;")
    db.close()
    store = open_store(path)
    try:
        [old] = store.inbox_pending("shop", "orders")
        assert (old.record, old.version) == ({"id": 7}, None)
        store.inbox_add("shop", "orders", "8", {"id": 8}, version="2025-03-10T10:00:00")
        assert [item.version for item in store.inbox_pending("shop", "orders")] == [None, "2025-03-10T10:00:00"]
    finally:
        store.close()
    reopened = open_store(path)  # migrating twice is a no-op
    reopened.close()
