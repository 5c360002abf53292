"""Helpers for the playbook tests: environment files for the lab's ships, running a
command playbook the way a user does, and reading what the ships then hold.

    path = write_env(tmp_path, three_levels(lab))
    run = playbook("start", env=path)            # ansible-playbook playbooks/start.yml -e env=...
    assert run.rc == 0 and run.recap["changed"] == 1
    run.result("Start, each service once its dependencies are up")["counts"]
    found = inspect_all(lab)                     # {container name: docker inspect}

Results come from a small callback plugin (written to a temporary folder and enabled
through ANSIBLE_CALLBACKS_ENABLED) that appends every task result as one JSON line;
the screen output stays the default one, as a user sees it.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
IMAGE = "maestro-test/busybox:latest"
IMAGE_V2 = "maestro-test/busybox:v2"
# Serve / with busybox httpd on $PORT, and leave at once on TERM.
SERVE = "trap 'exit 0' TERM; httpd -f -p $PORT -h / & wait"
# Say a few numbered lines first (for the logs command), then serve.
CHATTY = 'for i in 1 2 3 4 5; do echo "$CONTAINER_NAME line $i"; done; ' + SERVE

sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.model import environment  # noqa: E402

_CALLBACK = '''
import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Append every task result to $MAESTRO_TEST_RESULTS as one JSON line."""
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "maestro_test_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        path = os.environ.get("MAESTRO_TEST_RESULTS")
        if not path:
            return
        raw = getattr(result, "result", None)
        if raw is None:
            raw = result._result
        data = self._dump_results(raw, serialize=False, keep_invocation=False)
        line = {"task": result.task_name if hasattr(result, "task_name") else result._task.get_name(),
                "status": status, "result": data}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, default=str) + "\\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")
