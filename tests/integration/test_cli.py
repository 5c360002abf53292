"""The `maestro` command (python -m maestro_cli) on the lab, run as a migrating user runs it:
from the folder of their environment file, with MaestroNG's arguments."""

import json
import os
import re
import signal
import subprocess
import sys

import pytest
import yaml
from helpers.envs import IMAGE, REPO, TRACEBACK, inspect_all, running, serving, ship_name, ships_of, write_env
from test_concurrency import SLOW, slow_levels

PYTHON = REPO / ".venv" / "bin" / "python"


def two_services(lab):
    """db (ship 1) <- app (ship 2): one instance each, no checks (quick)."""
    return {
        "__maestro": {"schema": 2},
        "name": "clitest",
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "db": {
                "image": IMAGE,
                "env": {"PORT": 5432},
                "instances": {"db-1": serving(ship_name(lab, 1), "sql", 5432, 35432, stop_timeout=1)},
            },
            "app": {
                "image": IMAGE,
                "requires": ["db"],
                "env": {"PORT": 8000},
                "instances": {"app-1": serving(ship_name(lab, 2), "http", 8000, 38000, stop_timeout=1)},
            },
        },
    }


def command_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(PYTHONPATH=str(REPO), ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore")
    return env


def command(*args):
    return [str(PYTHON if PYTHON.exists() else sys.executable), "-m", "maestro_cli", *args]


def maestro(folder, *args, stdin=None):
    """Run `python -m maestro_cli ARGS` in folder; (exit code, stdout + stderr)."""
    proc = subprocess.run(
        command(*args),
        cwd=str(folder),
        env=command_env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        check=False,
    )
    return proc.returncode, proc.stdout


def test_start_status_stop_from_the_users_folder(clean_lab, tmp_path):
    write_env(tmp_path, two_services(clean_lab), filename="maestro.yaml")
    rc, out = maestro(tmp_path, "start")  # ./maestro.yaml by default
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": True}

    rc, out = maestro(tmp_path)  # no command: status
    assert rc == 0, out
    rows = [line for line in out.splitlines() if "db-1" in line or "app-1" in line]
    assert len(rows) == 2 and all(re.search(r"\b(Up|running)\b", row) for row in rows), out

    # MaestroNG: named things only, unless -d
    rc, out = maestro(tmp_path, "-f", "maestro.yaml", "stop", "app")
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": False}


def test_environment_on_stdin(clean_lab, tmp_path):
    text = yaml.safe_dump(two_services(clean_lab))
    rc, out = maestro(tmp_path, "-f", "-", "start", "-d", "app", stdin=text)
    assert rc == 0, out
    assert running(inspect_all(clean_lab), ["db-1", "app-1"]) == {"db-1": True, "app-1": True}
    rc, out = maestro(tmp_path, "-f", "-", "status", stdin=text)
    assert rc == 0 and "app-1" in out, out


def test_bad_file_fails_with_one_line(lab, tmp_path):
    model = two_services(lab)
    model["services"]["app"]["instances"]["app-1"]["ship"] = "nowhere"
    path = write_env(tmp_path, model, filename="bad.yaml")
    rc, out = maestro(tmp_path, "-f", path.name, "start")
    assert rc != 0, out
    errors = [line for line in out.splitlines() if "unknown ship 'nowhere'" in line]
    assert len(errors) == 1 and "bad.yaml" in errors[0], out

    rc, out = maestro(tmp_path, "-f", "missing.yaml", "status")
    assert rc == 1
    assert out.strip().splitlines() == [
        "maestro: cannot read environment file %s: no such file" % (tmp_path / "missing.yaml")
    ]


@pytest.mark.parametrize("args", [["logs"], ["start", "-c", "x"]])
def test_bad_arguments(tmp_path, args):
    rc, out = maestro(tmp_path, *args)
    assert rc == 2 and "usage: maestro" in out


# ------------------------------------------------------------------ the engine and the playbooks agree
PATHS = {"engine": [], "ansible": ["--via-ansible"]}
TIMES = re.compile(r"\b\d+(\.\d+)?(ms|s)\b")


def progress(out):
    """The engine's own lines of a run (services, containers, summary), times masked: what
    both paths print, the playbook among its PLAY / TASK banners."""
    return [
        TIMES.sub("T", line.strip())
        for line in out.splitlines()
        if re.match(
            r"^\s*([\w.-]+: (\d+/\d+ |\w+ \d+ instances? on )|(start|stop|restart|kill|clean|pull)( \(check mode\))?:)",
            line,
        )
    ]


def audited_services(lab, tmp_path, boom=False):
    model = two_services(lab)
    model["audit"] = [{"type": "log", "file": str(tmp_path / "audit.log"), "level": "debug"}]
    if boom:
        app = model["services"]["app"]["instances"]["app-1"]
        app["command"] = ["sh", "-c", "echo boom-marker; exit 3"]
    return model


def audit_messages(path):
    """The messages of an audit log, without their time stamps (and container ids as ID)."""
    return [re.sub(r"\b[0-9a-f]{12}\b", "ID", line.split(": ", 1)[1]) for line in path.read_text().splitlines()]


def scenario(lab, folder, path_args):
    """start, start again, status, stop app, a start whose app dies: (exit code, progress lines,
    status rows) of each step and the audit trail."""
    lab.reset()
    steps = []
    for args in (["start"], ["start"], ["status"], ["stop", "app"]):
        rc, out = maestro(folder, *path_args, *args)
        # service, instance, ship, Up / Exited, drift (not the uptime)
        rows = sorted(
            " ".join(line.split()[:3] + line.split()[4:5] + line.split()[-1:])
            for line in out.splitlines()
            if re.match(r"^(db|app) +(db|app)-1 ", line)
        )
        steps.append((args, rc, progress(out), rows))
    write_env(folder, audited_services(lab, folder, boom=True), filename="maestro.yaml")
    rc, out = maestro(folder, *path_args, "start", "--start-grace", "0.5")
    steps.append((["start", "boom"], rc, progress(out), "boom-marker" in out))
    rc, out = maestro(folder, *path_args, "logs", "app-1")
    steps.append((["logs", "app-1"], rc, [line for line in out.splitlines() if "boom-marker" in line][:1], None))
    return steps, audit_messages(folder / "audit.log")


def both_ways(lab, tmp_path, run_scenario):
    """{path: what run_scenario(lab, folder, path_args) found}, each path in a folder of its own."""
    found = {}
    for name, path_args in PATHS.items():
        folder = tmp_path / name
        folder.mkdir()
        write_env(folder, audited_services(lab, folder), filename="maestro.yaml")
        found[name] = run_scenario(lab, folder, path_args)
    return found


def test_the_engine_and_the_playbooks_agree(clean_lab, tmp_path):
    found = both_ways(clean_lab, tmp_path, scenario)
    steps, audit = found["engine"]
    assert [step[:2] for step in steps] == [
        (["start"], 0),
        (["start"], 0),
        (["status"], 0),
        (["stop", "app"], 0),
        (["start", "boom"], 2),
        (["logs", "app-1"], 0),
    ], steps
    assert steps[0][2][-1] == "start: 2 instances on 2 ships: 2 created in T", steps[0][2]
    assert steps[1][2][-1] == "start: 2 instances on 2 ships: 2 unchanged in T", steps[1][2]
    assert len(steps[2][3]) == 2 and all(" Up ok" in row for row in steps[2][3]), steps[2][3]
    assert steps[4][3] is True  # the dead container's log, as the playbook shows it
    assert steps[5][2] == []  # app-1 is its previous container again (the dead one: app-1.maestro-failed)
    assert audit[0].endswith(" is starting db-1, app-1.") and audit[-1].startswith("Failed to start db-1, app-1!"), (
        audit
    )
    # Same exit codes, progress lines, status rows and audit trail on both paths.
    for step_ansible, step_engine in zip(found["ansible"][0], steps):
        if step_engine[0][0] == "logs":  # the playbook shows them in a debug message
            step_ansible = step_ansible[:2] + ([], None)
        assert step_ansible == step_engine
    assert found["ansible"][1] == audit


def test_deptree_in_process_and_options_for_ansible_playbook(clean_lab, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no start recorded yet
    write_env(tmp_path, two_services(clean_lab), filename="maestro.yaml")
    rc, out = maestro(tmp_path, "deptree")
    assert rc == 0 and out.splitlines() == [
        "db [1 instance]",
        "app [1 instance]",
        "  └─ db [1 instance]",
        "order: db | app",
        "a change to db restarts: db, app",
        "a change to app restarts: app",
        "critical path: db → app (no start recorded on this controller yet)",
    ], out
    assert maestro(tmp_path, "start")[0] == 0
    rc, out = maestro(tmp_path, "deptree")
    assert rc == 0 and re.fullmatch(
        r"critical path: db \d+\.\ds → app \d+\.\ds = \d+\.\ds \(the start of \d{4}-\d\d-\d\d [\d:]+ UTC\)",
        out.splitlines()[-1],
    ), out
    rc, out = maestro(tmp_path, "status", "--", "--check")  # ansible-playbook's own option: the playbook runs
    assert rc == 0 and "PLAY [Status of a MaestroNG environment]" in out, out


def test_ctrl_c_stops_between_containers_in_process(clean_lab, tmp_path):
    write_env(tmp_path, slow_levels(clean_lab), filename="maestro.yaml")
    proc = subprocess.Popen(
        command("start"),
        cwd=str(tmp_path),
        env=command_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("b: starting"):
            proc.send_signal(signal.SIGINT)
            break
    lines += proc.stdout.readlines()
    output = "".join(lines)
    assert proc.wait(timeout=60) != 0, output
    assert "SIGINT: finishing the containers in progress, starting no new ones" in output, output
    # The signal reaches this process at once (not through ansible-playbook), right after level b's
    # line: what that line announced still runs.
    done = re.search(
        r"^interrupted \(SIGINT\), done so far: start: 12 instances on 3 ships: 6 created, 6 skipped "
        r"in [0-9.]+s; not run: (c-1, c-2, c-3, d-1, d-2, d-3); "
        r"the same command again converges the rest$",
        output,
        re.M,
    )
    assert done and output.count("done so far") == 1 and TRACEBACK not in output, output
    made = sorted(inspect_all(clean_lab))
    assert made == sorted(set(SLOW) - set(done.group(1).split(", "))), output
    rc, out = maestro(tmp_path, "start")
    assert rc == 0 and out.count(" ok, nothing to do") == len(made) // 3, out
    assert progress(out)[-1].startswith(
        "start: 12 instances on 3 ships: %d created, %d unchanged" % (12 - len(made), len(made))
    ), out


# ------------------------------------------------------------------ the collection's own options, both ways
HEX = re.compile(r"\b[0-9a-f]{12}(?:[0-9a-f]{52})?\b")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")


def normalized(doc):
    """A JSON document with what differs between two runs of the same thing masked: ids, times, paths,
    and a status row's age (``Up 3 seconds``: ``Up``)."""
    if isinstance(doc, dict):
        return {
            key: None if key in ("seconds", "file") else value.split()[0] if key == "status" else normalized(value)
            for key, value in doc.items()
        }
    if isinstance(doc, list):
        return [normalized(value) for value in doc]
    if isinstance(doc, str):
        return TIMES.sub("T", STAMP.sub("STAMP", HEX.sub("ID", doc)))
    return doc


def diff_lines(out):
    """The lines of Ansible's unified diffs in an output (the engine's and the playbook's alike)."""
    return [line for line in out.splitlines() if line[:1] in ("-", "+", "@", " ") and line.strip() != "--"]


def maestro_apart(folder, *args):
    """`python -m maestro_cli ARGS` in folder: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        command(*args),
        cwd=str(folder),
        env=command_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def options_scenario(lab, folder, path_args):
    """--check --diff on nothing, a start as JSON, a change checked into a plan and applied, a stop with
    --keep-going and --lock-timeout, a status as JSON: what each step printed and left."""
    lab.reset()
    steps = []

    def step(*args, json_out=False):
        rc, out, err = maestro_apart(folder, *path_args, *args)
        if json_out:
            steps.append((args, rc, normalized(json.loads(out)), progress(err)))
        else:
            steps.append((args, rc, progress(out + err), diff_lines(out)))

    step("start", "--check", "--diff")
    steps.append(("made", sorted(inspect_all(lab))))  # check mode made nothing
    step("start", "--output", "json", json_out=True)
    model = audited_services(lab, folder)
    model["services"]["app"]["env"]["PORT"] = 8001
    write_env(folder, model, filename="maestro.yaml")
    step("start", "--check", "--diff", "--plan", "plan.json")
    plan = normalized(json.loads((folder / "plan.json").read_text()))
    steps.append(("plan", [(e["instance"], e["action"], e["reasons"]) for e in plan["instances"]]))
    step("start", "--apply-plan", "plan.json")
    steps.append(("app env", inspect_all(lab)["app-1"]["Config"]["Env"].count("PORT=8001")))
    step("stop", "--keep-going", "--lock-timeout", "5", "app")
    step("status", "--output", "json", json_out=True)
    return steps, audit_messages(folder / "audit.log")


def test_the_collections_options_agree_both_ways(clean_lab, tmp_path):
    found = both_ways(clean_lab, tmp_path, options_scenario)
    steps, audit = found["engine"]
    first = steps[0]
    assert first[1] == 0 and first[2][-1] == "start (check mode): 2 instances on 2 ships: 2 would be created in T"
    assert first[3] == [
        "--- before: db-1",
        "+++ after: db-1",
        "@@ -1,2 +1,2 @@",
        "-    state: absent",
        "+    state: running",
        " ",
        "--- before: app-1",
        "+++ after: app-1",
        "@@ -1,2 +1,2 @@",
        "-    state: absent",
        "+    state: running",
        " ",
    ], first
    assert steps[1] == ("made", [])
    started = steps[2]
    assert started[1] == 0 and started[2]["changed"] is True and started[2]["failed"] is False
    assert [(r["instance"], r["actions"]) for r in started[2]["instances"]] == [
        ("db-1", ["created", "started"]),
        ("app-1", ["created", "started"]),
    ]
    changed = steps[3]
    assert "-    env.PORT: '8000'" in changed[3] and "+    env.PORT: '8001'" in changed[3], changed
    assert steps[4] == ("plan", [("db-1", "none", []), ("app-1", "replace", ["env.PORT changed"])])
    assert steps[5][1] == 0 and steps[6] == ("app env", 1)
    assert steps[7][1] == 0 and steps[7][2][-1] == "stop: 1 instance on 1 ship: 1 stopped in T"
    assert [(r["instance"], r["state"]) for r in steps[8][2]] == [("db-1", "running"), ("app-1", "exited")]
    # The same on both paths: exit codes, progress, diff lines, JSON documents, the plan and the audit trail.
    assert found["ansible"][0] == steps
    assert found["ansible"][1] == audit


def test_full_status_tries_each_port_and_shows_hosts(clean_lab, tmp_path):
    write_env(tmp_path, two_services(clean_lab), filename="maestro.yaml")
    assert maestro(tmp_path, "start")[0] == 0
    assert maestro(tmp_path, "stop", "app")[0] == 0
    for path_args in PATHS.values():
        rc, out = maestro(tmp_path, *path_args, "status", "-F", "-H")
        assert rc == 0, out
        rows = {line.split()[1]: line for line in out.splitlines() if re.match(r"^(db|app) +(db|app)-1 ", line)}
        assert " %s " % clean_lab.ships[0]["ip"] in rows["db-1"] and "sql:35432->5432/tcp up " in rows["db-1"], out
        assert " %s " % clean_lab.ships[1]["ip"] in rows["app-1"] and "http:38000->8000/tcp down " in rows["app-1"]
        assert " HOST " in out and ship_name(clean_lab, 1) not in "".join(rows.values())
    rc, out, err = maestro_apart(tmp_path, "status", "-F", "--output", "json")
    assert rc == 0 and [row["port_states"] for row in json.loads(out)] == [{"sql": "up"}, {"http": "down"}], out
