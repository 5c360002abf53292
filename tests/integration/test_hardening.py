"""Hardening: drift in status, keep_going when a ship is lost, plan then apply, repairs
after hand edits, --check that never touches a daemon, the bad-file corpus, a daemon
killed mid-start, and daemon values that must not be evaluated as templates.

Ships are always `lab.ships[i]`; each ship's Docker API is checked directly (inspects and
the daemon's own `events`) rather than trusting what the playbooks report.
"""

import importlib.util
import json
import os
import re
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ansible.errors import AnsibleError  # noqa: E402
from helpers.envs import (
    ALL,
    IMAGE,
    IMAGE_V2,
    REPO,
    _callback_plugins,
    ansible_playbook,
    failed,
    ids,
    inspect_all,
    ok,
    playbook,
    running,
    serving,
    ship_name,
    ships_of,
    three_levels,
    write_env,
)

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import desired_config  # noqa
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError  # noqa
from ansible_collections.maestro.ng.plugins.module_utils.model import environment  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator  # noqa
from ansible_collections.maestro.ng.plugins.module_utils.run.plans import read_plan  # noqa
from ansible_collections.maestro.ng.plugins.module_utils.run.status import status  # noqa
from ansible_collections.maestro.ng.plugins.plugin_utils import common  # noqa: E402

SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
BAD = REPO / "tests" / "unit" / "fixtures" / "bad"
# Docker events that mean a container or image was changed.
MUTATIONS = {
    "create",
    "start",
    "stop",
    "kill",
    "die",
    "destroy",
    "restart",
    "pause",
    "unpause",
    "rename",
    "update",
    "pull",
    "tag",
    "untag",
    "delete",
}


def events_since(lab, since, ships=None):
    """Every event the daemons of the lab (or ``ships``, 1-based) logged since ``since``."""
    until = time.time() + 0.5

    def one(k):
        api = lab.client(k, timeout=20)
        return [dict(e, _ship=lab.ships[k - 1]["name"]) for e in api.events(since=since, until=until, decode=True)]

    ks = list(ships or range(1, len(lab.ships) + 1))
    with ThreadPoolExecutor(len(ks)) as pool:
        return [e for found in pool.map(one, ks) for e in found]


def mutations(events):
    return [
        "%s %s %s" % (e["_ship"], e.get("Action"), (e.get("Actor") or {}).get("Attributes", {}).get("name"))
        for e in events
        if (e.get("Action") or "").split(":")[0] in MUTATIONS
    ]


def snapshot(lab):
    """What must not move under --check: id, state, start/finish times, image id."""
    return {
        name: (c["Id"], c["State"]["Status"], c["State"]["StartedAt"], c["State"]["FinishedAt"], c["Image"], c["_ship"])
        for name, c in inspect_all(lab).items()
    }


def rows_of(run, task="Ask every ship"):
    return {row["instance"]: row for row in run.result(task)["instances"]}


# ------------------------------------------------------------------------ 1. drift in status
def test_status_shows_drift_per_instance(clean_lab, tmp_path):
    lab = clean_lab
    model = three_levels(lab)
    path = write_env(tmp_path, model)
    ok(playbook("start", path))

    model["services"]["kafka"]["env"]["KAFKA_HEAP_OPTS"] = "-Xmx1g"
    model["services"]["web"]["image"] = IMAGE_V2
    model["services"]["zookeeper"]["instances"]["zk-1"]["stop_timeout"] = 7
    write_env(tmp_path, model)
    lab.client(2).stop("zk-2", timeout=1)
    run = ok(playbook("status", path, output="json"))
    rows = rows_of(run)
    assert rows["zk-2"]["drift"] == [] and rows["zk-3"]["drift"] == []
    assert rows["zk-1"]["drift"] == ["stop_timeout changed"]
    for name in ("kafka-1", "kafka-2", "kafka-3"):
        assert rows[name]["drift"] == ["env.KAFKA_HEAP_OPTS changed"], rows[name]
    for name in ("web-1", "web-2"):
        assert re.match(r"image changed \([0-9a-f]{12} -> [0-9a-f]{12}\)$", rows[name]["drift"][0]), rows[name]
    assert sorted(run.result("Ask every ship")["drifted"]) == sorted(
        ["zk-1", "kafka-1", "kafka-2", "kafka-3", "web-1", "web-2"]
    )
    table = run_table = ok(playbook("status", path)).output
    line = {n: ln for ln in table.splitlines() for n in ALL if re.search(r"\s%s\s" % n, ln)}
    assert "DRIFT" in run_table
    assert line["zk-3"].rstrip().endswith(" ok") and line["zk-2"].rstrip().endswith(" ok")
    assert line["kafka-1"].rstrip().endswith("env.KAFKA_HEAP_OPTS changed")
    assert "image changed" in line["web-2"]

    # The absent and the unreachable have no drift to show.
    lab.client(3).remove_container("kafka-3", force=True)
    rows = {r["instance"]: r for r in status(environment.load(str(path)), ALL)}
    assert rows["kafka-3"]["drift"] is None and rows["kafka-3"]["state"] == "absent"


