"""Shared fixtures: the real event logs in ../shared/data/eventlogs and the PM4Py oracle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EVENTLOGS = Path(os.environ.get("OPSLENS_EVENTLOGS", REPO.parent / "shared" / "data" / "eventlogs"))

# bench/ holds the PM4Py oracle (bench/pm4py_figures.py), shared by the tests and the benchmark.
sys.path.insert(0, str(REPO / "bench"))


def _missing(message: str) -> None:
    # CI sets OPSLENS_REQUIRE_EVENTLOGS: there, a missing log is a failure, never a skip.
    if os.environ.get("OPSLENS_REQUIRE_EVENTLOGS"):
        pytest.fail(message + " (OPSLENS_REQUIRE_EVENTLOGS is set)", pytrace=False)
    pytest.skip(message)


def eventlog(name: str) -> Path:
    """Path of a shared real event log; skips locally, fails in CI, when it is absent."""
    path = EVENTLOGS / name
    if not path.exists():
        _missing(f"shared event logs not found at {EVENTLOGS} (needs {name})")
    return path


@pytest.fixture(scope="session")
def eventlogs_dir() -> Path:
    if not EVENTLOGS.is_dir():
        _missing(f"shared event logs not found at {EVENTLOGS}")
    return EVENTLOGS
