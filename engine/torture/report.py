"""The counts a torture run prints."""

from __future__ import annotations

from engine.torture.scenarios import Report


def lines(report: Report, seconds: float | None = None) -> list[str]:
    verdict = report.verdict
    calls = sum(report.calls.values())
    faults = sum(sum(c.values()) for c in report.faults.values())
    share = f"{faults / calls:.1%}" if calls else "-"
    out = [
        f"orders               {report.orders}" + (f" ({verdict.transferable} transferable, {verdict.refunds} refunds)"
                                                   if verdict else ""),
        f"kills (SIGKILL)      {report.kills} iex run, {report.serve_kills} iex serve",
        f"runs                 {report.runs_started} started, {report.runs_finished} finished, "
        f"{report.runs_refused_busy} refused (instance busy)",
        f"calls                e-conomic {report.calls['economic']}, shop {report.calls['shop']}",
        f"faults injected      {faults} ({share} of calls)"
        + (" - switched off for the final runs" if report.faults_off_for_final_run else ""),
    ]
    for which in ("economic", "shop"):
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.faults[which].items())) or "none"
        out.append(f"  {which:<19}{kinds}")
    out.append(f"webhook deliveries   {report.webhook_deliveries} ({report.webhook_deliveries_ok} answered 2xx)")
    if verdict is not None:
        out += [
            f"invoices booked      {verdict.invoices}",
            f"credit notes booked  {verdict.credit_notes}",
            f"dead-lettered        {len(verdict.dead_letters)}",
            f"held                 {len(verdict.held)}",
            f"dlq retry            {report.retry_completed} of {report.retried_letters} completed after the fix",
            f"duplicates           {len(verdict.duplicates)}",
            f"missing              {len(verdict.missing)}",
            f"unexpected           {len(verdict.unexpected)}",
            f"stray drafts         {len(verdict.stray_drafts)}",
            f"duplicate customers  {len(verdict.duplicate_customers)}",
        ]
        for name, items in verdict.failures.items():
            out.append(f"FAIL {name}: " + "; ".join(items[:20]) + (" ..." if len(items) > 20 else ""))
        reasons: dict[str, int] = {}
        for reason in verdict.dead_letters.values():
            short = reason.split(": ", 1)[-1][:90]
            reasons[short] = reasons.get(short, 0) + 1
        for reason, n in sorted(reasons.items(), key=lambda x: -x[1])[:8]:
            out.append(f"  dead letter x{n}: {reason}")
    out += report.notes
    if seconds is not None:
        out.append(f"took {seconds:.0f} s")
    out.append("RESULT: " + ("ok" if report.ok else "FAILED"))
    return out


def print_report(report: Report, seconds: float | None = None) -> None:
    for line in lines(report, seconds):
        print(line, flush=True)