def test_status_drift_costs_little_for_60_containers(clean_lab, tmp_path):
    """60 containers on 3 ships: status with drift (one container inspect each, one image
    inspect per ship) must stay within ~0.5 s of status without it."""
    lab = clean_lab
    model = {
        "name": "many",
        "ships": ships_of(lab),
        "services": {
            "many": {
                "image": IMAGE,
                "env": {"A": "1"},
                "instances": {
                    "m-%02d" % i: {"ship": ship_name(lab, 1 + i % 3), "command": SLEEP, "stop_timeout": 1}
                    for i in range(60)
                },
            }
        },
    }
    path = write_env(tmp_path, model)
    env = environment.load(str(path))
    names = list(env.instances)
    # Created only (not started): drift is about the settings, and this keeps the test fast.
    clients = {lab.ships[k - 1]["name"]: lab.client(k) for k in (1, 2, 3)}

    def create(name):
        api, desired = clients[env.instances[name]["ship"]], desired_config(env.instances[name])
        api.create_container(host_config=api.create_host_config(**desired["host_config"]), **desired["create"])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, names))
    status(env, names)  # warm the connections

    def best(drift):
        times = []
        for dummy in range(3):
            t0 = time.monotonic()
            rows = status(env, names, drift=drift)
            times.append(time.monotonic() - t0)
        return min(times), rows

    plain = best(False)[0]
    with_drift, rows = best(True)
    assert [r["drift"] for r in rows] == [[]] * 60, [r["drift"] for r in rows if r["drift"]]
    print("status of 60 containers: %.3f s without drift, %.3f s with" % (plain, with_drift))
    assert with_drift - plain < 0.5, (plain, with_drift)


# ------------------------------------------------------------------------ 2. keep going
def keep_going_model(lab):
    """lonely (ship3 only) and zookeeper/cache at level 1; kafka (ships 1 and 3) and api
    at level 2; web (needs kafka) at level 3."""
    s1, s2, s3 = (ship_name(lab, k) for k in (1, 2, 3))

    def inst(ship):
        return {"ship": ship, "command": SLEEP, "stop_timeout": 1}

    return {
        "name": "kg",
        "ships": ships_of(lab),
        "services": {
            "lonely": {"image": IMAGE, "instances": {"lonely-3": inst(s3)}},
            "zookeeper": {"image": IMAGE, "instances": {"zk-1": inst(s1), "zk-2": inst(s2)}},
            "cache": {"image": IMAGE, "instances": {"cache-1": inst(s1)}},
            "kafka": {
                "image": IMAGE,
                "requires": ["zookeeper"],
                "instances": {"kafka-1": inst(s1), "kafka-3": inst(s3)},
            },
            "api": {"image": IMAGE, "requires": ["cache"], "instances": {"api-2": inst(s2)}},
            "web": {"image": IMAGE, "requires": ["kafka"], "instances": {"web-2": inst(s2)}},
        },
    }


