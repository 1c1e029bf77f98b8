"""``opslens demo``, ``opslens serve``, ``opslens worker`` and ``opslens manage``.

Thin: set the environment the Django settings read, then call Django and Waitress.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from opslens.cli.main import app, err, fail

DEMO_TODAY = "2024-09-10"  # the demo company's data runs to the end of August 2024
DEFAULT_DATA_DIR = Path(os.environ.get("OPSLENS_DATA_DIR", "opslens-data"))


def _prepare(data_dir: Path, *, secret_from_env: bool) -> None:
    data_dir = data_dir.expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "mail").mkdir(exist_ok=True)
        (data_dir / "static").mkdir(exist_ok=True)
    except OSError as exc:
        fail(f"cannot create the data dir {data_dir}: {exc.strerror}")
    os.environ["OPSLENS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opslens.web.settings")
    if not secret_from_env:
        key_file = data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            key_file.chmod(0o600)
        os.environ["OPSLENS_SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()


def _setup_django() -> None:
    import django

    try:
        django.setup()
    except Exception as exc:  # a bad DATABASE_URL, a missing driver
        fail(f"cannot start Django: {exc}")


def _migrate() -> None:
    from django.core.management import call_command
    from django.db.utils import OperationalError

    try:
        call_command("migrate", interactive=False, verbosity=0)
    except OperationalError as exc:
        fail(f"cannot reach the database: {exc}".splitlines()[0])


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            fail(f"port {port} on {host} is in use; choose another with --port")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the worker gets SIGTERM when `opslens demo` dies, however it dies."""
    import ctypes

    # Without glibc (musl, other systems) the worker simply outlives a killed parent.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # the same interpreter, the same environment
        [sys.executable, "-m", "opslens", "worker"],
        env=os.environ.copy(),
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def default_processes() -> int:
    """Server processes: one per core (at least 2, at most 8); Python runs one request per
    process at a time, so a page waits for others only when every core is busy."""
    return max(2, min(8, os.cpu_count() or 2))


