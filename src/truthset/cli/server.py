"""serve, demo, db upgrade."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from truthset import collector
from truthset import demo as demo_data
from truthset.app import create_app
from truthset.background.runner import start_process
from truthset.cli.context import deployment, out, settings
from truthset.db.migrate import upgrade
from truthset.deployment import open_deployment
from truthset.operations import multiprocess


def _serve(
    ctx: typer.Context, host: str | None, port: int | None, public_base_url: str | None
) -> None:
    overrides = {"host": host, "port": port, "public_base_url": public_base_url}
    ctx.find_root().obj.update({k: v for k, v in overrides.items() if v is not None})
    config = settings(ctx)
    # Before anything is counted, and before the runner child starts (it inherits the folder).
    multiprocess.enable(multiprocess.folder_for(config), "server")
    dep = open_deployment(config)
    runner = None
    if config.run_background and config.background_process:
        runner = start_process(config)
        dep.settings = config.model_copy(update={"run_background": False})
    app = create_app(deployment=dep)
    # Full collections would pause busy request handling.
    collector.settle()
    try:
        # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer;
        # truthset reads it itself, from TRUTHSET_TRUSTED_PROXIES only.
        uvicorn.run(
            app,
            host=config.host,
            port=config.port,
            log_level="info",
            access_log=False,
            proxy_headers=False,
            # asyncio's loop, not uvloop: under sustained load uvloop served a new
            # connection's first request only after seconds (up to 12 s in
            # benchmarks/dispatch.py while 100 workers kept theirs busy; a worker opening the
            # portal would wait that long), asyncio's within the usual latency, at the same CPU.
            loop="asyncio",
        )
    finally:
        if runner is not None:
            runner.terminate()
            runner.join(timeout=10)


HostOpt = Annotated[
    str | None, typer.Option(help="Listen address (env TRUTHSET_HOST, default 127.0.0.1).")
]
PortOpt = Annotated[int | None, typer.Option(help="Port (env TRUTHSET_PORT, default 8080).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="URL workers use (env TRUTHSET_PUBLIC_BASE_URL).")
]


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        ctx: typer.Context,
        host: HostOpt = None,
        port: PortOpt = None,
        public_base_url: BaseUrlOpt = None,
    ) -> None:
        """Start the server (API, worker portal, admin console) and its background runner."""
        _serve(ctx, host, port, public_base_url)

    @app.command()
    def demo(
        ctx: typer.Context,
        host: HostOpt = None,
        port: PortOpt = None,
        public_base_url: BaseUrlOpt = None,
        no_serve: Annotated[
            bool, typer.Option("--no-serve", help="Set up the demo, do not serve.")
        ] = False,
    ) -> None:
        """Create demo images, a team with a demo worker and a running job, then serve. Safe to re-run."""
        overrides = {"host": host, "port": port, "public_base_url": public_base_url}
        ctx.find_root().obj.update({k: v for k, v in overrides.items() if v is not None})
        logins = demo_data.setup(deployment(ctx))
        out.print(f"\n[bold]truthset demo[/] is at [bold cyan]{logins.url}[/]\n")
        out.print(f"  admin  (console): {logins.admin[0]}  password: {logins.admin[1]}")
        out.print(f"  worker (portal):  {logins.worker[0]}  password: {logins.worker[1]}")
        out.print(f"  jobs: {', '.join(logins.jobs)}\n")
        if not no_serve:
            _serve(ctx, host, port, public_base_url)

    db = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def db_upgrade(ctx: typer.Context) -> None:
        """Apply database migrations (the server also does this on start)."""
        dep = open_deployment(settings(ctx), migrate=False)
        upgrade(dep.db.engine)
        dep.db.dispose()
        out.print("database is up to date")