def test_keep_going_skips_only_the_lost_ship_and_its_dependents(clean_lab, tmp_path):
    lab = clean_lab
    path = write_env(tmp_path, keep_going_model(lab))
    ship3 = lab.ships[2]
    lab.stop_ship(3)
    try:
        run = failed(playbook("start", path, keep_going=True))
        result = run.result("Start, each service once its dependencies are up")
        skipped = {s["instance"]: s["why"] for s in result["skipped_instances"]}
        assert sorted(skipped) == ["kafka-3", "lonely-3", "web-2"], result["skipped_instances"]
        assert "ship %s (%s) is unreachable" % (ship3["name"], ship3["url"]) in skipped["lonely-3"]
        assert "ship %s" % ship3["name"] in skipped["kafka-3"]
        assert skipped["web-2"].startswith("depends on kafka"), skipped
        assert result["counts"]["failed"] == 0 and result["counts"]["skipped"] == 3
        assert "3 skipped (keep_going)" in result["msg"] and "web-2: depends on kafka" in result["msg"]
        assert "web: 0/1 ok, nothing to do" in run.output and "1 skipped" in run.output, str(run)
        found = inspect_all(lab, ships=[1, 2])
        converged = ["zk-1", "zk-2", "cache-1", "kafka-1", "api-2"]
        assert sorted(found) == sorted(converged)
        assert running(found, converged) == dict.fromkeys(converged, True)

    finally:
        lab.start_ship(3)
    run = ok(playbook("start", path, keep_going=True))
    found = inspect_all(lab)
    everything = converged + ["lonely-3", "kafka-3", "web-2"]
    assert running(found, everything) == dict.fromkeys(everything, True), str(run)


# ------------------------------------------------------------------------ 3. plan, then apply
def test_plan_then_apply_does_exactly_the_plan_and_refuses_when_things_moved(clean_lab, tmp_path):
    lab = clean_lab
    model = three_levels(lab)
    path = write_env(tmp_path, model)
    ok(playbook("start", path))
    model["services"]["kafka"]["env"]["KAFKA_HEAP_OPTS"] = "-Xmx1g"
    write_env(tmp_path, model)
    lab.client(3).stop("web-2", timeout=1)
    before = inspect_all(lab)

    plan_file = tmp_path / "plan.json"
    run = ok(playbook("start", path, "--check", plan=str(plan_file)))
    assert "plan written to %s: 4 none, 3 replace, 1 start" % plan_file in run.output, str(run)
    doc = json.loads(plan_file.read_text())
    actions = {e["instance"]: e["action"] for e in doc["instances"]}
    assert actions == {
        "zk-1": "none",
        "zk-2": "none",
        "zk-3": "none",
        "kafka-1": "replace",
        "kafka-2": "replace",
        "kafka-3": "replace",
        "web-1": "none",
        "web-2": "start",
    }
    entry = {e["instance"]: e for e in doc["instances"]}
    assert entry["kafka-1"]["reasons"] == ["env.KAFKA_HEAP_OPTS changed"]
    assert entry["web-2"]["live"]["state"] == "exited"
    assert entry["zk-1"]["live"]["container_id"] == before["zk-1"]["Id"]
    assert entry["zk-1"]["live"]["image_id"] == before["zk-1"]["Image"]
    assert snapshot(lab) == {
        n: (c["Id"], c["State"]["Status"], c["State"]["StartedAt"], c["State"]["FinishedAt"], c["Image"], c["_ship"])
        for n, c in before.items()
    }

    run = ok(playbook("start", path, apply_plan=str(plan_file)))
    after = inspect_all(lab)
    assert running(after, ALL) == dict.fromkeys(ALL, True)
    assert ids(after, ["zk-1", "zk-2", "zk-3", "web-1", "web-2"]) == ids(
        before, ["zk-1", "zk-2", "zk-3", "web-1", "web-2"]
    )
    assert all(after[n]["Id"] != before[n]["Id"] for n in ("kafka-1", "kafka-2", "kafka-3"))
    assert after["web-1"]["State"]["StartedAt"] == before["web-1"]["State"]["StartedAt"]

    # A plan whose live state moved is refused, naming the instance, and nothing changes.
    stop_plan = tmp_path / "stop.json"
    ok(playbook("stop", path, "--check", plan=str(stop_plan)))
    assert {e["action"] for e in json.loads(stop_plan.read_text())["instances"]} == {"stop"}
    lab.client(1).restart("kafka-1", timeout=1)
    moved = snapshot(lab)
    since = time.time()
    run = failed(playbook("stop", path, apply_plan=str(stop_plan)))
    assert re.search(r"refused, nothing was changed: .*kafka-1: started_at changed", run.output), str(run)
    assert snapshot(lab) == moved
    assert mutations(events_since(lab, since)) == []
    # A plan made for another command (or another environment) is refused too.
    env = environment.load(str(path))
    with pytest.raises(ContainerError, match="the plan is for stopped, not started"):
        read_plan(env, "started", json.loads(stop_plan.read_text()))
    with pytest.raises(ContainerError, match="the plan is for environment 'other', not 'pbtest'"):
        read_plan(env, "stopped", dict(json.loads(stop_plan.read_text()), environment="other"))

    # A fresh stop plan applies: everything stopped, dependents first.
    ok(playbook("stop", path, "--check", plan=str(stop_plan)))
    ok(playbook("stop", path, apply_plan=str(stop_plan)))
    assert running(inspect_all(lab), ALL) == dict.fromkeys(ALL, False)


