"""Exactly-once: the ledger, crashes, error classes and the cursor."""

from decimal import Decimal

import pytest

from engine.errors import ConfigError, DataError, HeldError, RateLimitedError, TransientError
from engine.runner import Runner
from engine.state import InstanceBusyError, LedgerStatus


def rows(*ids):
    return [{"id": i, "total": Decimal(f"{i}.50")} for i in ids]


def run(instance, store, **kw):
    return Runner(instance, store, concurrency=kw.pop("concurrency", 1), progress=False).run(**kw)


def test_each_record_is_sent_once_and_the_cursor_follows(box, store, kit):
    box.source = rows(1, 2, 3)
    instance = kit.instance(box)
    summary = run(instance, store)
    assert box.sends == 3 and summary.total("done") == 3
    assert store.get_cursor("webshop", "orders") == {"next": 3}
    box.ignore_cursor = True                      # the source sends everything again
    again = run(instance, store)
    assert box.sends == 3
    assert again.total("already_done") == 3 and again.total("done") == 0
    entry = list(store.ledger_entries("webshop", "orders"))
    assert [(e.record_key, e.status, e.reference) for e in entry] == [
        ("1", LedgerStatus.DONE, "1"), ("2", LedgerStatus.DONE, "2"), ("3", LedgerStatus.DONE, "3")]
    assert entry[0].result == {"number": 1}


def test_crash_between_sending_and_recording_is_settled_by_the_finder(box, store, kit, monkeypatch):
    box.source = rows(1, 2)
    instance = kit.instance(box)
    real_done = store.ledger_done

    def killed(key, **kw):
        if key.record_key == "2":
            raise KeyboardInterrupt("kill -9")  # not an Exception: nothing in the runner catches it
        real_done(key, **kw)

    monkeypatch.setattr(store, "ledger_done", killed)
    with pytest.raises(KeyboardInterrupt):
        run(instance, store)
    monkeypatch.setattr(store, "ledger_done", real_done)
    assert box.sends == 2
    assert store.ledger_get(_key("2")).status is LedgerStatus.PENDING
    assert store.get_cursor("webshop", "orders") == {"next": 1}

    summary = run(instance, store)
    assert box.sends == 2 and len(box.effects) == 2      # the target holds exactly one effect each
    assert summary.flows["webshop/orders"].recovered == {"send": 1}
    assert store.ledger_get(_key("2")).status is LedgerStatus.DONE
    assert store.get_cursor("webshop", "orders") == {"next": 2}


def _key(record, step="send"):
    from engine.state import StepKey
    return StepKey("webshop", "orders", record, step)


