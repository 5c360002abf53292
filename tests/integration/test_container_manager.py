"""ContainerManager, compare() and the lifecycle checks against a real Docker daemon.

The daemon is MAESTRO_TEST_DOCKER (default unix:///var/run/docker.sock); it needs the lab
images maestro-test/busybox:latest and :v2. Without it the tests are skipped, unless
MAESTRO_REQUIRE_LAB=1. Containers are named mtest-<run>-<n> and removed at the end.
"""

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers.lab import unavailable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import NotFound, ShipUnreachable, connect
from ansible_collections.maestro.ng.plugins.module_utils.docker.container import ContainerManager
from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import LABEL_INSTANCE, desired_config
from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import compare
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import minimal_spec

DOCKER_URL = os.environ.get("MAESTRO_TEST_DOCKER", "unix:///var/run/docker.sock")
SHIP_IP = urlparse(DOCKER_URL).hostname if DOCKER_URL.startswith("tcp://") else "127.0.0.1"
IMAGE = "maestro-test/busybox:latest"
IMAGE_V2 = "maestro-test/busybox:v2"
RUN = uuid.uuid4().hex[:6]
# The image's default command as a non-root user: httpd on an unprivileged port.
HTTPD_8080 = ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h / & wait"]
# What reading a container's state takes (a listing, for it and what a replacement kept aside).
INSPECT_CALLS = {"containers", "inspect_container", "inspect_image"}


@pytest.fixture(scope="module")
def client():
    try:
        api = connect({"name": "test", "docker_url": DOCKER_URL})
        api.ping()
        for image in (IMAGE, IMAGE_V2):
            api.inspect_image(image)
    except (ShipUnreachable, NotFound) as exc:
        unavailable("the main Docker daemon: %s is not usable: %s" % (DOCKER_URL, exc))
    yield api
    for container in api.containers(all=True, filters={"name": "mtest-%s-" % RUN}):
        api.remove_container(container["Id"], force=True, v=True)


_counter = iter(range(1, 10000))
# Host ports of this run, away from those of other runs sharing the daemon.
_next_port = [random.randrange(20000, 40000, 100)]


def unique_name():
    return "mtest-%s-%d" % (RUN, next(_counter))


def _bindable(number):
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", number))
        except OSError:
            return False
    return True


def free_port(count=1):
    """The first of ``count`` consecutive host ports nothing else in this run uses (and,
    on a local daemon, nothing else on the host listens on)."""
    while True:
        first = _next_port[0]
        _next_port[0] += count
        if SHIP_IP != "127.0.0.1" or all(_bindable(n) for n in range(first, first + count)):
            return first


def make_spec(name=None, **overrides):
    name = name or unique_name()
    settings = dict(
        service="svc",
        ship="test",
        ship_ip=SHIP_IP,
        environment="mtest",
        image=IMAGE,
        env={"FOO": "bar"},
        hostname=name,
        stop_timeout=2,
    )
    settings.update(overrides)
    return minimal_spec(name=name, **settings)


def port(exposed, external, protocol="tcp", name="p", host_ip="0.0.0.0"):
    return {"name": name, "exposed": str(exposed), "external": str(external), "protocol": protocol, "host_ip": host_ip}