# ------------------------------------------------------------------------ 4. hardening
def test_hand_made_changes_are_repaired_by_the_next_start(clean_lab, tmp_path):
    lab = clean_lab
    path = write_env(tmp_path, three_levels(lab))
    ok(playbook("start", path))
    before = inspect_all(lab)
    lab.client(1).remove_container("zk-1", force=True)  # removed
    lab.client(2).stop("kafka-2", timeout=1)  # stopped
    api3 = lab.client(3)  # replaced: other image, env
    api3.remove_container("web-2", force=True)
    api3.create_container(IMAGE_V2, name="web-2", command=SLEEP, environment={"PORT": "1", "EVIL": "yes"})
    api3.start("web-2")

    # A container made by hand under an instance's name is not replaced without a word: the run
    # refuses it before any change, and adopting it (once) repairs the rest too.
    refused = playbook("start", path)
    assert (
        refused.rc != 0
        and "web-2 on %s: the container named web-2 there was made by no maestro.ng" % (lab.ships[2]["name"])
        in refused.output
    ), str(refused)
    assert "zk-1" not in inspect_all(lab)
    run = ok(playbook("start", path, adopt=True))
    assert "web-2 on %s: recreated: image changed" % lab.ships[2]["name"] in run.output, str(run)
    after = inspect_all(lab)
    assert running(after, ALL) == dict.fromkeys(ALL, True)
    assert after["zk-1"]["Id"] != before["zk-1"]["Id"]
    assert after["kafka-2"]["Id"] == before["kafka-2"]["Id"]
    assert after["web-2"]["Config"]["Image"] == IMAGE and "EVIL=yes" not in after["web-2"]["Config"]["Env"]
    rows = rows_of(ok(playbook("status", path, output="json")))
    assert {n: r["drift"] for n, r in rows.items()} == {n: [] for n in ALL}


def test_check_with_every_kind_of_change_never_touches_a_daemon(clean_lab, tmp_path):
    lab = clean_lab
    model = three_levels(lab)
    path = write_env(tmp_path, model)
    ok(playbook("start", path))
    s1 = ship_name(lab, 1)
    model["services"]["web"]["instances"]["web-3"] = serving(s1, "http", 8080, 38081)  # new instance
    model["services"]["kafka"]["env"]["KAFKA_HEAP_OPTS"] = "-Xmx2g"  # env change
    model["services"]["web"]["image"] = IMAGE_V2  # image change
    model["services"]["web"]["instances"]["web-1"]["ports"]["extra"] = "7000:37000"  # extra port
    write_env(tmp_path, model)
    lab.client(2).stop("zk-2", timeout=1)  # stopped
    lab.client(1).remove_container("kafka-1", force=True)  # removed
    before = snapshot(lab)
    since = time.time()
    for command in ("start", "restart", "stop"):
        run = ok(playbook(command, path, "--check", "--diff"))
        assert run.recap["changed"] == 1, str(run)
        print(command, "--check", "%.1fs" % run.seconds)
    run = ok(playbook("start", path, "--check", plan=str(tmp_path / "p.json")))
    actions = {e["instance"]: e["action"] for e in json.loads((tmp_path / "p.json").read_text())["instances"]}
    assert actions == {
        "zk-1": "none",
        "zk-2": "start",
        "zk-3": "none",
        "kafka-1": "create",
        "kafka-2": "replace",
        "kafka-3": "replace",
        "web-1": "replace",
        "web-2": "replace",
        "web-3": "create",
    }
    assert snapshot(lab) == before
    assert mutations(events_since(lab, since)) == []


