"""playbooks/lab.yml: a lab for an environment file, used by the other playbooks unchanged.

The lab ships of this test are lab.sh ships 57-59 (the tests' own ships are 1-30; lab.yml's
default first ship is 50, left for people trying it). They are made and removed by the
playbook itself, not by the `lab` fixture.
"""

import functools
import os
import socket
import subprocess
import sys

import docker
import pytest
import yaml
from helpers.envs import IMAGE, IMAGE_V2, REPO, SERVE, failed, playbook
from helpers.envs import ok as _ok
from helpers.lab import missing_prerequisites, unavailable

# These runs must not even warn.
ok = functools.partial(_ok, warnings=False)

sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.lab import daemons  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.model import environment

FIRST = 57
COPIED = "maestro-test/lab-copy:t1"  # a tag only the main daemon has: lab.yml must copy it
MAIN = "unix://" + "/var/run/docker.sock"
# Another lab script (e.g. a copy of lab.sh under test): MAESTRO_LAB_SCRIPT=PATH.
SCRIPT = os.environ.get("MAESTRO_LAB_SCRIPT")


def lab_run(env, *options, **extra):
    if SCRIPT:
        extra["lab_script"] = SCRIPT
    return playbook("lab", env, *options, **extra)


def api(url):
    return docker.APIClient(base_url=url, version="1.41", timeout=30)


def reachable(url, timeout=2):
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:  # refused, no route, or no answer (the address is gone from the bridge)
        return False


@pytest.fixture
def lab_env(tmp_path):
    reason = missing_prerequisites()
    if reason:
        unavailable("the Docker lab: " + reason)
    script = SCRIPT or daemons.DEFAULT_SCRIPT
    # lab.sh's own answer on the highest ship this test uses (stopping a ship that is not
    # running does nothing).
    probe = subprocess.run(["bash", script, "stop-ship", str(FIRST + 1)], capture_output=True, text=True, check=False)
    if "ship number must be" in probe.stderr:
        unavailable(
            "the Docker lab: %s: %s (this test uses ships %d-%d)" % (script, probe.stderr.strip(), FIRST, FIRST + 2)
        )
    for number in (FIRST, FIRST + 1, FIRST + 2):  # a previous run that died half-way
        if daemons.exists(number):
            daemons.remove(script, number)
    main = api(MAIN)
    main.tag(IMAGE, *COPIED.split(":"))
    cmd = "trap 'exit 0' TERM; httpd -f -p 8080 -h / & wait"
    model = {
        "__maestro": {"schema": 2},
        "name": "labtest",
        "ship_defaults": {"timeout": 20, "docker_port": 4243},
        "ships": {"alpha": {"ip": "10.99.7.1"}, "beta": {"ip": "10.99.7.2", "tls": True, "tls_verify": True}},
        "services": {
            "web": {
                "image": IMAGE,
                "env": {"PEER": "10.99.7.2", "PORT": 8080},
                "instances": {
                    "web-1": {"ship": "alpha", "command": ["sh", "-c", cmd], "ports": {"http": "8080:18080"}},
                    "web-2": {
                        "ship": "beta",
                        "image": COPIED,
                        "command": ["sh", "-c", cmd],
                        "ports": {"http": {"exposed": 8080, "external": ["10.99.7.2", 18080]}},
                    },
                },
            },
            "tool": {
                "image": IMAGE_V2,
                "instances": {"tool-1": {"ship": "beta", "command": ["sh", "-c", SERVE], "env": {"PORT": 9000}}},
            },
        },
    }
    path = tmp_path / "try.yaml"
    path.write_text(yaml.safe_dump(model, sort_keys=False))
    yield path
    if (tmp_path / "try.lab.yaml").exists():
        lab_run(path, lab="down")
    main.remove_image(COPIED)


def test_lab_then_playbooks_then_down(lab_env, tmp_path):
    lab_file = tmp_path / "try.lab.yaml"
    check = ok(lab_run(lab_env, "--check", lab_first=FIRST))  # says what it would do, does nothing
    assert check.recap["changed"] == 1 and "would make lab ships %d, %d" % (FIRST, FIRST + 1) in check.output
    assert not lab_file.exists() and not daemons.exists(FIRST) and not daemons.exists(FIRST + 1)

    run = ok(lab_run(lab_env, lab_first=FIRST))
    assert lab_file.is_file() and str(lab_file) in run.output, str(run)
    env = environment.load(str(lab_file))
    urls = {name: ship["docker_url"] for name, ship in env.ships.items()}
    assert urls == {"alpha": "tcp://10.250.0.%d:2375" % (FIRST + 1), "beta": "tcp://10.250.0.%d:2375" % (FIRST + 2)}
    assert not env.ships["beta"]["tls"]
    assert env.instances["web-1"]["env"]["PEER"] == "10.250.0.%d" % (FIRST + 2)
    assert run.result("Make or remove the lab ships")["copied"] == [{"ship": "beta", "image": COPIED}]
    assert api(urls["beta"]).inspect_image(COPIED)["Id"] == api(MAIN).inspect_image(COPIED)["Id"]

    ok(playbook("start", lab_file))
    for name, ship in (("web-1", "alpha"), ("web-2", "beta"), ("tool-1", "beta")):
        found = api(urls[ship]).inspect_container(name)
        assert found["State"]["Running"], name
    found = api(urls["beta"]).inspect_container("web-2")
    assert found["Config"]["Image"] == COPIED
    assert found["HostConfig"]["PortBindings"]["8080/tcp"] == [
        {"HostIp": "10.250.0.%d" % (FIRST + 2), "HostPort": "18080"}
    ]
    status = ok(playbook("status", lab_file)).result("Ask every ship")
    assert {r["instance"]: r["status"].split()[0] for r in status["instances"]} == {
        "web-1": "Up",
        "web-2": "Up",
        "tool-1": "Up",
    }, status

    again = ok(lab_run(lab_env, "--check"))  # the lab's own numbers; nothing to do
    assert again.recap["changed"] == 0, str(again)
    again = ok(lab_run(lab_env))
    assert again.recap["changed"] == 0, str(again)

    # Another file's lab over this lab's ship is refused before anything is made; so is an
    # image the main daemon does not have.
    other = tmp_path / "other"
    other.mkdir()
    second = other / "try.yaml"
    second.write_text(lab_env.read_text())
    failed(lab_run(second, lab_first=FIRST + 1), "ship%d already exists" % (FIRST + 1), "-e lab_first=N")
    assert not daemons.exists(FIRST + 2)
    model = yaml.safe_load(lab_env.read_text())
    model["services"]["tool"]["image"] = "maestro-test/not-here:1"
    second.write_text(yaml.safe_dump(model))
    failed(lab_run(second, lab_first=FIRST + 2), "maestro-test/not-here:1 (used by tool-1)")
    assert not daemons.exists(FIRST + 2) and not (other / "try.lab.yaml").exists()

    assert reachable(urls["alpha"]) and reachable(urls["beta"])
    ok(lab_run(lab_env, lab="down"))
    assert not lab_file.exists()
    for number, url in ((FIRST, urls["alpha"]), (FIRST + 1, urls["beta"])):
        assert not daemons.exists(number)
        assert not reachable(url)
