"""The last start's times per service (run/timings.py), as commands.orchestrate records them and deps reads them."""

import functools
import json

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
from ansible_collections.maestro.ng.plugins.module_utils.run import commands, timings
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.fake_ships import Ships
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.run.sched_env import ENV

ALL = ["db-1", "api-1", "api-2", "web-1", "tool-1"]


@pytest.fixture
def env(load_env, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return load_env(ENV)


@pytest.fixture
def start(monkeypatch):
    """``start(env, ships, check_mode=False)``: commands.orchestrate's start on the fake ``ships``."""

    def run(env, ships, check_mode=False):
        seams = functools.partial(Orchestrator, connect_ship=ships.connect, manager=ships.manager)
        monkeypatch.setattr(commands, "Orchestrator", seams)
        options = {key: spec.get("default") for key, spec in ORCHESTRATE_SPEC.items()}
        return commands.orchestrate(env, ALL, options, lambda line: None, check_mode=check_mode)

    return run


def test_before_any_start_the_critical_path_is_the_longest_chain(env):
    view = timings.critical(env, ALL)
    assert view["services"] == ["db", "api", "web"] and view["seconds"] is None and view["total"] is None
    assert view["line"] == "critical path: db → api → web (no start recorded on this controller yet)"


def test_a_start_records_each_services_seconds_for_the_critical_path(env, start, tmp_path):
    result = start(env, Ships())
    assert not result["failed"], result.get("msg")
    doc = json.loads((tmp_path / "maestro.ng" / "timings" / "sched.json").read_text())
    assert set(doc["seconds"]) == {"db", "api", "web", "tool"}
    view = timings.critical(env, ALL)
    assert view["recorded_at"] == doc["at"] and view["total"] is not None
    assert view["line"].startswith("critical path: ") and view["line"].endswith("(the start of %s)" % doc["at"])


def test_a_no_op_start_or_one_of_a_few_services_keeps_the_others_times(env, start, tmp_path, monkeypatch):
    folder = tmp_path / "maestro.ng" / "timings"
    folder.mkdir(parents=True)
    seconds = {"db": 0.5, "api": 1.0, "web": 0.25, "tool": 9.0}
    (folder / "sched.json").write_text(json.dumps({"at": "2026-12-07 16:00:00 UTC", "seconds": seconds}))
    result = {"steps": [{"service": service, "changed": 0, "seconds": 0.01} for service in seconds]}
    timings.record("sched", result)  # nothing changed: nothing recorded
    assert timings.recorded("sched") == {"at": "2026-12-07 16:00:00 UTC", "seconds": seconds}
    result["steps"][0].update(changed=1, seconds=2.0)  # db only
    timings.record("sched", result)
    assert timings.recorded("sched")["seconds"] == dict(seconds, db=2.0)


def test_the_chain_follows_the_recorded_times(env, tmp_path):
    folder = tmp_path / "maestro.ng" / "timings"
    folder.mkdir(parents=True)
    seconds = {"db": 0.5, "api": 1.0, "web": 0.25, "tool": 9.0}
    (folder / "sched.json").write_text(json.dumps({"at": "2026-12-07 16:00:00 UTC", "seconds": seconds}))
    view = timings.critical(env, ALL)
    assert view["services"] == ["tool"] and view["total"] == 9.0
    assert view["line"] == "critical path: tool 9.0s = 9.0s (the start of 2026-12-07 16:00:00 UTC)"
    seconds["tool"] = 1.0
    (folder / "sched.json").write_text(json.dumps({"at": "2026-12-07 16:00:00 UTC", "seconds": seconds}))
    assert timings.critical(env, ALL)["seconds"] == {"db": 0.5, "api": 1.0, "web": 0.25}


def test_a_check_run_or_a_failed_start_records_nothing(env, start, tmp_path):
    start(env, Ships(), check_mode=True)
    assert start(env, Ships(failing={"web-1"}))["failed"]
    assert not (tmp_path / "maestro.ng" / "timings").exists()
    assert timings.recorded("sched") is None


def test_an_unreadable_record_is_no_record(env, tmp_path):
    folder = tmp_path / "maestro.ng" / "timings"
    folder.mkdir(parents=True)
    (folder / "sched.json").write_text("{not json")
    assert timings.recorded("sched") is None and timings.critical(env, ALL)["total"] is None