def _serve_processes(host: str, port: int, processes: int, threads: int) -> bool:
    """Serve with Gunicorn (POSIX): ``processes`` forked after Django is set up, ``threads``
    each. False where Gunicorn is not available (Windows), so Waitress serves instead."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        return False
    from django.db import connections

    from opslens.web.wsgi import application

    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": processes,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 300,  # a worker silent this long is restarted (uploads stream meanwhile)
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "opslens",
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    connections.close_all()  # each process opens its own database connections
    with contextlib.suppress(SystemExit):  # the arbiter exits on Ctrl-C or SIGTERM
        Server().run()
    return True


def _serve(
    host: str,
    port: int,
    threads: int,
    worker: subprocess.Popen[bytes] | None,
    processes: int = 1,
) -> None:
    try:
        if processes > 1 and _serve_processes(host, port, processes, threads):
            return
        _serve_waitress(host, port, threads)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def _serve_waitress(host: str, port: int, threads: int) -> None:
    from waitress.server import create_server

    from opslens.web.wsgi import application

    server: Any = create_server(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="opslens",
        max_request_body_size=64 * 2**30,  # uploads of several GB (streamed to disk)
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C or SIGTERM: a clean stop
            server.run()
    finally:
        server.close()


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the SQLite database and files go.")
    ] = Path("opslens-data"),
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Do not start the background worker.")
    ] = False,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=1,
            help="Web server processes (default: one per core, at least 2; 1: one process).",
        ),
    ] = None,
) -> None:
    """Run the web workbench with the demo company (SQLite in --data-dir, web server + worker).

    Creates the database, applies migrations and loads the demo company on first start; later
    starts keep what you changed. The demo company lives in 2024: "today" is 2024-09-10 unless
    OPSLENS_TODAY says otherwise. Stop with Ctrl-C.
    """
    os.environ.pop("DATABASE_URL", None)  # the demo always runs on SQLite in its data dir
    os.environ.setdefault("OPSLENS_TODAY", DEMO_TODAY)
    os.environ.setdefault("OPSLENS_LANGUAGE", "zh-hans")  # the demo company works in Chinese
    _prepare(data_dir, secret_from_env=False)
    _check_port(host, port)
    _setup_django()
    _migrate()
    from opslens.web.common.demo import DEMO_USERS, load_demo

    created = load_demo()
    worker = None if no_worker else _start_worker()
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    err.print(
        f"[bold]opslens demo[/] {'loaded' if created else 'reused'} in "
        f"{os.environ['OPSLENS_DATA_DIR']}",
        highlight=False,
    )
    err.print(f"  open [bold]{url}[/]  (health: {url}healthz)", highlight=False)
    err.print("  logins (password demo):", highlight=False)
    for username, role, dept in DEMO_USERS:
        err.print(f"    {username:<10} {role} {dept}", highlight=False)
    err.print(
        f"  the demo company's data runs to August 2024; today is {os.environ['OPSLENS_TODAY']}"
        " (OPSLENS_TODAY)",
        highlight=False,
    )
    err.print("  stop with Ctrl-C", highlight=False)
    _serve(host, port, 4, worker, processes or default_processes())


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    threads: Annotated[int, typer.Option("--threads", help="Request threads per process.")] = 4,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=1,
            help="Server processes (default: one per core, at least 2; 1: one process).",
        ),
    ] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Uploads, mail files and collected static files.")
    ] = Path("opslens-data"),
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations before serving.")
    ] = True,
) -> None:
    """Run the workbench for production (Gunicorn, or Waitress on Windows; static files
    served by WhiteNoise).

    Needs OPSLENS_SECRET_KEY and OPSLENS_ALLOWED_HOSTS, and DATABASE_URL for PostgreSQL
    (postgres://user:password@host:5432/db; without it SQLite in --data-dir). Run
    `opslens worker` beside it for background tasks.
    """
    if not os.environ.get("OPSLENS_SECRET_KEY"):
        fail("set OPSLENS_SECRET_KEY (a long random string) before `opslens serve`")
    if not os.environ.get("OPSLENS_ALLOWED_HOSTS"):
        fail("set OPSLENS_ALLOWED_HOSTS (e.g. ops.example.com) before `opslens serve`")
    if not os.environ.get("DATABASE_URL"):
        err.print("opslens: DATABASE_URL is not set; using SQLite in the data dir", highlight=False)
    _prepare(data_dir, secret_from_env=True)
    _check_port(host, port)
    _setup_django()
    if migrate:
        _migrate()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    processes = processes or default_processes()
    err.print(
        f"opslens: serving on {host}:{port} with {processes} processes × {threads} threads",
        highlight=False,
    )
    _serve(host, port, threads, None, processes)


@app.command()
def worker(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Same data dir as the web server.")
    ] = DEFAULT_DATA_DIR,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between polls for new tasks.")
    ] = 1.0,
    batch: Annotated[bool, typer.Option("--batch", help="Run what is queued, then exit.")] = False,
    schedule: Annotated[
        float,
        typer.Option(
            "--schedule",
            help=(
                "Seconds between scheduled runs (computed KPIs, every alert rule, reminders "
                "for overdue values, escalation of unanswered support requests, weekly "
                "project digests, overdue rectifications); 0 turns the schedule off. With "
                "--batch it runs once."
            ),
        ),
    ] = float(os.environ.get("OPSLENS_SCHEDULE_SECONDS", "900")),
) -> None:
    """Run background tasks (django-tasks, database backend) and the schedule until stopped."""
    _prepare(data_dir, secret_from_env=bool(os.environ.get("OPSLENS_SECRET_KEY")))
    _setup_django()
    from django.core.management import call_command

    args = ["--interval", str(interval)]
    if batch:
        args.append("--batch")
    from django.db.utils import OperationalError

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stopping = threading.Event()
    try:
        if schedule > 0:
            _enqueue_schedule()
            if not batch:
                threading.Thread(
                    target=_schedule_loop, args=(schedule, stopping), daemon=True
                ).start()
        with contextlib.suppress(KeyboardInterrupt):
            call_command("db_worker", *args)
    except OperationalError as exc:
        fail(f"worker: cannot reach the database: {exc}".splitlines()[0])
    finally:
        stopping.set()


def _enqueue_schedule() -> None:
    from django.db import close_old_connections

    from opslens.web.kpis.tasks import run_schedule

    close_old_connections()
    run_schedule.enqueue()


def _schedule_loop(every: float, stopping: threading.Event) -> None:
    """Enqueue the scheduled job every ``every`` seconds; the worker itself runs it."""
    from django.db import connection

    while not stopping.wait(every):
        try:
            _enqueue_schedule()
        except Exception as exc:  # the database may be away for a moment: try next time
            err.print(f"worker: could not enqueue the schedule: {exc}".splitlines()[0])
        finally:
            connection.close()


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(
    ctx: typer.Context,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Same data dir as the web server.")
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Run a Django management command, e.g. `opslens manage createsuperuser`."""
    _prepare(data_dir, secret_from_env=bool(os.environ.get("OPSLENS_SECRET_KEY")))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opslens manage", *ctx.args])