def _bad_errors():
    spec = importlib.util.spec_from_file_location(
        "bad_errors", REPO / "tests" / "unit" / "plugins" / "module_utils" / "test_errors.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ERRORS


# By file stem: some corpus files are not valid YAML on purpose and may use another extension.
SAMPLE = [
    "yaml_syntax",
    "duplicate_env_key",
    "missing_ships",
    "ship_unknown_key",
    "service_unknown_key",
    "privileged_string",
    "unknown_ship",
    "cycle",
]


def test_bad_environment_corpus_fails_with_its_line_and_no_docker_call(clean_lab, monkeypatch):
    lab = clean_lab
    errors = _bad_errors()
    by_stem = {os.path.splitext(name)[0]: name for name in errors}
    sample = [by_stem[stem] for stem in SAMPLE]
    assert len(errors) >= 40
    since = time.time()

    # Every file through the action plugins' own path (load_and_select), in-process.
    t0 = time.monotonic()
    monkeypatch.chdir(BAD)
    monkeypatch.setattr(common, "_stdin", lambda: None)
    for name, message in sorted(errors.items()):
        with pytest.raises(AnsibleError) as info:
            common.load_and_select({"env": name, "services": [], "ships": [], "with_dependencies": True})
        assert info.value.message.replace(str(BAD), ".") == message, name
    monkeypatch.undo()
    print("%d bad files in-process in %.2fs" % (len(errors), time.monotonic() - t0))

    # A sample through ansible-playbook as a user runs it, in parallel.
    def run(name):
        return name, playbook("start", BAD / name)

    t0 = time.monotonic()
    with ThreadPoolExecutor(len(sample)) as pool:
        results = list(pool.map(run, sample))
    print("%d bad files through ansible-playbook in %.1fs" % (len(sample), time.monotonic() - t0))
    for name, result in results:
        failed(result)
        expected = str(BAD / name) + errors[name][len(name) :]
        assert result.result("Start, each service once its dependencies are up")["msg"] == expected, str(result)
        assert expected in result.output.replace("''", "'"), str(result)
        assert 'File "' not in result.output, str(result)
    assert events_since(lab, since) == []
    assert inspect_all(lab) == {}


def kill_model(lab):
    """12 containers on 3 ships: base (3) <- mid (6) <- top (3). base takes 2 s to be up."""
    s = [ship_name(lab, k) for k in (1, 2, 3)]

    def inst(ship):
        return {"ship": ship, "command": SLEEP, "stop_timeout": 1}

    return {
        "name": "killed",
        "ships": ships_of(lab),
        "ship_defaults": {"timeout": 5},
        "services": {
            "base": {
                "image": IMAGE,
                "lifecycle": {"running": [{"type": "sleep", "wait": 2}]},
                "instances": {"base-%d" % k: inst(s[k - 1]) for k in (1, 2, 3)},
            },
            "mid": {
                "image": IMAGE,
                "requires": ["base"],
                "instances": {"mid-%d" % k: inst(s[(k - 1) % 3]) for k in range(1, 7)},
            },
            "top": {
                "image": IMAGE,
                "requires": ["mid"],
                "instances": {"top-%d" % k: inst(s[k - 1]) for k in (1, 2, 3)},
            },
        },
    }


def test_a_daemon_killed_mid_start_fails_naming_the_ship_and_a_rerun_converges(clean_lab, tmp_path):
    lab = clean_lab
    path = write_env(tmp_path, kill_model(lab))
    ship3 = lab.ships[2]
    levels = {"base": 1, "mid": 2, "top": 3}
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("run", playbook("start", path)))
    worker.start()
    try:
        api = [lab.client(k, timeout=5) for k in (1, 2, 3)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            names = {c["Names"][0].lstrip("/") for a in api for c in a.containers(all=True)}
            if {"base-1", "base-2", "base-3"} <= names:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the first level never appeared")
        pid = int(Path("/run/mlab/ship%d/dockerd.pid" % ship3["number"]).read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        worker.join(120)
        run = failed(outcome["run"])
        assert "ship %s (%s) is unreachable" % (ship3["name"], ship3["url"]) in run.output, str(run)
        found = inspect_all(lab, ships=[1, 2])
        done = [n for n in found if not n.startswith("top-")]
        assert sorted(found) == sorted(done), sorted(found)  # level 3 never ran
        assert all(found[n]["State"]["Running"] for n in found), {n: c["State"]["Status"] for n, c in found.items()}
        assert {n.split("-")[0] for n in found} <= {"base", "mid"}
    finally:
        worker.join(120)
        lab.up(3)
    run = ok(playbook("start", path))
    found = inspect_all(lab)
    assert len(found) == 12 and all(c["State"]["Running"] for c in found.values()), str(run)
    assert {levels[n.split("-")[0]] for n in found} == {1, 2, 3}


def test_values_from_the_daemon_are_not_evaluated_as_templates(clean_lab, tmp_path):
    lab = clean_lab
    marker = tmp_path / ("pwned-%s" % uuid.uuid4().hex[:8])
    control = tmp_path / "control"
    payload = "{{ lookup('pipe','touch %s') }}" % marker
    model = {
        "name": "untrusted",
        "ships": ships_of(lab),
        "services": {
            "web": {
                "image": IMAGE,
                "instances": {"web-1": {"ship": ship_name(lab, 1), "command": SLEEP, "stop_timeout": 1}},
            }
        },
    }
    path = write_env(tmp_path, model)
    # A container made by hand under the instance's name, carrying the payload in an env
    # key and value, a label key and value, and its command (so in Status-adjacent data).
    api = lab.client(1)
    api.create_container(
        IMAGE,
        name="web-1",
        command=["sh", "-c", "sleep 3600 # " + payload],
        environment={payload: payload},
        labels={payload: payload},
    )
    api.start("web-1")
    book = tmp_path / "use_status.yml"
    book.write_text(
        """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask every ship
      maestro.ng.status:
        env: %s
      register: st
    - name: Use the rows
      ansible.builtin.debug:
        msg: "{{ st.table }} {{ st.instances }} {{ st.instances[0].drift | join(',') }}"
    - name: Use them as a var
      ansible.builtin.debug:
        var: st.instances[0].drift
    - name: Control, a template written in the playbook itself does run
      ansible.builtin.debug:
        msg: "{{ lookup('pipe', 'touch %s') }}"
"""
        % (path, control)
    )
    rc, out = ansible_playbook(
        book, environ=dict(ANSIBLE_CALLBACK_PLUGINS=_callback_plugins(), PYTHONWARNINGS="ignore"), timeout=120
    )
    assert rc == 0, out
    assert control.exists(), out  # the control proves pipe lookups work here
    assert not marker.exists(), out  # the daemon's strings were not evaluated
    assert "env.%s removed" % payload in out.replace("''", "'") or payload in out, out
    # The standard status playbook, both outputs.
    for output in ("table", "json"):
        run = ok(playbook("status", path, output=output))
        assert "env.{{ lookup" in run.output, str(run)
    assert not marker.exists()


def test_registry_credentials_go_with_pulls_from_that_registry(lab, tmp_path):
    """No registry here: check the credentials the Docker SDK would send with a pull."""
    import base64

    import docker.auth

    model = {
        "name": "reg",
        "ships": ships_of(lab),
        "registries": {
            "quay.io": {"registry": "https://quay.io/v1/", "username": "bob", "password": "s3cret"},
            "mine": {
                "registry": "https://registry.example:5000",
                "username": "amy",
                "password": "pw",
                "email": "amy@example.com",
            },
        },
        "services": {
            "web": {"image": "registry.example:5000/team/web:1", "instances": {"web-1": {"ship": ship_name(lab, 1)}}}
        },
    }
    env = environment.load(str(write_env(tmp_path, model)))
    client = Orchestrator(env).client(ship_name(lab, 1))

    def sent(image):
        registry, _repo = docker.auth.resolve_repository_name(image)
        header = docker.auth.get_config_header(client, registry)
        return json.loads(base64.urlsafe_b64decode(header)) if header else None

    assert sent("registry.example:5000/team/web:1")["username"] == "amy"
    assert sent("quay.io/org/app")["username"] == "bob" and sent("quay.io/org/app")["password"] == "s3cret"
    assert sent("busybox") is None or sent("busybox").get("username") not in ("amy", "bob")
