"""Whole runs against a recording journal: nothing is posted twice, whatever report comes again."""

from __future__ import annotations

import dataclasses
import sqlite3
from decimal import Decimal

import duckdb
import pytest

from engine.errors import TransientError
from engine.paymatch import MatchLedger, reconcile


def _run(kit, state, report: str, recorder, *, invoices=None, dry_run: bool = False, **changes):
    con = duckdb.connect()
    try:
        kit.load_fixture(con, report, "stripe_itemized")
        with MatchLedger(state) as ledger:
            outcome = reconcile(con, kit.settings(**changes), integration="shop",
                                invoices=invoices or kit.fixture_invoices(), ledger=ledger, journal=recorder,
                                dry_run=dry_run)
        classes = dict(con.execute("SELECT line_ref, post_as FROM match_results").fetchall())
        return outcome, classes
    finally:
        con.close()


def _ledger_rows(state) -> dict[str, tuple]:
    with sqlite3.connect(state) as db:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT line_ref, status, class, invoice_number, voucher FROM paymatch_ledger WHERE integration = 'shop'")}


def test_the_same_report_twice_posts_once(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    journal = kit.RecordingJournal()
    first, _ = _run(kit, state, "stripe_itemized.csv", journal)
    second, classes = _run(kit, state, "stripe_itemized.csv", journal)
    assert len(journal.posts) == 1 and len(first.posted) == 1
    assert second.posted == [] and second.vouchers == []
    assert set(classes.values()) == {"already_posted"}
    rows = _ledger_rows(state)
    assert len(rows) == 12 and {r[0] for r in rows.values()} == {"posted"}
    assert rows["txn_sale"][1:3] == ("matched_exact", 1001)


def test_an_overlapping_report_posts_only_its_new_lines(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    journal = kit.RecordingJournal()
    _run(kit, state, "stripe_itemized.csv", journal)
    # e-conomic now holds the first payout: 150 of invoice 1002 is paid
    invoices = [dataclasses.replace(i, remainder=Decimal("50.00")) if i.invoice_number == 1002 else i
                for i in kit.fixture_invoices()]
    outcome, classes = _run(kit, state, "stripe_itemized_overlap.csv", journal, invoices=invoices)
    assert [v.payout_id for v in outcome.vouchers] == ["po_B"]
    assert classes == {"txn_sale": "already_posted", "txn_partial": "already_posted",
                       "txn_late": "customer_payment", "txn_rest": "customer_payment"}
    posted = journal.vouchers()[-1]["entries"]["customerPayments"]
    assert {p["customerInvoice"]: p["amount"] for p in posted} == {1011: Decimal("-60.00"), 1002: Decimal("-50.00")}
    assert len(journal.vouchers()) == 2


def test_dry_run_posts_nothing_and_remembers_nothing(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    journal = kit.RecordingJournal()
    outcome, _ = _run(kit, state, "stripe_itemized.csv", journal, dry_run=True)
    assert journal.posts == [] and len(outcome.vouchers) == 1
    assert _ledger_rows(state) == {}
    again, _ = _run(kit, state, "stripe_itemized.csv", journal)
    assert len(again.posted) == 1


def test_a_crash_after_sending_is_settled_by_asking_the_journal(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    lost = TransientError("e-conomic: POST /journals/3/vouchers failed; it may have been applied")
    journal = kit.RecordingJournal(fail=lost)
    with pytest.raises(TransientError):
        _run(kit, state, "stripe_itemized.csv", journal)
    assert {r[0] for r in _ledger_rows(state).values()} == {"pending"}
    # the voucher did reach e-conomic although the answer was lost
    reference = next(iter(_ledger_rows(state).values()))[3]
    journal.present.add(reference)
    outcome, classes = _run(kit, state, "stripe_itemized.csv", journal)
    assert outcome.settled_pending == [reference] and outcome.posted == []
    assert journal.posts == []
    assert {r[0] for r in _ledger_rows(state).values()} == {"posted"}


def test_a_voucher_that_never_arrived_is_posted_on_the_next_run(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    journal = kit.RecordingJournal(fail=TransientError("cannot connect"))
    with pytest.raises(TransientError):
        _run(kit, state, "stripe_itemized.csv", journal)
    outcome, _ = _run(kit, state, "stripe_itemized.csv", journal)
    assert len(outcome.settled_pending) == 1 and len(outcome.posted) == 1
    assert len(journal.posts) == 1


def test_booking_the_journal_follows_the_posting_when_asked(kit, tmp_path):
    journal = kit.RecordingJournal()
    outcome, _ = _run(kit, tmp_path / "state.sqlite", "stripe_itemized.csv", journal,
                      journal={"number": 3, "book": True})
    assert outcome.booked and journal.booked == 1


def test_integrations_keep_separate_ledgers(kit, tmp_path):
    state = tmp_path / "state.sqlite"
    journal = kit.RecordingJournal()
    _run(kit, state, "stripe_itemized.csv", journal)
    con = duckdb.connect()
    kit.load_fixture(con, "stripe_itemized.csv")
    with MatchLedger(state) as ledger:
        other = reconcile(con, kit.settings(), integration="other-shop", invoices=kit.fixture_invoices(),
                          ledger=ledger, journal=journal)
    assert len(other.posted) == 1


def test_the_state_file_is_private(kit, tmp_path):
    state = tmp_path / "fresh" / "state.sqlite"
    MatchLedger(state).close()
    assert state.stat().st_mode & 0o077 == 0


def test_lines_another_process_posted_meanwhile_are_not_sent(kit, tmp_path):
    from engine.errors import IexSystemError
    from engine.paymatch import Voucher

    with MatchLedger(tmp_path / "state.sqlite") as ledger:
        voucher = Voucher("PM po_A 1", "po_A", {}, ["k1"])
        ledger.mark_pending("shop", voucher, [("k1", "txn_1", "matched_exact", 1001)], "v1")
        with pytest.raises(IexSystemError, match="posted by another run meanwhile; nothing was sent"):
            ledger.mark_pending("shop", Voucher("PM po_A 2", "po_A", {}, ["k1"]),
                                [("k1", "txn_1", "matched_exact", 1001)], "v1")
        assert ledger.pending_vouchers("shop") == ["PM po_A 1"]