class Recorder:
    """A client proxy that records the names of the API methods called."""

    def __init__(self, api):
        self._api = api
        self.calls = []

    def __getattr__(self, name):
        attr = getattr(self._api, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self.calls.append(name)
            return attr(*args, **kwargs)

        return call


def converge(client, spec, state="started", check_mode=False, start_grace=0, **kwargs):
    return ContainerManager(client, spec, check_mode=check_mode, start_grace=start_grace).converge(state, **kwargs)


def inspect(client, name):
    try:
        return client.inspect_container(name)
    except NotFound:
        return None


def helper_containers(client):
    """A data container (volumes_from) and a running link target."""
    data, db = unique_name(), unique_name()
    client.create_container(IMAGE, name=data, volumes=["/shared"])
    converge(client, make_spec(db))
    return data, db


def full_runnable_spec(client, **overrides):
    """Every setting a non-privileged container can start with on this machine."""
    data, db = helper_containers(client)
    web, rng, udp, anywhere = free_port(), free_port(3), free_port(), free_port(5)
    spec = make_spec(
        command=HTTPD_8080,
        env={"FOO": "bar", "NUMBER": 42},
        ports=[
            port(8080, web, name="web"),
            port("1234-1236", "%d-%d" % (rng, rng + 2), name="range"),
            port(53, udp, "udp", name="dns"),
            port(90, "%d-%d" % (anywhere, anywhere + 4), name="any"),
        ],
        volumes=[{"source": "/tmp", "target": "/hosttmp", "mode": "ro"}],
        container_volumes=["/cache"],
        volumes_from=[data],
        links={db: "database"},
        user="65534:65534",
        cap_drop=["MKNOD"],
        security_opt=["no-new-privileges"],
        extra_hosts={"gateway": "10.250.0.1"},
        restart={"name": "on-failure", "maximum_retry_count": 2},
        dns=["10.250.0.1"],
        limits={"cpu_shares": 512, "memory": 64 * 2**20, "memswap": 128 * 2**20},
        log_driver="json-file",
        log_opt={"max-size": "1m", "max-file": 2},
        workdir="/tmp",
        ulimits=[{"name": "nofile", "soft": 1024, "hard": 2048}],
        labels={"team": "ops"},
        lifecycle={
            "running": [
                {"type": "tcp", "port": web, "host": SHIP_IP, "max_wait": 10},
                {
                    "type": "http",
                    "port": web,
                    "host": SHIP_IP,
                    "path": "/etc/hostname",
                    "scheme": "http",
                    "method": "GET",
                    "match_regex": None,
                    "max_wait": 10,
                },
                {"type": "rexec", "command": 'test "$FOO" = bar && test -d /cache', "attempts": 3},
                {"type": "exec", "command": 'test "$NUMBER" = 42', "attempts": 2},
                {"type": "sleep", "wait": 0.2},
            ]
        },
    )
    spec.update(overrides)
    return spec


# ------------------------------------------------------------------ idempotence


def test_full_spec_converges_once(client):
    spec = full_runnable_spec(client)
    first = converge(client, spec)
    assert first["changed"] and first["actions"] == ["created", "started"]
    assert first["container"]["state"] == "running"
    assert first["diff"] == {"before": {"state": "absent"}, "after": {"state": "running"}}

    recorder = Recorder(client)
    second = converge(recorder, spec)
    assert second["changed"] is False and second["actions"] == [] and second["reasons"] == []
    assert second["diff"] == {}
    # One listing (the container and what a replacement kept aside), the image, and the inspect a
    # spec with links and volumes_from needs (their names are ids to Docker).
    assert recorder.calls == ["containers", "inspect_image", "inspect_container"]
    assert second["container"]["id"] == first["container"]["id"]
    assert second["container"]["image_id"] == client.inspect_image(IMAGE)["Id"]

    found = client.inspect_container(spec["name"])
    assert found["Config"]["Labels"][LABEL_INSTANCE] == spec["name"]
    assert "NUMBER=42" in found["Config"]["Env"]


def test_privileged_and_cap_add_spec_has_no_drift(client):
    """These cannot start here (non-root user namespace), so create and compare only."""
    spec = full_runnable_spec(
        client,
        privileged=True,
        cap_add=["NET_ADMIN", "cap_sys_time"],
        cap_drop=["chown"],
        security_opt=["label=disable", "apparmor=unconfined"],
        network_mode="bridge",
        command="sleep 1000",
    )
    desired = desired_config(spec)
    client.create_container(host_config=client.create_host_config(**desired["host_config"]), **desired["create"])
    assert compare(spec, client.inspect_container(spec["name"]), client.inspect_image(IMAGE)) == []
    recorder = Recorder(client)
    preview = converge(recorder, spec, check_mode=True)
    assert preview["actions"] == ["would start"] and preview["reasons"] == []
    assert set(recorder.calls) <= INSPECT_CALLS


def test_network_mode_container_has_no_drift(client):
    target = make_spec()
    converge(client, target)
    spec = make_spec(network_mode="container:" + target["name"], hostname=None, command="sleep 1000")
    converge(client, spec)
    assert converge(client, spec)["changed"] is False


# ------------------------------------------------------------------ drift


def test_env_change_recreates(client):
    spec = make_spec(env={"FOO": "bar", "KEEP": "x"})
    first = converge(client, spec)
    spec["env"] = {"FOO": "baz", "KEEP": "x"}
    second = converge(client, spec)
    assert second["reasons"] == ["env.FOO changed"]
    assert second["actions"] == [
        "stopped",
        "kept aside as %s.maestro-previous (env.FOO changed)" % spec["name"],
        "created",
        "started",
        "removed the previous container",
    ]
    assert second["diff"]["before"] == {"env.FOO": "bar"} and second["diff"]["after"] == {"env.FOO": "baz"}
    assert second["container"]["id"] != first["container"]["id"]
    assert "FOO=baz" in client.inspect_container(spec["name"])["Config"]["Env"]


def test_image_change_recreates(client):
    spec = make_spec()
    converge(client, spec)
    spec["image"] = IMAGE_V2
    result = converge(client, spec)
    assert len(result["reasons"]) == 1 and re.match(
        r"image changed \([0-9a-f]{12} -> [0-9a-f]{12}\)$", result["reasons"][0]
    )
    assert result["container"]["image_id"] == client.inspect_image(IMAGE_V2)["Id"]
    assert converge(client, spec)["changed"] is False


def test_stopped_container_without_drift_is_started_again(client):
    spec = make_spec()
    first = converge(client, spec)
    converge(client, spec, "stopped")
    again = converge(client, spec)
    assert again["actions"] == ["started"]
    assert again["container"]["id"] == first["container"]["id"]


# ------------------------------------------------------------------ states


def test_stop_kill_absent(client):
    spec = make_spec()
    converge(client, spec)
    stopped = converge(client, spec, "stopped")
    assert stopped["actions"] == ["stopped"] and stopped["container"]["state"] == "exited"
    assert not client.inspect_container(spec["name"])["State"]["Running"]
    assert converge(client, spec, "stopped")["changed"] is False

    converge(client, spec)
    killed = converge(client, spec, "killed")
    assert killed["actions"] == ["killed"]
    assert client.inspect_container(spec["name"])["State"]["ExitCode"] == 137
    assert converge(client, spec, "killed")["changed"] is False

    converge(client, spec)
    absent = converge(client, spec, "absent")
    assert absent["actions"] == ["stopped", "removed"] and absent["container"]["state"] == "absent"
    assert inspect(client, spec["name"]) is None
    assert converge(client, spec, "absent")["changed"] is False
    assert converge(client, spec, "stopped")["changed"] is False


def test_absent_only_if_stopped_leaves_running_container(client):
    spec = make_spec()
    converge(client, spec)
    assert converge(client, spec, "absent", only_if_stopped=True)["changed"] is False
    converge(client, spec, "stopped")
    assert converge(client, spec, "absent", only_if_stopped=True)["actions"] == ["removed"]


def test_restarted(client):
    spec = make_spec()
    first = converge(client, spec)
    restarted = converge(client, spec, "restarted")
    assert restarted["actions"] == ["stopped", "started"]
    assert restarted["container"]["id"] == first["container"]["id"]
    assert restarted["container"]["started_at"] != first["container"]["started_at"]
    spec["env"] = {"FOO": "changed"}
    assert converge(client, spec, "restarted")["actions"] == [
        "stopped",
        "kept aside as %s.maestro-previous (env.FOO changed)" % spec["name"],
        "created",
        "started",
        "removed the previous container",
    ]


def test_check_mode_changes_nothing(client):
    spec = make_spec()
    recorder = Recorder(client)
    preview = converge(recorder, spec, check_mode=True)
    assert preview["changed"] and preview["actions"] == ["would create", "would start"]
    assert set(recorder.calls) <= INSPECT_CALLS
    assert inspect(client, spec["name"]) is None

    before = converge(client, spec)
    spec["env"] = {"FOO": "other"}
    for state in ("started", "restarted", "stopped", "killed", "absent"):
        recorder = Recorder(client)
        preview = converge(recorder, spec, state, check_mode=True, **({"refresh": True} if state == "started" else {}))
        assert preview["changed"], state
        assert all(action.startswith("would ") for action in preview["actions"]), preview
        assert set(recorder.calls) <= INSPECT_CALLS, (state, recorder.calls)
    after = client.inspect_container(spec["name"])
    assert after["Id"] == before["container"]["id"] and after["State"]["Running"]
    assert "FOO=bar" in after["Config"]["Env"]


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize("how", ["start_grace", "sleep check"])
def test_command_that_exits_fails_with_its_logs(client, how):
    # The daemon takes 0.1-0.3 s to notice the exit: without a grace (the default, as in
    # MaestroNG) the start may pass; a start_grace or a running sleep check catches it.
    spec = make_spec(command=["sh", "-c", "echo boom; exit 3"])
    if how == "sleep check":
        spec["lifecycle"] = {"running": [{"type": "sleep", "wait": 0.5}]}
    with pytest.raises(ContainerError) as error:
        converge(client, spec, start_grace=0.5 if how == "start_grace" else 0)
    message = str(error.value)
    assert message.startswith(spec["name"] + ": ")
    assert "exit code 3" in message and "boom" in message
    assert error.value.result["actions"] == ["created", "started"]


def test_start_without_grace_does_not_wait_for_the_container(client, monkeypatch):
    # start_grace=0: one inspect right after the start, no wait on the daemon.
    waits = []
    monkeypatch.setattr(ContainerManager, "_wait_for_early_exit", lambda self: waits.append(self.name))
    result = converge(client, make_spec())
    assert result["container"]["state"] == "running" and result["container"]["started_at"]
    assert waits == []
    spec = make_spec()
    converge(client, spec, start_grace=0.5)
    assert waits == [spec["name"]]


def test_missing_image_that_cannot_be_pulled(client):
    # A registry on the daemon's loopback: the pull fails at once, without leaving the host.
    spec = make_spec(image="127.0.0.1:9/mtest/missing:latest")
    with pytest.raises(
        ContainerError, match="image 127.0.0.1:9/mtest/missing:latest not found on ship test and pull failed: "
    ):
        converge(client, spec)
    assert inspect(client, spec["name"]) is None


def test_api_error_is_readable(client):
    spec = make_spec(volumes_from=["mtest-%s-no-such-container" % RUN])
    with pytest.raises(ContainerError) as error:
        converge(client, spec)
    assert str(error.value).startswith(spec["name"] + ": ")
    assert "no-such-container" in str(error.value)
    assert "Traceback" not in str(error.value)


def test_unreachable_ship():
    api = connect({"name": "ship9", "docker_url": "tcp://127.0.0.1:9", "timeout": 5})
    with pytest.raises(ShipUnreachable, match=r"^ship ship9 \(tcp://127.0.0.1:9\) is unreachable: .*refused"):
        converge(api, make_spec(ship="ship9"), "stopped")


def test_clients_are_shared():
    ship = {"name": "a", "docker_url": "tcp://127.0.0.1:9"}
    assert connect(ship) is connect(dict(ship, name="b"))
    assert connect(ship) is not connect(dict(ship, timeout=5))


# ------------------------------------------------------------------ lifecycle checks


def test_tcp_check_needs_a_listener_behind_the_published_port(client):
    published = free_port()
    spec = make_spec(
        command="sleep 1000",
        ports=[port(80, published)],
        lifecycle={"running": [{"type": "tcp", "port": published, "host": SHIP_IP, "max_wait": 2}]},
    )
    started = time.monotonic()
    with pytest.raises(ContainerError, match=r"running checks failed: tcp check on .*:%d failed" % published):
        converge(client, spec)
    assert time.monotonic() - started < 10
    # Now with the image's httpd listening on 80.
    spec["command"] = None
    assert converge(client, spec)["actions"][-3:] == ["created", "started", "removed the previous container"]


def test_running_check_fails_early_when_the_container_dies(client):
    published = free_port()
    spec = make_spec(
        command=["sh", "-c", "sleep 1; echo dying; exit 4"],
        ports=[port(80, published)],
        lifecycle={"running": [{"type": "tcp", "port": published, "host": SHIP_IP, "max_wait": 60}]},
    )
    started = time.monotonic()
    with pytest.raises(ContainerError) as error:
        converge(client, spec)
    assert time.monotonic() - started < 15
    assert "container stopped (exit code 4)" in str(error.value) and "dying" in str(error.value)


def test_rexec_and_sleep_checks(client):
    spec = make_spec(
        env={"FOO": "bar"},
        lifecycle={
            "pre-stop": [
                {"type": "rexec", "command": 'test "$FOO" = bar', "attempts": 1},
                {"type": "sleep", "wait": 0.5},
            ],
            "stopped": [{"type": "exec", "command": 'test "$FOO" = bar', "attempts": 1}],
        },
    )
    converge(client, spec)
    started = time.monotonic()
    assert converge(client, spec, "stopped")["actions"] == ["stopped"]
    assert time.monotonic() - started >= 0.5

    converge(client, spec)
    spec["lifecycle"] = {"pre-stop": [{"type": "rexec", "command": "echo nope; exit 1", "attempts": 2}]}
    with pytest.raises(ContainerError, match=r"pre-stop checks failed: rexec check .* exit code 1: nope"):
        converge(client, spec, "stopped")
    assert client.inspect_container(spec["name"])["State"]["Running"]


def test_http_check_match_regex(client):
    published = free_port()
    check = {
        "type": "http",
        "port": published,
        "host": SHIP_IP,
        "path": "/etc/hostname",
        "scheme": "http",
        "method": "GET",
        "max_wait": 3,
    }
    spec = make_spec(ports=[port(80, published)], lifecycle={"running": [dict(check, match_regex="^mtest-")]})
    converge(client, spec)
    spec["lifecycle"] = {"running": [dict(check, match_regex="^nomatch$")]}
    manager = ContainerManager(client, spec)
    with pytest.raises(ContainerError, match="does not match"):
        manager.run_checks("running")


def test_checks_only_run_when_the_action_happens(client):
    spec = make_spec(lifecycle={"running": [{"type": "exec", "command": "exit 1", "attempts": 1}]})
    with pytest.raises(ContainerError):
        converge(client, spec)
    spec["lifecycle"] = {}
    converge(client, spec)  # starts the existing container, now without checks
    spec["lifecycle"] = {"running": [{"type": "exec", "command": "exit 1", "attempts": 1}]}
    assert converge(client, spec)["changed"] is False
    with pytest.raises(ContainerError, match="running checks failed: exec check"):
        ContainerManager(client, spec).run_checks("running")


# ------------------------------------------------------------------ the Ansible module

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    maestro.ng.container: {name: %(name)s, docker_host: "%(url)s"}
  tasks:
    - maestro.ng.container:
        image: %(image)s
        ports: [{name: http, exposed: 80, external: %(port)d}]
        env: {GREETING: hello, NUMBER: 3}
        lifecycle: {running: [{type: tcp, port: %(port)d, host: %(ip)s, max_wait: 10}]}
      register: created
    - maestro.ng.container:
        image: %(image)s
        ports: [{name: http, exposed: 80, external: %(port)d}]
        env: {GREETING: hello, NUMBER: 3}
      register: again
    - maestro.ng.container:
        image: %(image)s
        ports: [{name: http, exposed: 80, external: %(port)d}]
        env: {GREETING: bye, NUMBER: 3}
      check_mode: true
      diff: true
      register: preview
    - maestro.ng.container: {state: absent}
      register: removed
    - maestro.ng.container: {image: "127.0.0.1:9/mtest/missing"}
      register: failed
      ignore_errors: true
    - ansible.builtin.copy:
        dest: "%(out)s"
        content: "{{ {'created': created, 'again': again, 'preview': preview, 'removed': removed,
                      'failed': failed} | to_json }}"
