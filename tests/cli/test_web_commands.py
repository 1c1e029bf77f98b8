"""`opslens demo`, `opslens serve` and `opslens worker` as a user runs them: real processes,
real HTTP on 127.0.0.1, a real SQLite file and (for serve) the real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

OPSLENS = [sys.executable, "-m", "opslens"]
PG_URL = os.environ.get("OPSLENS_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("OPSLENS_", "DATABASE_URL"))}
    out.update(extra)
    return out


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_healthy(url: str, proc: subprocess.Popen[Any], seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
        try:
            status, body = get(url + "healthz", timeout=2)
            if status == 200:
                return json.loads(body)  # type: ignore[no-any-return]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise AssertionError("no healthy answer in time")


def stop(proc: subprocess.Popen[Any]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err or ""


@pytest.mark.slow
def test_demo_starts_serves_the_demo_company_and_stops_its_worker(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [*OPSLENS, "demo", "--data-dir", str(data), "--port", str(port)],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/", proc)
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert (data / "opslens.sqlite3").exists()
        # The worker runs beside the web server; pages are served by one process per core (at
        # least two), forked one after the other by the server — the first may answer before
        # the second is forked.
        deadline = time.monotonic() + 15
        while True:
            children = psutil.Process(proc.pid).children(recursive=True)
            workers = [c for c in children if "worker" in " ".join(c.cmdline())]
            servers = [c for c in children if c not in workers]
            if (len(workers) == 1 and len(servers) >= 2) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(workers) == 1
        assert len(servers) >= 2
        # The login page answers, and the demo login works (session via the form).
        status, body = get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and "csrfmiddlewaretoken" in body
    finally:
        err = stop(proc)
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err
    assert "today is 2024-09-10" in err  # the demo company's fixed date is said out loud
    for login in ("demo", "caigou", "jishu"):
        assert login in err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)

    # A second start keeps the data (no second demo company) and reports it reused.
    port2 = free_port()
    proc = subprocess.Popen(
        [*OPSLENS, "demo", "--data-dir", str(data), "--port", str(port2), "--no-worker"],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port2}/", proc)
    finally:
        err = stop(proc)
    assert "reused" in err


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*OPSLENS, "demo", "--data-dir", str(tmp_path), "--port", str(port)],
            env=env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "OPSLENS_SECRET_KEY"),
        ({"OPSLENS_SECRET_KEY": "x" * 50}, "OPSLENS_ALLOWED_HOSTS"),
    ],
)
def test_serve_needs_its_settings(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    done = subprocess.run(
        [*OPSLENS, "serve", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env=env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_serve_reports_an_unreachable_database(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    done = subprocess.run(
        [*OPSLENS, "serve", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env=env(
            OPSLENS_SECRET_KEY="x" * 50,
            OPSLENS_ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead}/opslens",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot reach the database" in done.stderr and "Traceback" not in done.stderr


def _fresh_pg_database(name: str) -> str:
    psycopg = pytest.importorskip("psycopg")
    try:
        conn = psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("OPSLENS_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is not reachable: {exc}")
        pytest.skip("PostgreSQL is not reachable")
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_on_postgresql_with_static_files(tmp_path: Path) -> None:
    url = _fresh_pg_database(f"opslens_serve_{os.getpid()}")
    port = free_port()
    proc = subprocess.Popen(
        [
            *OPSLENS,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        env=env(
            OPSLENS_SECRET_KEY="s" * 50,
            OPSLENS_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=url,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/", proc)
        assert health["database"] == "postgresql"
        status, body = get(f"http://127.0.0.1:{port}/static/vendor/htmx.min.js")
        assert status == 200 and "htmx" in body
        status, _ = get(f"http://127.0.0.1:{port}/processes/")
        assert status == 200  # urllib followed the redirect to the login page
    finally:
        stop(proc)
    assert (tmp_path / "static" / "vendor" / "echarts.min.js").exists()  # collectstatic ran


def test_worker_sends_queued_mail(tmp_path: Path) -> None:
    """A notification queued by the web app is e-mailed by `opslens worker` (file backend)."""
    data = tmp_path / "data"
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from django.contrib.auth import get_user_model;"
        "u = get_user_model().objects.create_user('w', 'w@example.com', 'pw');"
        "from opslens.web.common.tasks import email_notification;"
        "from opslens.web.common.models import Notification;"
        "n = Notification.objects.create(user=u, message='改进措施已分配给您');"
        "email_notification.enqueue(n.pk)"
    )
    data.mkdir()
    base = env(OPSLENS_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="opslens.web.settings")
    subprocess.run([sys.executable, "-c", script], env=base, check=True, timeout=120)
    done = subprocess.run(
        [*OPSLENS, "worker", "--data-dir", str(data), "--batch"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    mails = list((data / "mail").glob("*.log"))
    assert len(mails) == 1
    assert "w@example.com" in mails[0].read_text(encoding="utf-8")


SCHEDULE_SETUP = """
import django; django.setup()
from datetime import date
from decimal import Decimal
from django.core.management import call_command; call_command('migrate', verbosity=0)
from django.contrib.auth import get_user_model
from opslens.web.org.models import Department, Person
from opslens.web.kpis.models import Kpi, Measurement, AlertRule
u = get_user_model().objects.create_user('owner', 'owner@example.com', 'pw')
d = Department.objects.create(name='销售部', code='xiaoshou')
p = Person.objects.create(name='杨帆', department=d, role='head', user=u)
k = Kpi.objects.create(name='销售额', level='department', department=d, owner=p,
    frequency='weekly', due_day=1, target=Decimal(400), warning=Decimal(360),
    tracked_from=date(2024, 8, 19))
AlertRule.objects.create(kpi=k, name='连续两周低于预警值', condition='beyond_warning', periods=2)
# Values written behind the app's back (as another system would): nobody evaluated them yet.
for start, value in [(date(2024, 8, 19), 410), (date(2024, 8, 26), 338), (date(2024, 9, 2), 329)]:
    Measurement.objects.create(kpi=k, period_start=start, value=Decimal(value), source='import')
"""


def _schedule_db(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    data = tmp_path / "data"
    data.mkdir()
    base = env(
        OPSLENS_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="opslens.web.settings",
        OPSLENS_TODAY="2024-09-12",
    )
    subprocess.run([sys.executable, "-c", SCHEDULE_SETUP], env=base, check=True, timeout=120)
    return data, base


def _count(base: dict[str, str], expr: str) -> str:
    script = f"import django; django.setup(); from opslens.web.kpis.models import *; print({expr})"
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=base,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def test_worker_runs_the_schedule(tmp_path: Path) -> None:
    """`opslens worker` evaluates alert rules and reminds owners of due values on its schedule."""
    data, base = _schedule_db(tmp_path)
    done = subprocess.run(
        [*OPSLENS, "worker", "--data-dir", str(data), "--batch", "--schedule", "900"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _count(base, "Alert.objects.count()") == "1"
    assert _count(base, "Review.objects.get().title") == "Review 销售额（2024-W35、2024-W36）"
    assert _count(base, "Alert.objects.get().rule.firing") == "True"
    # The owner is told in the app, and the same worker run sent the e-mail.
    mails = list((data / "mail").glob("*.log"))
    assert len(mails) == 1
    assert "owner@example.com" in mails[0].read_text(encoding="utf-8")


def test_worker_without_schedule_leaves_rules_alone(tmp_path: Path) -> None:
    data, base = _schedule_db(tmp_path)
    done = subprocess.run(
        [*OPSLENS, "worker", "--data-dir", str(data), "--batch", "--schedule", "0"],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _count(base, "Alert.objects.count()") == "0"
