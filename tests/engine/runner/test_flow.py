"""Concurrency, the webhook inbox, dead-letter retry, and the files connector through a flow."""

import random
import time
from decimal import Decimal

from engine.errors import DataError, RateLimitedError, TransientError
from engine.runner import Runner
from engine.state import LedgerStatus, StepKey


def run(instance, store, concurrency=1, **kw):
    return Runner(instance, store, concurrency=concurrency, progress=False).run(**kw)


def test_same_concurrency_key_runs_in_source_order_and_the_cursor_ends_at_the_last(box, store, kit, monkeypatch):
    box.source = [{"id": i, "customer": i % 3, "total": Decimal(i)} for i in range(1, 41)]
    from tests.engine.runner.conftest import FakeConnector
    real = FakeConnector.create.fn

    def jittery(self, data, ctx):
        time.sleep(random.random() / 500)
        return real(self, data, ctx)

    monkeypatch.setattr(FakeConnector.create, "fn", jittery)
    instance = kit.instance(box, [kit.flow(concurrency_key="{{ record.customer }}")])
    summary = run(instance, store, concurrency=4)
    assert summary.total("done") == 40 and box.sends == 40
    by_customer = {}
    for record_id in box.order:
        by_customer.setdefault(record_id % 3, []).append(record_id)
    assert all(ids == sorted(ids) for ids in by_customer.values())
    assert store.get_cursor("webshop", "orders") == {"next": 40}


def test_record_by_webhook_and_by_poll_has_one_effect(box, store, kit):
    box.source = [{"id": 7, "total": Decimal("70.00")}]
    store.inbox_add("webshop", "orders", "7", {"id": 7, "total": Decimal("70.00")})
    summary = run(kit.instance(box), store, concurrency=4)
    assert box.sends == 1 and len(box.effects) == 1
    assert summary.total("done") == 1 and summary.total("already_done") == 1
    assert store.inbox_pending("webshop", "orders") == []


def test_inbox_only_run_does_not_poll(box, store, kit):
    box.source = [{"id": 1, "total": Decimal(1)}]
    store.inbox_add("webshop", "orders", "9", {"id": 9, "total": Decimal(9)})
    run(kit.instance(box), store, poll=False)
    assert list(box.effects) == ["webshop/orders/9/send"]


def test_dlq_retry_resends_from_the_failed_step_only(box, store, kit):
    box.source = [{"id": 1, "total": Decimal(1)}, {"id": 2, "total": Decimal(2)}]
    steps = [kit.step("customer"), kit.step("invoice")]
    instance = kit.instance(box, [kit.flow(steps)])
    box.fail[2] = DataError("product 2 does not exist in e-conomic", field_path="lines[0].product")
    box.once.add(2)
    run(instance, store)
    # customer of record 2 failed; invoice never ran
    [letter] = store.dead_letters()
    assert (letter.record_key, letter.step) == ("2", "customer")
    sends = box.sends
    summary = Runner(instance, store, progress=False).retry([letter])
    assert box.sends == sends + 2                     # customer and invoice for record 2, nothing else
    assert summary.flows["webshop/orders"].done == {"customer": 1, "invoice": 1}
    assert store.dead_letters() == [] and store.get_dead_letter(letter.id).retried
    assert store.ledger_get(StepKey("webshop", "orders", "2", "invoice")).status is LedgerStatus.DONE


def test_dlq_retry_of_a_later_step_keeps_earlier_results(box, store, kit):
    box.source = [{"id": 3, "total": Decimal(3)}]
    steps = [kit.step("customer"),
             kit.step("invoice", fields={"id": "{{ record.id }}", "customer": "{{ steps.customer.number }}"})]
    instance = kit.instance(box, [kit.flow(steps)])
    from tests.engine.runner.conftest import FakeConnector
    calls = []
    real = FakeConnector.create.fn

    def failing_invoice(self, data, ctx):
        calls.append(ctx.idempotency_key)
        if ctx.idempotency_key.endswith("/invoice") and len(calls) == 2:
            raise DataError("layout missing")
        return real(self, data, ctx)

    FakeConnector.create.fn = failing_invoice
    try:
        run(instance, store)
        [letter] = store.dead_letters()
        assert letter.step == "invoice"
        Runner(instance, store, progress=False).retry([letter])
    finally:
        FakeConnector.create.fn = real
    assert calls == ["webshop/orders/3/customer", "webshop/orders/3/invoice", "webshop/orders/3/invoice"]
    assert box.effects["webshop/orders/3/invoice"]["data"] == {"id": 3, "customer": 1}


def test_failing_retry_makes_a_new_letter(box, store, kit):
    box.source = [{"id": 5, "total": Decimal(5)}]
    box.fail[5] = DataError("still wrong")
    instance = kit.instance(box)
    run(instance, store)
    [first] = store.dead_letters()
    Runner(instance, store, progress=False).retry([first])
    [second] = store.dead_letters()
    assert second.id != first.id and store.get_dead_letter(first.id).retried


