"""Changing a running environment (docs/docsite/rst/updates.rst), on the lab's ships as a user does it: the
`maestro` command (the engine in process), site.yml and the container module.

Nothing is lost (anonymous volumes carried over, the old container kept until the new one is
ready), a bad change rolls back to the very same containers, a good one never takes a whole
service down, a crash at any step is converged by the next run, and a container the environment
did not make is never touched without --adopt."""

import json
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from helpers.envs import (
    IMAGE,
    REPO,
    TRACEBACK,
    ansible_playbook,
    env_map,
    exec_in,
    ids,
    inspect_all,
    running,
    serving,
    ship_name,
    ships_of,
    write_env,
)
from test_cli import command, command_env, maestro

from ansible_collections.maestro.ng.plugins.module_utils.docker.container import STEPS

HOST_PORT = 48080
SITE = REPO / "playbooks" / "site.yml"


def web(lab, n=2, parallelism=None, max_wait=4):
    """web: ``n`` instances (ship k for web-k) serving $PORT (8080, published on 48080), a tcp
    check, and an anonymous volume at /data. A change of PORT is a bad change: the check's port
    is no longer served."""
    service = {
        "image": IMAGE,
        "env": {"PORT": 8080, "MSG": "one"},
        "lifecycle": {"running": [{"type": "tcp", "port": "http", "max_wait": max_wait}]},
        "instances": {
            "web-%d" % k: serving(
                ship_name(lab, k), "http", 8080, HOST_PORT, container_volumes=["/data"], stop_timeout=1
            )
            for k in range(1, n + 1)
        },
    }
    if parallelism is not None:
        service["update"] = {"parallelism": parallelism}
    return {
        "__maestro": {"schema": 2},
        "name": "rollout",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {"web": service},
    }


def changed(model, **env):
    model["services"]["web"]["env"].update(env)
    return model


def write_data(lab, n):
    for k in range(1, n + 1):
        assert exec_in(lab, k, "web-%d" % k, ["sh", "-c", "echo kept-%d > /data/file" % k])[0] == 0


def data(lab, n):
    return [exec_in(lab, k, "web-%d" % k, ["cat", "/data/file"])[1].strip() for k in range(1, n + 1)]


def answers(lab, k, settle=0.2):
    """Whether web-k's port on ship k accepts a connection and keeps it ``settle`` seconds (a real
    listener: Docker's proxy accepts, then closes when nothing listens behind it)."""
    try:
        with socket.create_connection((lab.ships[k - 1]["ip"], HOST_PORT), timeout=0.5) as sock:
            sock.settimeout(settle)
            try:
                return sock.recv(1) != b""
            except socket.timeout:
                return True
    except OSError:
        return False


def names_on(found):
    return sorted(found)


def start(folder, *args):
    rc, out = maestro(folder, "-f", "env.yaml", "start", *args)
    assert TRACEBACK not in out, out
    return rc, out


# ------------------------------------------------------------------------------------ data kept


def test_a_change_keeps_the_anonymous_volumes_through_start_restart_and_a_rollback(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab))
    assert start(tmp_path)[0] == 0
    write_data(clean_lab, 2)

    write_env(tmp_path, changed(web(clean_lab), MSG="two"))
    rc, out = start(tmp_path)
    assert rc == 0, out
    assert "web-1 on %s: recreated: env.MSG changed (kept the volumes at /data)" % ship_name(clean_lab, 1) in out
    assert data(clean_lab, 2) == ["kept-1", "kept-2"]

    write_env(tmp_path, changed(web(clean_lab), MSG="three"))
    rc, out = maestro(tmp_path, "-f", "env.yaml", "restart")
    assert rc == 0, out
    assert data(clean_lab, 2) == ["kept-1", "kept-2"]

    write_env(tmp_path, changed(web(clean_lab), MSG="three", PORT=8081))  # fails its check
    rc, out = start(tmp_path)
    assert rc != 0 and "rolled back" in out, out
    assert data(clean_lab, 2) == ["kept-1", "kept-2"]
    # A file without update: means what it meant before: nothing else leaks, no volume is lost.
    found = inspect_all(clean_lab)
    assert env_map(found["web-1"])["MSG"] == "three" and env_map(found["web-2"])["MSG"] == "three"


def test_clean_removes_the_carried_volumes_as_maestrong_removes_anonymous_ones(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab, n=1))
    assert start(tmp_path)[0] == 0
    write_env(tmp_path, changed(web(clean_lab, n=1), MSG="two"))
    assert start(tmp_path)[0] == 0
    api = clean_lab.client(1)
    volumes = [m["Name"] for m in api.inspect_container("web-1")["Mounts"] if m["Destination"] == "/data"]
    assert len(volumes) == 1
    assert maestro(tmp_path, "-f", "env.yaml", "stop")[0] == 0
    rc, out = maestro(tmp_path, "-f", "env.yaml", "clean")
    assert rc == 0, out
    assert volumes[0] not in [v["Name"] for v in api.volumes()["Volumes"] or []]