def test_pending_without_a_finder_is_dead_lettered_not_sent_again(box, store, kit, monkeypatch):
    box.source = rows(1)
    instance = kit.instance(box, [kit.flow([kit.step(action="blind")])])
    monkeypatch.setattr(store, "ledger_done", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        run(instance, store)
    monkeypatch.undo()
    summary = run(instance, store)
    assert box.sends == 1
    [letter] = store.dead_letters()
    assert letter.error_class == "system" and "cannot tell whether target.blind was done for record 1" in letter.message
    assert summary.flows["webshop/orders"].dead == {"system": 1}
    assert store.get_cursor("webshop", "orders") == {"next": 1}


def test_cursor_and_ledger_commit_together(box, store, kit, monkeypatch):
    box.source = rows(1)
    instance = kit.instance(box)
    monkeypatch.setattr(store, "set_cursor", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    summary = run(instance, store)
    monkeypatch.undo()
    assert "disk full" in summary.flows["webshop/orders"].stopped
    assert box.sends == 1
    assert store.ledger_get(_key("1")).status is LedgerStatus.PENDING   # the done write rolled back with the cursor
    assert store.get_cursor("webshop", "orders") is None
    run(instance, store)
    assert box.sends == 1 and store.ledger_get(_key("1")).status is LedgerStatus.DONE
    assert store.get_cursor("webshop", "orders") == {"next": 1}


def test_data_error_is_dead_lettered_and_the_run_goes_on(box, store, kit):
    box.source = rows(1, 2, 3)
    box.fail[2] = DataError("customer has no VAT zone", field_path="customer.vatZone")
    instance = kit.instance(box)
    summary = run(instance, store)
    assert box.sends == 2 and summary.flows["webshop/orders"].dead == {"data": 1}
    [letter] = store.dead_letters()
    assert (letter.record_key, letter.step, letter.field_path) == ("2", "send", "customer.vatZone")
    assert letter.message == "record 2: customer has no VAT zone"
    assert letter.record == {"id": 2, "total": Decimal("2.50")} and letter.recipe_digest == "digest-1"
    assert store.get_cursor("webshop", "orders") == {"next": 3}
    box.ignore_cursor = True
    again = run(instance, store)                  # same input: not tried again, no second letter
    assert again.total("already_dead") == 1 and len(store.dead_letters()) == 1


def test_mapping_error_names_the_field(box, store, kit):
    box.source = [{"id": 1, "total": "abc"}]
    step = kit.step(fields={"id": "{{ record.id }}", "net": "{{ record.total * 2 - 1 }}"})
    run(kit.instance(box, [kit.flow([step])]), store)
    [letter] = store.dead_letters()
    assert letter.field_path == "net" and letter.error_class == "data"
    assert box.sends == 0


def test_held_record_is_retried_on_later_runs(box, store, kit):
    box.source = rows(1, 2)
    box.fail[1] = HeldError("the invoice of order 1 is not booked yet")
    instance = kit.instance(box)
    first = run(instance, store)
    assert first.flows["webshop/orders"].held == 1 and box.sends == 1
    assert store.get_cursor("webshop", "orders") == {"next": 2}    # held lets the cursor pass
    second = run(instance, store)
    assert second.flows["webshop/orders"].held == 1               # still waiting
    del box.fail[1]
    third = run(instance, store)
    assert third.flows["webshop/orders"].done == {"send": 1} and box.sends == 2
    assert store.ledger_get(_key("1")).status is LedgerStatus.DONE
    assert store.ledger_get(_key("1")).record is None


def test_transient_error_keeps_the_record_and_the_cursor_behind_it(box, store, kit):
    box.source = rows(1, 2, 3)
    box.fail[2] = TransientError("read timeout", details={"maybe_applied": False})
    box.once.add(2)
    instance = kit.instance(box)
    first = run(instance, store)
    assert first.flows["webshop/orders"].pending == 1 and box.sends == 2
    assert store.get_cursor("webshop", "orders") == {"next": 1}
    assert store.ledger_get(_key("2")).status is LedgerStatus.FAILED
    second = run(instance, store)
    assert box.sends == 3 and second.total("already_done") == 1
    assert store.get_cursor("webshop", "orders") == {"next": 3}


def test_rate_limit_stops_the_integration_cleanly(box, store, kit):
    box.source = rows(1, 2, 3)
    box.fail[2] = RateLimitedError("429 from target", retry_after=600)
    box.once.add(2)
    flows = [kit.flow(), kit.flow(name="refunds")]
    instance = kit.instance(box, flows)
    first = run(instance, store)
    assert box.sends == 1 and "rate limited" in first.flows["webshop/orders"].stopped
    assert "webshop/refunds" not in first.flows
    assert store.get_cursor("webshop", "orders") == {"next": 1}
    run(instance, store)
    assert sorted(k.split("/")[1] for k in box.effects) == ["orders"] * 3 + ["refunds"] * 3


def test_config_error_stops_the_flow_with_a_clear_message(box, store, kit):
    box.source = rows(1, 2)
    box.fail[1] = ConfigError("e-conomic refused the agreement grant token (401)")
    summary = run(kit.instance(box), store)
    stopped = summary.flows["webshop/orders"].stopped
    assert "401" in stopped and "customer: fix the settings" in stopped
    assert box.sends == 0 and summary.flows["webshop/orders"].pending == 1  # reading stopped too
    assert store.get_cursor("webshop", "orders") is None


def test_on_change_update_sends_the_previous_result(box, store, kit):
    box.source = rows(1)
    box.ignore_cursor = True
    instance = kit.instance(box, [kit.flow([kit.step(on_change="update")])])
    run(instance, store)
    box.source[0]["total"] = Decimal("9.99")
    summary = run(instance, store)
    assert summary.flows["webshop/orders"].updated == 1
    assert box.updates == [({"number": 1}, {"id": 1, "total": Decimal("9.99")})]
    assert len(box.effects) == 1
    ignored = kit.instance(box, [kit.flow([kit.step(on_change="ignore")])])
    box.source[0]["total"] = Decimal("1.00")
    assert run(ignored, store).flows["webshop/orders"].changed == 1 and len(box.updates) == 1


def test_steps_see_earlier_results_and_when_skips(box, store, kit):
    box.source = rows(1, 2)
    steps = [kit.step("customer", when="{{ record.id == 1 }}"),
             kit.step("invoice", fields={"id": "{{ record.id }}", "customer": "{{ steps.customer.number if steps.customer else 0 }}"})]
    summary = run(kit.instance(box, [kit.flow(steps, refs={"order": "{{ record.id }}", "invoice": "{{ steps.invoice.number }}"})]), store)
    assert summary.flows["webshop/orders"].skipped == 1
    invoices = {k: v["data"] for k, v in box.effects.items() if k.endswith("/invoice")}
    assert invoices == {"webshop/orders/1/invoice": {"id": 1, "customer": 1}, "webshop/orders/2/invoice": {"id": 2, "customer": 0}}
    refs = {e.record_key: e.refs for e in store.ledger_entries("webshop", "orders", step="invoice")}
    assert refs == {"1": {"order": 1, "invoice": 2}, "2": {"order": 2, "invoice": 3}}


def test_filter_skips_records_and_still_moves_the_cursor(box, store, kit):
    box.source = rows(1, 2, 3)
    summary = run(kit.instance(box, [kit.flow(filter="{{ record.id != 2 }}")]), store)
    assert summary.flows["webshop/orders"].filtered == 1 and box.sends == 2
    assert store.get_cursor("webshop", "orders") == {"next": 3}


def test_the_instance_lock_refuses_a_second_runner(box, store, kit):
    box.source = rows(1)
    with store.lock("iex serve"):
        with pytest.raises(InstanceBusyError, match="iex serve"):
            run(kit.instance(box), store)
    assert box.sends == 0


def test_plan_sends_nothing_and_writes_nothing(box, store, kit):
    box.source = rows(1, 2)
    runner = Runner(kit.instance(box), store, progress=False)
    summary = runner.run(dry_run=True)
    assert box.sends == 0 and list(store.ledger_entries("webshop", "orders")) == []
    assert store.get_cursor("webshop", "orders") is None and store.runs() == []
    assert [(p.record_key, p.note, p.requests) for p in runner.plan] == [
        ("1", "would send", [{"method": "POST", "url": "/things", "body": {"id": 1, "total": Decimal("1.50")}}]),
        ("2", "would send", [{"method": "POST", "url": "/things", "body": {"id": 2, "total": Decimal("2.50")}}]),
    ]
    assert summary.total("done") == 2


def test_backfill_reads_from_the_start_and_leaves_the_cursor(box, store, kit):
    box.source = rows(1, 2, 3)
    instance = kit.instance(box)
    store.set_cursor("webshop", "orders", {"next": 2})
    run(instance, store)
    assert box.sends == 1
    summary = run(instance, store, backfill={"since": "2024-01-01"})
    assert box.sends == 3 and summary.total("already_done") == 1
    assert store.get_cursor("webshop", "orders") == {"next": 3}


def test_run_log_holds_the_summary(box, store, kit):
    box.source = rows(1)
    summary = run(kit.instance(box), store)
    [logged] = store.runs()
    assert logged.id == summary.run_id and logged.outcome == "ok"
    assert logged.counts["flows"]["webshop/orders"]["done"] == {"send": 1}
    assert logged.counts["api_calls"] == {"webshop": {"fake.calls": 1}}



def test_a_checkpoint_moves_the_cursor_without_a_record(box, store, kit):
    box.source = rows(1, 2)
    box.checkpoint = {"next": 2, "pages_read_to": "2026-11-29T22:00:00"}
    summary = run(kit.instance(box), store)
    assert box.sends == 2 and summary.total("done") == 2 and summary.total("seen") == 2
    assert store.get_cursor("webshop", "orders") == {"next": 2, "pages_read_to": "2026-11-29T22:00:00"}


def test_on_change_from_settings_decides_per_integration(box, store, kit):
    from engine.expressions import compile_value

    box.source = rows(1)
    box.ignore_cursor = True
    step = kit.step(on_change=compile_value("{{ 'update' if settings.update_drafts else 'ignore' }}"))
    flows = [kit.flow([step])]
    run(kit.instance(box, flows, settings={"update_drafts": False}), store)
    box.source[0]["total"] = Decimal("9.99")
    kept = run(kit.instance(box, flows, settings={"update_drafts": False}), store)
    assert kept.flows["webshop/orders"].changed == 1 and box.updates == []
    updated = run(kit.instance(box, flows, settings={"update_drafts": True}), store)
    assert updated.flows["webshop/orders"].updated == 1
    assert box.updates == [({"number": 1}, {"id": 1, "total": Decimal("9.99")})]


def test_on_change_giving_neither_update_nor_ignore_stops_the_flow(box, store, kit):
    from engine.expressions import compile_value

    box.source = rows(1)
    box.ignore_cursor = True
    flows = [kit.flow([kit.step(on_change=compile_value("{{ settings.mode }}"))])]
    run(kit.instance(box, flows, settings={"mode": "update"}), store)
    box.source[0]["total"] = Decimal("9.99")
    summary = run(kit.instance(box, flows, settings={"mode": "sometimes"}), store)
    counts = summary.flows["webshop/orders"]
    assert counts.stopped and "on_change gave 'sometimes'; it must give update or ignore" in counts.stopped
    assert box.updates == [] and counts.pending == 1