def test_a_retry_left_pending_by_a_503_is_finished_by_the_next_run(box, store, kit):
    box.source = [{"id": 1, "total": Decimal(1)}, {"id": 2, "total": Decimal(2)}]
    instance = kit.instance(box, [kit.flow([kit.step("customer"), kit.step("invoice")])])
    box.fail[2] = DataError("customer 2 has no VAT zone")
    box.once.add(2)
    run(instance, store)
    [letter] = store.dead_letters()
    box.fail[2] = TransientError("503 Service Unavailable", details={"maybe_applied": True})   # during the retry
    box.once.add(2)
    retry = Runner(instance, store, progress=False).retry([letter])
    assert retry.flows["webshop/orders"].pending == 1 and "webshop/orders/2/customer" not in box.effects
    assert any("left pending by a fault (2)" in m and "the next `iex run`" in m for m in retry.messages)
    assert store.dead_letters() == [letter]                           # open until the record goes through
    nxt = run(instance, store)                                        # an ordinary run, the cursor long past 2
    assert nxt.flows["webshop/orders"].done == {"customer": 1, "invoice": 1}
    assert sorted(k for k in box.effects if "/2/" in k) == ["webshop/orders/2/customer", "webshop/orders/2/invoice"]
    assert store.dead_letters() == [] and store.inbox_pending("webshop", "orders") == []
    assert run(instance, store).total("done") == 0                    # and never again


def test_a_retry_whose_finder_failed_is_finished_by_the_next_run(box, store, kit, monkeypatch):
    from tests.engine.runner.conftest import FakeConnector
    box.source = [{"id": 3, "total": Decimal(3)}]
    instance = kit.instance(box)
    box.fail[3] = DataError("layout missing")
    box.once.add(3)
    run(instance, store)
    [letter] = store.dead_letters()
    real = FakeConnector.create.find

    def unreachable(self, data, ctx):
        raise TransientError("503 Service Unavailable")

    monkeypatch.setattr(FakeConnector.create, "find", unreachable)   # the retry asks first, and cannot
    retry = Runner(instance, store, progress=False).retry([letter])
    assert retry.flows["webshop/orders"].pending == 1 and box.sends == 0
    monkeypatch.setattr(FakeConnector.create, "find", real)
    nxt = run(instance, store)
    assert nxt.flows["webshop/orders"].done == {"send": 1} and list(box.effects) == ["webshop/orders/3/send"]
    assert store.dead_letters() == []


def test_a_queued_retry_never_rolls_back_a_newer_version(box, store, kit):
    box.source = [{"id": 2, "total": Decimal(2), "modified": "2024-01-01T10:00:00"}]
    box.ignore_cursor = True
    instance = kit.instance(box, [kit.flow([kit.step(on_change="update")])])
    box.fail[2] = DataError("customer 2 has no VAT zone")
    box.once.add(2)
    run(instance, store)
    [letter] = store.dead_letters()
    box.fail[2] = TransientError("503 Service Unavailable")
    box.once.add(2)
    Runner(instance, store, progress=False).retry([letter])          # queued, with the version it had
    box.source[0].update(total=Decimal(5), modified="2024-02-01T10:00:00")
    box.fail[2] = TransientError("503 Service Unavailable")
    box.once.add(2)
    run(instance, store)                   # the queued copy meets the 503 again; the newer one goes through
    assert box.effects["webshop/orders/2/send"]["data"] == {"id": 2, "total": Decimal(5)}
    later = run(instance, store)
    assert later.flows["webshop/orders"].stale == 1 and box.updates == []
    assert box.effects["webshop/orders/2/send"]["data"] == {"id": 2, "total": Decimal(5)}
    assert store.inbox_pending("webshop", "orders") == [] and store.dead_letters() == []


def test_letters_a_stopped_retry_never_reached_say_what_to_run(box, store, kit):
    box.source = [{"id": 1, "total": Decimal(1)}, {"id": 2, "total": Decimal(2)}]
    instance = kit.instance(box)
    box.fail = {1: DataError("bad 1"), 2: DataError("bad 2")}
    run(instance, store)
    letters = store.dead_letters()
    box.fail = {1: RateLimitedError("429 from target", retry_after=600)}
    retry = Runner(instance, store, concurrency=1, progress=False).retry(letters)
    second = letters[1].id
    assert any(f"dead letter(s) {second} were not retried" in m and f"iex dlq retry {second}" in m
               for m in retry.messages)
    assert [x.id for x in store.dead_letters()] == [x.id for x in letters]