# ------------------------------------------------------------------------------- a bad change


def test_a_bad_change_rolls_back_to_the_very_same_containers_and_fails_again_when_run_again(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab))
    assert start(tmp_path)[0] == 0
    before = ids(inspect_all(clean_lab), ["web-1", "web-2"])

    write_env(tmp_path, changed(web(clean_lab), PORT=8081))
    rc, out = start(tmp_path)
    assert rc != 0, out
    assert "rolled back to its previous container %s" % before["web-1"][:12] in out, out
    assert "web-2 on %s: not run: the rollout of web stopped: web-1 failed" % ship_name(clean_lab, 2) in out, out
    found = inspect_all(clean_lab)
    assert ids(found, ["web-1", "web-2"]) == before
    assert running(found, ["web-1", "web-2"]) == {"web-1": True, "web-2": True}
    assert answers(clean_lab, 1) and answers(clean_lab, 2)
    assert names_on(found) == ["web-1", "web-1.maestro-failed", "web-2"]  # the evidence, stopped
    assert not found["web-1.maestro-failed"]["State"]["Running"]

    rc, out = start(tmp_path)  # the file still asks for the bad change
    assert rc != 0 and "rolled back" in out, out
    assert ids(inspect_all(clean_lab), ["web-1", "web-2"]) == before

    rc, out = maestro(tmp_path, "-f", "env.yaml", "status")
    assert "last change rolled back" in out and "1 rolled back" in out, out

    write_env(tmp_path, changed(web(clean_lab), MSG="fixed"))  # a good change: the evidence goes
    rc, out = start(tmp_path)
    assert rc == 0, out
    assert names_on(inspect_all(clean_lab)) == ["web-1", "web-2"]


def test_a_failed_batch_rolls_back_the_batches_before_it(clean_lab, tmp_path):
    """web-1 is replaced, web-2's replacement fails: with rollback (the default) web-1 goes back too."""
    model = web(clean_lab)
    write_env(tmp_path, model)
    assert start(tmp_path)[0] == 0
    before = ids(inspect_all(clean_lab), ["web-1", "web-2"])
    bad = changed(web(clean_lab), MSG="two")
    bad["services"]["web"]["instances"]["web-2"]["env"] = {"PORT": 8081}  # only web-2's fails
    write_env(tmp_path, bad)
    rc, out = start(tmp_path)
    assert rc != 0, out
    assert "web-1 on %s: replacing it (env.MSG changed) failed; rolled back" % ship_name(clean_lab, 1) in out, out
    assert ids(inspect_all(clean_lab), ["web-1", "web-2"]) == before

    rc, out = start(tmp_path, "--update-failure-action", "pause")  # keep what is done
    assert rc != 0, out
    found = inspect_all(clean_lab)
    assert found["web-1"]["Id"] != before["web-1"] and found["web-2"]["Id"] == before["web-2"]
    assert env_map(found["web-1"])["MSG"] == "two"


# ---------------------------------------------------------------------------- a good change


def test_a_good_change_never_takes_every_instance_down_at_once(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab, n=3))
    assert start(tmp_path)[0] == 0
    rounds, stop = [], threading.Event()

    def probe():
        with ThreadPoolExecutor(3) as pool:
            while not stop.is_set():
                rounds.append(list(pool.map(lambda k: answers(clean_lab, k, settle=0.03), (1, 2, 3))))
                time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        write_env(tmp_path, changed(web(clean_lab, n=3), MSG="two"))
        rc, out = start(tmp_path)
    finally:
        stop.set()
        prober.join()
    assert rc == 0 and "3 recreated" in out, out
    assert len(rounds) > 10
    assert [r for r in rounds if not any(r)] == []  # never all down
    assert any(not all(r) for r in rounds)  # each was replaced, so some round saw one down


def test_all_at_once_when_the_service_says_so(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab, n=3, parallelism="100%"))
    assert start(tmp_path)[0] == 0
    write_env(tmp_path, changed(web(clean_lab, n=3, parallelism="100%"), MSG="two"))
    rc, out = start(tmp_path, "--", "--check", "--diff")  # what it would do first
    assert rc == 0 and "would replace 3 instances, 3 at a time, rollback on failure" in out, out
    rc, out = start(tmp_path)
    assert rc == 0 and "replacing 3 instances, 3 at a time" in out, out