'''

_callback_dir = None


def _callback_plugins():
    global _callback_dir
    if _callback_dir is None:
        _callback_dir = tempfile.mkdtemp(prefix="maestro-test-callback-")
        Path(_callback_dir, "maestro_test_results.py").write_text(_CALLBACK)
    return _callback_dir


# --------------------------------------------------------------------------- env files
def ships_of(lab):
    """The `ships:` map of an environment for the lab's ships (name -> ip, docker_port)."""
    return {s["name"]: {"ip": s["ip"], "docker_port": int(s["url"].rsplit(":", 1)[1])} for s in lab.ships}


def ship_name(lab, k):
    return lab.ships[k - 1]["name"]


def serving(ship, port_name, container_port, host_port, command=SERVE, **extra):
    """An instance that serves / over http on container_port, published on host_port."""
    inst = {"ship": ship, "command": ["sh", "-c", command], "ports": {port_name: "%d:%d" % (container_port, host_port)}}
    inst.update(extra)
    return inst


def three_levels(lab, name="pbtest", stop_timeout=2, max_wait=15):
    """zookeeper (3 instances, one per ship) <- kafka (3, one per ship) <- web (2, on
    ships 2 and 3): three dependency levels over three ships. Container ports are the
    usual ones, host ports are 3xxxx so the link variables differ from the internal ones."""
    s1, s2, s3 = (ship_name(lab, k) for k in (1, 2, 3))

    def tcp(port):
        return {"running": [{"type": "tcp", "port": port, "max_wait": max_wait}]}

    return {
        "__maestro": {"schema": 2},
        "name": name,
        "ship_defaults": {"timeout": 10},
        "ships": ships_of(lab),
        "services": {
            "zookeeper": {
                "image": IMAGE,
                "env": {"PORT": 2181, "ZOO_LOG_LEVEL": "info"},
                "lifecycle": tcp("client"),
                "instances": {
                    "zk-%d" % k: serving(s, "client", 2181, 32181, command=CHATTY, stop_timeout=stop_timeout)
                    for k, s in ((1, s1), (2, s2), (3, s3))
                },
            },
            "kafka": {
                "image": IMAGE,
                "requires": ["zookeeper"],
                "env": {"PORT": 9092, "KAFKA_HEAP_OPTS": ["-Xms256m", "-Xmx256m"]},
                "lifecycle": tcp("broker"),
                "instances": {
                    "kafka-%d" % k: serving(s, "broker", 9092, 39092, stop_timeout=stop_timeout)
                    for k, s in ((1, s1), (2, s2), (3, s3))
                },
            },
            "web": {
                "image": IMAGE,
                "requires": ["kafka"],
                "env": {"PORT": 8080},
                "lifecycle": {
                    "running": [{"type": "http", "port": "http", "path": "/etc/hostname", "max_wait": max_wait}]
                },
                "instances": {
                    "web-1": serving(s2, "http", 8080, 38080, stop_timeout=stop_timeout),
                    "web-2": serving(s3, "http", 8080, 38080, stop_timeout=stop_timeout),
                },
            },
        },
    }


LEVELS = [["zk-1", "zk-2", "zk-3"], ["kafka-1", "kafka-2", "kafka-3"], ["web-1", "web-2"]]
ALL = [name for level in LEVELS for name in level]


def write_env(folder, model, filename="env.yaml"):
    path = Path(folder) / filename
    path.write_text("# written by tests/integration/helpers/envs.py\n" + yaml.safe_dump(model, sort_keys=False))
    return path


def expected_ships(path):
    """{instance: ship name} as the model places them."""
    return {name: inst["ship"] for name, inst in environment.load(str(path)).instances.items()}


def expected_env(path):
    """{instance: env} as the (lookup-free) model computes it."""
    return {name: dict(inst["env"]) for name, inst in environment.load(str(path)).instances.items()}


# --------------------------------------------------------------------------- playbooks
class Run:
    """One ansible-playbook run: rc, output (stdout with stderr), results, recap; with
    split_output, ``stdout`` and ``stderr`` apart (and ``output`` is stdout, then stderr)."""

    def __init__(self, argv, rc, output, results, seconds, stdout=None, stderr=None):
        self.argv, self.rc, self.output, self.results, self.seconds = argv, rc, output, results, seconds
        self.stdout, self.stderr = stdout, stderr
        match = re.search(r"^localhost\s*:\s*(.*)$", output, re.M)
        self.recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))} if match else {}

    def result(self, task=None):
        """The result of ``task`` (name), or of the first task."""
        for line in self.results:
            if task is None or line["task"] == task:
                return line["result"]
        raise AssertionError("no result for task %r in:\n%s" % (task, self.output))

    def progress(self):
        """The `service: k/n ...` lines a service ends with (not the `... ...` one it begins with)."""
        return re.findall(r"^[\w.-]+: \d+/\d+ .*$", self.output, re.M)

    def __repr__(self):
        return "<%s rc=%s>\n%s" % (" ".join(self.argv), self.rc, self.output)


TRACEBACK = "Traceback (most recent call last)"


def ok(run, warnings=True):
    """``run`` (a playbook Run) succeeded, with no traceback; ``warnings=False``: and no warning."""
    assert run.rc == 0, str(run)
    assert TRACEBACK not in run.output, str(run)
    assert warnings or "[WARNING]" not in run.output, str(run)
    return run


def failed(run, *words):
    """``run`` failed, with no traceback, and its output names each of ``words``."""
    assert run.rc != 0, str(run)
    assert TRACEBACK not in run.output, str(run)
    for word in words:
        assert word in run.output, (word, str(run))
    return run


def ansible_playbook(*args, cwd=REPO, environ=None, timeout=240):
    """``ansible-playbook ARGS`` from ``cwd`` with the checkout's ansible.cfg and no colour
    (``environ`` adds to its environment): (rc, stdout then stderr)."""
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run_env.update(environ or {})
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), *map(str, args)],
        cwd=str(cwd),
        env=run_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def playbook(command, env, *options, stdin=None, timeout=240, split_output=False, environ=None, **extra):
    """Run playbooks/<command>.yml with -e env=ENV and each extra var as -e JSON.

    ``options`` are further command-line words (``--check``, ``--diff``); ``environ``
    overrides variables of the run's environment (ANSIBLE_NOCOLOR=1 by default).
    """
    argv = [str(ANSIBLE_PLAYBOOK), "playbooks/%s.yml" % command, "-e", "env=%s" % env]
    for key, value in extra.items():
        argv += ["-e", json.dumps({key: value})]
    argv += list(options)
    with tempfile.NamedTemporaryFile(prefix="maestro-results-", suffix=".jsonl", delete=False) as handle:
        results_path = handle.name
    run_env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_CALLBACK_PLUGINS=_callback_plugins(),
        ANSIBLE_CALLBACKS_ENABLED="maestro_test_results",
        MAESTRO_TEST_RESULTS=results_path,
        PYTHONWARNINGS="ignore",
    )
    run_env.update(environ or {})
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=str(REPO),
            env=run_env,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if split_output else subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        with open(results_path, encoding="utf-8") as handle:
            results = [json.loads(line) for line in handle if line.strip()]
    finally:
        os.unlink(results_path)
    if split_output:
        return Run(
            argv,
            proc.returncode,
            proc.stdout + proc.stderr,
            results,
            time.monotonic() - t0,
            stdout=proc.stdout,
            stderr=proc.stderr,
        )
    return Run(argv, proc.returncode, proc.stdout, results, time.monotonic() - t0)


# --------------------------------------------------------------------------- the ships
def inspect_all(lab, ships=None):
    """{container name: inspect} for every container on the lab's ships (or ``ships``,
    1-based numbers); each inspect also gets "_ship" = the ship's name."""
    ks = list(ships or range(1, len(lab.ships) + 1))

    def one(k):
        api = lab.client(k, timeout=20)
        found = {}
        for c in api.containers(all=True):
            data = api.inspect_container(c["Id"])
            data["_ship"] = lab.ships[k - 1]["name"]
            found[data["Name"].lstrip("/")] = data
        return found

    merged = {}
    with ThreadPoolExecutor(len(ks)) as pool:
        for found in pool.map(one, ks):
            merged.update(found)
    return merged


def ids(found, names=None):
    return {n: found[n]["Id"] for n in (names or found) if n in found}


def running(found, names):
    return {n: bool(n in found and found[n]["State"]["Running"]) for n in names}


def timestamp(text):
    """Docker's RFC 3339 time with nanoseconds -> aware datetime (microseconds kept)."""
    if not text or text.startswith("0001-"):
        return None
    main, dummy, frac = text.rstrip("Z").partition(".")
    frac = (frac + "000000")[:6]
    return datetime.strptime(main + "." + frac, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)


def started_at(found, name):
    return timestamp(found[name]["State"]["StartedAt"])


def finished_at(found, name):
    return timestamp(found[name]["State"]["FinishedAt"])


def env_map(inspect):
    """Container Env as a map, without the PATH every container gets from the image."""
    result = dict(entry.partition("=")[::2] for entry in inspect["Config"]["Env"] or [])
    result.pop("PATH", None)
    return result


def exec_in(lab, k, container, command, timeout=20):
    """Run ``command`` (list) in ``container`` on ship k; (exit code, output text)."""
    api = lab.client(k, timeout=timeout)
    exec_id = api.exec_create(container, command)["Id"]
    output = api.exec_start(exec_id).decode("utf-8", "replace")
    return api.exec_inspect(exec_id)["ExitCode"], output


def ship_number(lab, name):
    for k, ship in enumerate(lab.ships, 1):
        if ship["name"] == name:
            return k
    raise KeyError(name)