"""


def test_module_in_a_playbook(client, tmp_path):
    repo = Path(__file__).resolve().parents[2]
    name, out = unique_name(), tmp_path / "results.json"
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        PLAYBOOK % {"name": name, "url": DOCKER_URL, "image": IMAGE, "port": free_port(), "ip": SHIP_IP, "out": out}
    )
    env = dict(os.environ, ANSIBLE_CONFIG=str(repo / "ansible.cfg"))
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout
    results = json.loads(out.read_text())
    assert results["created"]["actions"] == ["created", "started"] and results["created"]["changed"]
    assert results["again"]["changed"] is False and "diff" not in results["again"]
    assert results["preview"]["actions"] == [
        "would stop",
        "would keep aside as %s.maestro-previous (env.GREETING changed)" % name,
        "would create",
        "would start",
        "would remove the previous container",
    ]
    assert results["preview"]["diff"] == {"before": {"env.GREETING": "hello"}, "after": {"env.GREETING": "bye"}}
    assert results["removed"]["actions"] == ["stopped", "removed"]
    assert results["failed"]["failed"] and "pull failed" in results["failed"]["msg"]
    assert inspect(client, name) is None


# -- another run changing the same container at the same time -----------------------------
# Each test makes the manager act on a stale view (listed=: what a listing said a moment
# ago) while the container really is elsewhere, as when another run got there first.
RAW_DOCKER_TEXT = ("Conflict", "already in use", "No such container", "is not running", "cannot remove")


def listing_of(client, name):
    return client.containers(all=True, filters={"name": name})[0]


def test_create_that_another_run_made_first_converges(client):
    spec = make_spec()
    converge(client, spec, "stopped")  # nothing: absent
    other = converge(client, spec)  # "the other run" creates and starts it
    result = converge(client, spec, listed=None)  # we still think there is none
    assert result["raced"] == ["another run created it at the same time"]
    assert result["changed"] is False and result["container"]["id"] == other["container"]["id"]
    assert result["container"]["state"] == "running"
    assert len(client.containers(all=True, filters={"name": spec["name"]})) == 1


def test_create_that_another_run_made_with_other_settings_recreates(client):
    spec = make_spec()
    converge(client, dict(spec, env={"FOO": "other run"}))
    result = converge(client, spec, listed=None)
    assert result["raced"] == ["another run created it at the same time"]
    assert result["reasons"] == ["env.FOO changed"] and result["container"]["state"] == "running"
    assert "FOO=bar" in client.inspect_container(spec["name"])["Config"]["Env"]


def test_stop_kill_remove_of_what_another_run_changed(client):
    spec = make_spec()
    converge(client, spec)
    running = listing_of(client, spec["name"])
    converge(client, spec, "stopped")
    killed = converge(client, spec, "killed", listed=running)  # another run stopped it
    assert killed["raced"] == ["another run stopped it meanwhile"] and killed["container"]["state"] == "exited"
    assert killed["changed"] is False

    exited = listing_of(client, spec["name"])
    converge(client, spec)  # another run started it again
    absent = converge(client, spec, "absent", listed=exited)
    assert absent["raced"] == ["another run started it meanwhile"]
    assert absent["actions"] == ["stopped", "removed"] and inspect(client, spec["name"]) is None

    converge(client, spec)
    running = listing_of(client, spec["name"])
    converge(client, spec, "absent")  # another run removed it
    stopped = converge(client, spec, "stopped", listed=running)
    assert stopped["raced"] == ["another run removed it meanwhile"] and stopped["container"]["state"] == "absent"
    for result in (killed, absent, stopped):
        assert not any(text in " ".join(result["actions"]) for text in RAW_DOCKER_TEXT), result


def test_a_container_stopped_by_another_run_after_its_start_says_so(client):
    spec = make_spec()
    manager = ContainerManager(client, spec, start_grace=None)
    manager.converge("started")
    client.stop(spec["name"], timeout=2)  # the other run
    with pytest.raises(ContainerError, match="not running after start: another run stopped it meanwhile"):
        manager.verify_running()

    exits = make_spec(command=["sh", "-c", "exit 3"])  # its own command ended: no other run
    with pytest.raises(ContainerError) as failure:
        converge(client, exits, start_grace=0.5)
    assert "exit code 3" in str(failure.value) and "another run" not in str(failure.value)


def test_a_listing_entry_of_a_current_container_spares_the_inspect(client):
    spec = make_spec()
    converge(client, spec)
    recorder = Recorder(client)
    result = ContainerManager(recorder, spec, start_grace=0).converge(
        "started", listed=listing_of(client, spec["name"]), aside={"previous": None, "failed": None}
    )
    assert result["changed"] is False and result["container"]["state"] == "running"
    assert recorder.calls == ["inspect_image"]  # no inspect_container: its digest label says it is current

    changed = dict(spec, env={"FOO": "changed"})  # another digest: inspected, and the drift found
    recorder = Recorder(client)
    result = ContainerManager(recorder, changed, start_grace=0).converge(
        "started", listed=listing_of(client, spec["name"])
    )
    assert result["reasons"] == ["env.FOO changed"] and "inspect_container" in recorder.calls
    assert compare(changed, client.inspect_container(spec["name"]), client.inspect_image(IMAGE)) == []
