"""``iex serve``: run every flow on its trigger and receive webhooks, until stopped."""

from __future__ import annotations

import threading

import click
from rich.console import Console

from engine.cli.run import instance_option, opened, print_summary, verbose_option


@click.command()
@instance_option
@click.option("--host", help="Listen address (default: serve.host of the instance, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Listen port (default: serve.port, else 8088).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Workers per integration (default 4).")
@verbose_option
def serve(instance_path: str, host: str | None, port: int | None, concurrency: int | None, verbose: bool) -> None:
    """Run schedules (every/cron) and receive webhooks at POST /webhooks/{integration}/{connection}.

    Webhook deliveries left in the inbox by a stopped process are processed first, before the
    port accepts new ones."""
    import uvicorn

    from engine.runner import Runner
    from engine.scheduler import Scheduler
    from engine.webhooks import create_app

    console = Console()
    with opened(instance_path, verbose) as (instance, store):
        runner = Runner(instance, store, concurrency=concurrency, progress=False, console=console)

        def scheduled(flows: list[str], poll: bool) -> None:
            summary = runner.run(flows=flows, poll=poll, wait=True, owner="iex serve")
            if summary.total("seen") or summary.messages:  # quiet when nothing arrived
                print_summary(summary, console, title="Scheduled run" if poll else "Webhook run")

        scheduler = Scheduler(instance, scheduled)
        # Deliveries accepted before a crash go first, before the port takes new ones.
        left = scheduler.drain_inbox(store)
        if left:
            console.print(f"processed webhook deliveries left in the inbox of {', '.join(left)}", markup=False)
        app = create_app(instance, store, notify=scheduler.notify)
        stop = threading.Event()
        worker = threading.Thread(target=scheduler.run_forever, args=(stop,), name="iex-scheduler", daemon=True)
        worker.start()
        host = host or instance.serve_host
        port = port or instance.serve_port
        console.print(f"iex serve on http://{host}:{port} (webhooks: POST /webhooks/<integration>/<connection>)")
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            stop.set()
            scheduler.stop()
            worker.join(timeout=60)
