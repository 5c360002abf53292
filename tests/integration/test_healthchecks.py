"""Readiness on real daemons. Docker healthchecks: a dependent starts only once its dependency, on
another ship, is healthy; an unhealthy dependency fails the start and its dependent is never created;
the check is set on the container, and a second start changes nothing. Oneshots: a migration runs
once, its dependent starts after it exited 0, and a failing one stops the start with its exit code."""

import docker
from helpers.envs import (
    IMAGE,
    failed,
    finished_at,
    inspect_all,
    ok,
    playbook,
    ship_name,
    ships_of,
    started_at,
    timestamp,
    write_env,
)

# Ready (the file the healthcheck looks for) 3 s after the start; leaves at once on TERM.
SLOW_READY = "trap 'exit 0' TERM; (sleep 3; touch /tmp/ready) & sleep 600 & wait"
WAIT = "trap 'exit 0' TERM; sleep 600 & wait"


def db_and_app(lab, test="test -f /tmp/ready"):
    """db (db-1 on ship 1, healthy once /tmp/ready exists) <- app (app-1 on ship 2)."""
    return {
        "name": "health",
        "ships": ships_of(lab),
        "services": {
            "db": {
                "image": IMAGE,
                "healthcheck": {
                    "test": test,
                    "interval": "500ms",
                    "timeout": "2s",
                    "retries": 4,
                    "start_period": "10s",
                },
                "instances": {
                    "db-1": {"ship": ship_name(lab, 1), "command": ["sh", "-c", SLOW_READY], "stop_timeout": 1}
                },
            },
            "app": {
                "image": IMAGE,
                "requires": ["db"],
                "instances": {"app-1": {"ship": ship_name(lab, 2), "command": ["sh", "-c", WAIT], "stop_timeout": 1}},
            },
        },
    }


def first_healthy_probe(inspect):
    """When the container's first passing probe ended."""
    return min(timestamp(probe["End"]) for probe in inspect["State"]["Health"]["Log"] if probe["ExitCode"] == 0)


def test_a_dependent_starts_once_its_dependency_is_healthy(clean_lab, tmp_path):
    path = write_env(tmp_path, db_and_app(clean_lab))
    ok(playbook("start", path))
    found = inspect_all(clean_lab)
    assert found["db-1"]["State"]["Health"]["Status"] == "healthy"
    assert found["db-1"]["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "test -f /tmp/ready"]
    assert found["db-1"]["Config"]["Healthcheck"]["Interval"] == 500_000_000
    assert started_at(found, "app-1") >= first_healthy_probe(found["db-1"])
    assert (started_at(found, "app-1") - started_at(found, "db-1")).total_seconds() >= 3
    assert ok(playbook("start", path)).recap["changed"] == 0


def test_without_waiting_for_health_a_dependent_starts_once_its_dependency_runs(clean_lab, tmp_path):
    path = write_env(tmp_path, db_and_app(clean_lab))
    ok(playbook("start", path, wait_healthy=False))
    found = inspect_all(clean_lab)
    assert (started_at(found, "app-1") - started_at(found, "db-1")).total_seconds() < 3


def test_an_unhealthy_dependency_fails_the_start_and_its_dependent_is_never_created(clean_lab, tmp_path):
    path = write_env(tmp_path, db_and_app(clean_lab, test="echo not ready; exit 1"))
    run = failed(playbook("start", path), "db-1: unhealthy (its healthcheck's last probes: exit 1: not ready")
    assert "app:" not in run.output
    found = inspect_all(clean_lab)
    assert "app-1" not in found and found["db-1"]["State"]["Health"]["Status"] == "unhealthy"


# ------------------------------------------------------------------ oneshot: run to completion


def migrate_and_app(lab, script="echo migrating; sleep 2; echo migrated"):
    """migrate (a oneshot: migrate-1 on ship 1) <- app (app-1 on ship 2)."""
    return {
        "name": "oneshot",
        "ships": ships_of(lab),
        "services": {
            "migrate": {
                "image": IMAGE,
                "oneshot": {"timeout": "1m"},
                "instances": {"migrate-1": {"ship": ship_name(lab, 1), "command": ["sh", "-c", script]}},
            },
            "app": {
                "image": IMAGE,
                "requires": ["migrate"],
                "instances": {"app-1": {"ship": ship_name(lab, 2), "command": ["sh", "-c", WAIT], "stop_timeout": 1}},
            },
        },
    }


def test_a_oneshot_runs_once_and_its_dependent_starts_after_it_exited_0(clean_lab, tmp_path):
    path = write_env(tmp_path, migrate_and_app(clean_lab))
    ok(playbook("start", path))
    found = inspect_all(clean_lab)
    assert found["migrate-1"]["State"]["Status"] == "exited" and found["migrate-1"]["State"]["ExitCode"] == 0
    assert started_at(found, "app-1") >= finished_at(found, "migrate-1")
    assert ok(playbook("start", path)).recap["changed"] == 0
    again = inspect_all(clean_lab)
    assert again["migrate-1"]["State"]["StartedAt"] == found["migrate-1"]["State"]["StartedAt"]  # not run again
    status = ok(playbook("status", path))
    assert "done (exit 0, " in status.output and "1 running, 1 done" in status.output, status.output
    ok(playbook("start", path, rerun_oneshots=True))
    rerun = inspect_all(clean_lab)["migrate-1"]
    assert (
        rerun["Id"] == found["migrate-1"]["Id"]
        and rerun["State"]["StartedAt"] != found["migrate-1"]["State"]["StartedAt"]
    )


def test_a_failing_oneshot_stops_the_start_with_its_exit_code_and_log_lines(clean_lab, tmp_path):
    path = write_env(tmp_path, migrate_and_app(clean_lab, script="echo schema is broken; exit 3"))
    run = failed(playbook("start", path), "migrate-1: the oneshot failed (exit code 3)", "schema is broken")
    assert "app:" not in run.output
    assert "app-1" not in inspect_all(clean_lab)


def test_the_readiness_example_runs_in_order_on_the_main_daemon(lab):
    # examples/readiness.yaml, as its comment says to run it: db healthy, then migrate done, then app.
    example = "examples/readiness.yaml"
    client = docker.APIClient(base_url="unix:///var/run/docker.sock", version="1.41")
    try:
        ok(playbook("start", example))
        found = {name: client.inspect_container(name) for name in ("rd-db-1", "rd-migrate-1", "rd-app-1")}
        assert timestamp(found["rd-migrate-1"]["State"]["StartedAt"]) >= first_healthy_probe(found["rd-db-1"])
        assert started_at(found, "rd-app-1") >= finished_at(found, "rd-migrate-1")
        status = ok(playbook("status", example))
        assert "(healthy)" in status.output and "2 running, 1 done" in status.output, status.output
    finally:
        playbook("stop", example)
        playbook("clean", example)