# ------------------------------------------------------------------------------------ crashes


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_is_converged_by_the_next_run(clean_lab, tmp_path, step):
    write_env(tmp_path, web(clean_lab))
    assert start(tmp_path)[0] == 0
    write_data(clean_lab, 2)
    before = ids(inspect_all(clean_lab), ["web-1", "web-2"])
    bad = step in ("failed-aside", "restored")  # steps of a rollback: a change that fails
    write_env(tmp_path, changed(web(clean_lab), **({"PORT": 8081} if bad else {"MSG": "two"})))

    proc = subprocess.run(
        command("-f", "env.yaml", "start"),
        cwd=str(tmp_path),
        env=dict(command_env(), MAESTRO_TEST_CRASH_AT=step),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr  # killed at that step

    rc, out = start(tmp_path)  # the same command again
    found = inspect_all(clean_lab)
    if bad:
        assert rc != 0 and "rolled back" in out, out
        assert names_on(found) == ["web-1", "web-1.maestro-failed", "web-2"], out
        assert ids(found, ["web-1", "web-2"]) == before
    else:
        assert rc == 0, out
        assert names_on(found) == ["web-1", "web-2"], out
        assert {env_map(found[n])["MSG"] for n in ("web-1", "web-2")} == {"two"}
    assert running(found, ["web-1", "web-2"]) == {"web-1": True, "web-2": True}
    assert data(clean_lab, 2) == ["kept-1", "kept-2"]


# ------------------------------------------------------------------- site.yml, the module


def test_site_yml_rolls_back_a_bad_change_too(clean_lab, tmp_path):
    path = write_env(tmp_path, web(clean_lab))
    rc, out = ansible_playbook("-i", path, SITE, environ={"PYTHONWARNINGS": "ignore"}, timeout=300)
    assert rc == 0, out
    before = ids(inspect_all(clean_lab), ["web-1", "web-2"])
    write_env(tmp_path, changed(web(clean_lab), PORT=8081))
    rc, out = ansible_playbook("-i", path, SITE, environ={"PYTHONWARNINGS": "ignore"}, timeout=300)
    assert rc != 0 and "rolled back to its previous container" in out, out
    found = inspect_all(clean_lab)
    assert ids(found, ["web-1", "web-2"]) == before
    assert running(found, ["web-1", "web-2"]) == {"web-1": True, "web-2": True}


def test_the_container_module_rolls_back_a_bad_change(clean_lab, tmp_path):
    ship = clean_lab.ships[0]

    def play(port):
        task = {
            "maestro.ng.container": {
                "name": "solo",
                "image": IMAGE,
                "docker_url": ship["url"],
                "ship_ip": ship["ip"],
                "command": ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p %d -h / & wait" % port],
                "ports": [{"name": "http", "exposed": "8080", "external": str(HOST_PORT)}],
                "container_volumes": ["/data"],
                "stop_timeout": 1,
                "lifecycle": {"running": [{"type": "tcp", "port": HOST_PORT, "max_wait": 4}]},
            }
        }
        path = tmp_path / "play.yml"
        path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
        return ansible_playbook(path, environ={"PYTHONWARNINGS": "ignore"})

    rc, out = play(8080)
    assert rc == 0, out
    api = clean_lab.client(1)
    before = api.inspect_container("solo")["Id"]
    rc, out = play(8081)
    assert rc != 0 and "rolled back to its previous container %s" % before[:12] in out, out
    assert api.inspect_container("solo")["Id"] == before and api.inspect_container("solo")["State"]["Running"]
    assert api.inspect_container("solo.maestro-failed")["State"]["Running"] is False


# ----------------------------------------------------------------------- only what is ours


def test_a_container_made_by_hand_is_left_alone_until_adopted(clean_lab, tmp_path):
    api = clean_lab.client(1)
    made = api.create_container(
        IMAGE,
        name="web-1",
        command=["sh", "-c", "trap 'exit 0' TERM; echo by-hand > /data/file; sleep 3600 & wait"],
        volumes=["/data"],
        host_config=api.create_host_config(),
    )
    api.start(made["Id"])
    write_env(tmp_path, web(clean_lab))
    rc, out = start(tmp_path)
    assert rc != 0, out
    assert (
        "web-1 on %s: the container named web-1 there was made by no maestro.ng environment" % (ship_name(clean_lab, 1))
        in out
    ), out
    assert "--adopt" in out and "nothing was changed" in out, out
    found = inspect_all(clean_lab)
    assert names_on(found) == ["web-1"] and found["web-1"]["Id"] == made["Id"]  # web-2 was not made either

    rc, out = start(tmp_path, "--adopt")
    assert rc == 0, out
    found = inspect_all(clean_lab)
    assert found["web-1"]["Id"] != made["Id"] and names_on(found) == ["web-1", "web-2"]
    assert exec_in(clean_lab, 1, "web-1", ["cat", "/data/file"])[1].strip() == "by-hand"
    assert start(tmp_path)[0] == 0  # adopted once: ours now


def test_plan_files_say_replace_and_what_is_kept(clean_lab, tmp_path):
    write_env(tmp_path, web(clean_lab))
    assert start(tmp_path)[0] == 0
    write_env(tmp_path, changed(web(clean_lab), MSG="two"))
    plan = tmp_path / "plan.json"
    rc, out = start(tmp_path, "--", "--check", "-e", "plan=%s" % plan)
    assert rc == 0, out
    doc = json.loads(plan.read_text())
    assert doc["maestro_plan"] == 2
    entry = {e["instance"]: e for e in doc["instances"]}["web-1"]
    assert (entry["action"], entry["keeps"], entry["rollout"]) == (
        "replace",
        ["/data"],
        {"batch": 1, "of": 2, "size": 1},
    )