def test_files_malformed_row_is_dead_lettered_with_file_and_line(box, store, kit, tmp_path):
    from tests.engine.runner.conftest import Conn, Flow, Source
    from engine.expressions import compile_selector
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "orders.csv").write_text("id;total\n1;10,00\n2;x\n3;5,5\n", encoding="cp1252")
    flow = Flow(name="orders", source=Source("shop", "records", {"key_field": "id", "numeric_fields": ["total"]}),
                steps=(kit.step(),), key=compile_selector("id"))
    instance = kit.instance(box, [flow])
    integration = instance.integrations["webshop"]
    integration.connections["shop"] = Conn("shop", "files", {"folder": str(folder), "delimiter": ";",
                                                              "decimal_comma": True, "encoding": "cp1252"})
    summary = run(instance, store)
    assert summary.flows["webshop/orders"].dead == {"data": 1} and box.sends == 2
    [letter] = store.dead_letters()
    assert (letter.record_key, letter.step) == ("2", "(read)")
    assert letter.message == "orders.csv:3: 'x' is not a number in decimal-comma notation (like 1.234,50)"
    assert letter.field_path == "total"
    assert (folder / "orders.csv").exists()          # settled, moved when the next read starts
    run(instance, store)
    assert (folder / "failed" / "orders.csv").exists() and box.sends == 2
    retry = Runner(instance, store, progress=False).retry([letter])
    assert "nothing to retry" in retry.messages[0]


def test_a_record_that_goes_through_later_closes_its_dead_letter(box, store, kit):
    box.source = [{"id": 4, "total": "four"}]
    box.ignore_cursor = True
    step = kit.step(fields={"id": "{{ record.id }}", "net": "{{ record.total * 2 - 1 }}"})
    instance = kit.instance(box, [kit.flow([step])])
    run(instance, store)
    assert len(store.dead_letters()) == 1
    box.source[0]["total"] = Decimal(4)            # corrected in the source, read again
    run(instance, store)
    assert store.dead_letters() == [] and box.sends == 1


def test_a_later_flow_reads_an_earlier_flows_result_through_ledger(box, store, kit):
    box.source = [{"id": 1, "total": Decimal("1.50")}, {"id": 2, "total": Decimal("2.50")}]
    orders = kit.flow(filter="{{ record.id == 1 }}")          # order 2 never gets a result
    follow = kit.flow([kit.step(name="credit", fields={
        "id": "{{ record.id }}", "invoice": "{{ ledger('orders', to_str(record.id), 'send') }}"})], name="refunds")
    Runner(kit.instance(box, [orders, follow]), store, concurrency=1, progress=False).run()
    sent = {effect["data"]["id"]: effect["data"]["invoice"]
            for key, effect in box.effects.items() if key.startswith("webshop/refunds/")}
    assert sent == {1: {"number": 1}, 2: None}


def _versioned(modified, total):
    return {"id": 5, "modified": modified, "total": Decimal(total)}


def test_an_older_version_from_the_inbox_never_rolls_the_target_back(box, store, kit):
    instance = kit.instance(box, [kit.flow([kit.step(on_change="update")])])
    box.source = [_versioned("2025-03-10T10:00:05", "20.00")]
    run(instance, store)
    store.inbox_add("webshop", "orders", "5", _versioned("2025-03-10T10:00:00", "10.00"), version="2025-03-10T10:00:00")
    summary = run(instance, store, poll=False)
    assert box.effects["webshop/orders/5/send"]["data"]["total"] == Decimal("20.00") and box.updates == []
    assert summary.flows["webshop/orders"].stale == 1
    assert store.inbox_pending("webshop", "orders") == []
    store.inbox_add("webshop", "orders", "5", _versioned("2025-03-10T10:00:09", "30.00"), version="2025-03-10T10:00:09")
    run(instance, store, poll=False)
    assert box.effects["webshop/orders/5/send"]["data"]["total"] == Decimal("30.00")


def test_deliveries_out_of_order_in_one_run_leave_the_newest(box, store, kit):
    instance = kit.instance(box, [kit.flow([kit.step(on_change="update")])])
    store.inbox_add("webshop", "orders", "5", _versioned("2025-03-10T10:00:09", "30.00"), version="2025-03-10T10:00:09")
    store.inbox_add("webshop", "orders", "5", _versioned("2025-03-10T10:00:00", "10.00"), version="2025-03-10T10:00:00")
    summary = run(instance, store, poll=False, concurrency=4)
    assert box.effects["webshop/orders/5/send"]["data"]["total"] == Decimal("30.00") and box.sends == 1
    assert summary.flows["webshop/orders"].stale == 1


def test_a_newer_version_filtered_out_makes_older_ones_stale(box, store, kit):
    instance = kit.instance(box, [kit.flow([kit.step(on_change="update")], filter="{{ record.total > 0 }}")])
    box.source = [_versioned("2025-03-10T10:00:00", "10.00")]
    run(instance, store)
    box.source.append(_versioned("2025-03-10T10:00:05", "0"))      # cancelled: filtered out
    run(instance, store)
    store.inbox_add("webshop", "orders", "5", _versioned("2025-03-10T10:00:01", "11.00"), version="2025-03-10T10:00:01")
    summary = run(instance, store, poll=False)
    assert summary.flows["webshop/orders"].stale == 1 and box.updates == []
