"""Registries: pulls from a real registry that wants a login, the way a user runs them.

A real `docker-registry` (htpasswd, bcrypt; TLS with a CA made for the test, trusted by
the ships through /etc/docker/certs.d) listens on the lab bridge; the test image is pushed
into it, and the ships' own copy of that name is removed before each pull. A small HTTPS
proxy in front of it (tests/integration/helpers/registry.py) answers HTTP errors to chosen pull
attempts, for the retry policy. What the ships hold is checked on their Docker APIs.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import uuid

import docker
import pytest
from helpers.envs import IMAGE, REPO, playbook, ship_name, ships_of, write_env
from helpers.lab import unavailable, worker_index
from helpers.registry import FlakyProxy, Registry, missing_tools
from test_roles import recap_changed, run_user_playbook

from ansible_collections.maestro.ng.plugins.module_utils.model import environment  # noqa: E402
from ansible_collections.maestro.ng.plugins.module_utils.run.orchestrate import Orchestrator  # noqa: E402

USER = "maestro"
GOOD = "Reg-good-" + uuid.uuid4().hex[:12]  # distinctive, so any leak is found in the output
WRONG = "Reg-wrong-" + uuid.uuid4().hex[:12]
PATH = "maestro-test/busybox:latest"
KEEP_RUNNING = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]


@pytest.fixture(scope="module")
def reg(lab):
    """The registry (with the test image pushed into it) and the proxy in front of it."""
    missing = missing_tools()
    if missing:
        unavailable("registries: no %s (docker-registry apache2-utils openssl)" % ", ".join(missing))
    port = 5443 + 10 * worker_index()  # each pytest-xdist worker its own ports
    registry = Registry(port, USER, GOOD).start()
    proxy = FlakyProxy(registry, port + 1).start()
    api = lab.client(1)
    repository = "%s/maestro-test/busybox" % registry.host
    api.tag(IMAGE, repository, "latest")
    pushed = list(
        api.push(repository, "latest", stream=True, decode=True, auth_config={"username": USER, "password": GOOD})
    )
    assert not [e for e in pushed if e.get("error")], pushed
    try:
        yield registry, proxy
    finally:
        lab.reset()
        for host in (registry.host, proxy.host):
            forget(lab, "%s/%s" % (host, PATH))
        proxy.stop()
        registry.stop()


def forget(lab, image):
    """Remove the tag ``image`` from every ship (the layers stay: they are the test image's)."""
    for k in range(1, len(lab.ships) + 1):
        try:
            lab.client(k).remove_image(image)
        except docker.errors.NotFound:
            pass


def holders(lab, image):
    """The names of the ships that have ``image``."""
    found = set()
    for k, ship in enumerate(lab.ships, 1):
        try:
            lab.client(k).inspect_image(image)
            found.add(ship["name"])
        except docker.errors.NotFound:
            pass
    return found


def model(lab, host, password, retry=None, name="regtest"):
    """app-1 and app-2 on ship 1, app-3 on ship 2, app-4 on ship 3, all from ``host``."""
    registry = {
        "registry": "https://%s/v2/" % host,
        "username": USER,
        "password": password,
        "email": "robot@example.com",
    }
    if retry:
        registry["retry"] = retry
    where = {"app-1": 1, "app-2": 1, "app-3": 2, "app-4": 3}
    return {
        "__maestro": {"schema": 2},
        "name": name,
        "ship_defaults": {"timeout": 20},
        "ships": ships_of(lab),
        "registries": {"lab": registry},
        "services": {
            "app": {
                "image": "%s/%s" % (host, PATH),
                "instances": {
                    inst: {"ship": ship_name(lab, k), "command": KEEP_RUNNING, "stop_timeout": 1}
                    for inst, k in where.items()
                },
            }
        },
    }


def never_shows(password, run, *files):
    text = run.output + json.dumps(run.results) + "".join(pathlib.Path(f).read_text(encoding="utf-8") for f in files)
    assert password not in text, "the registry password was printed:\n%s" % run.output


def test_pull_playbook_logs_in_with_the_env_file_credentials(reg, lab, tmp_path):
    registry, _proxy = reg
    image = "%s/%s" % (registry.host, PATH)
    forget(lab, image)
    # Control: the registry really wants the login.
    with pytest.raises(docker.errors.APIError, match="no basic auth credentials"):
        list(lab.client(2).pull(image, stream=True, decode=True))
    path = write_env(tmp_path, model(lab, registry.host, GOOD))

    run = playbook("pull", path, "-vvv")
    assert run.rc == 0, run
    assert holders(lab, image) == {s["name"] for s in lab.ships}
    counts = run.result("Pull images")["counts"]
    assert counts["changed"] == 3 and counts["failed"] == 0, run  # one pull per ship and image
    never_shows(GOOD, run)

    again = playbook("pull", path)
    assert again.rc == 0 and again.recap["changed"] == 0, again  # already up to date

    plan = tmp_path / "plan.json"
    check = playbook("start", path, "--check", "--diff", "-vvv", plan=str(plan))
    assert check.rc == 0 and plan.exists(), check
    never_shows(GOOD, check, plan)


def test_start_pulls_missing_images_and_refresh_pulls_again(reg, lab, tmp_path):
    registry, proxy = reg
    image = "%s/%s" % (proxy.host, PATH)  # through the proxy, which counts the pulls
    lab.reset()
    forget(lab, image)
    path = write_env(tmp_path, model(lab, proxy.host, GOOD))
    proxy.fail(0)

    run = playbook("start", path)
    assert run.rc == 0, run
    assert holders(lab, image) == {s["name"] for s in lab.ships}
    first = lab.client(1).inspect_container("app-1")
    assert first["State"]["Running"] and first["Config"]["Image"] == image
    assert len(proxy.attempts) >= 3, proxy.attempts  # every ship pulled
    never_shows(GOOD, run)

    proxy.fail(0)
    again = playbook("start", path)
    assert again.rc == 0 and again.recap["changed"] == 0, again
    assert proxy.attempts == [], "a present image was pulled again: %s" % proxy.attempts

    refresh = playbook("start", path, refresh_images=True)
    assert refresh.rc == 0, refresh
    assert len(proxy.attempts) >= 3, proxy.attempts  # pulled although present
    assert lab.client(1).inspect_container("app-1")["Id"] == first["Id"]  # same image: kept
    lab.reset()


def test_wrong_password_fails_naming_the_registry_and_never_prints_it(reg, lab, tmp_path):
    _registry, proxy = reg
    image = "%s/%s" % (proxy.host, PATH)
    lab.reset()
    forget(lab, image)
    # 500 is what the Docker API answers to a refused login: listed, and still not retried.
    path = write_env(tmp_path, model(lab, proxy.host, WRONG, retry={"attempts": 3, "when": [500]}))
    refused = "registry lab (https://%s/v2/, user %s) refused the credentials: unauthorized" % (proxy.host, USER)

    proxy.fail(0)
    run = playbook("pull", path, "-vvv", ships=[ship_name(lab, 2)])
    assert run.rc != 0, run
    assert "app-3: pulling %s on %s failed: %s" % (image, ship_name(lab, 2), refused) in run.output, run
    assert len(proxy.attempts) == 1, proxy.attempts
    never_shows(WRONG, run)

    start = playbook("start", path, "-vvv", ships=[ship_name(lab, 3)])
    assert start.rc != 0, start
    assert (
        "services.app.image: app-4 on ship %s: image %s is not on the ship, and pulling it failed: %s"
        % (ship_name(lab, 3), image, refused)
        in start.output
    ), start
    never_shows(WRONG, start)
    assert holders(lab, image) == set()


def test_retry_on_listed_http_codes(reg, lab, tmp_path):
    _registry, proxy = reg
    image = "%s/%s" % (proxy.host, PATH)
    lab.reset()
    forget(lab, image)
    ship1 = ship_name(lab, 1)
    path = write_env(tmp_path, model(lab, proxy.host, GOOD, retry={"attempts": 3, "when": [503]}))

    # Two attempts answered 503, the third gets through: the playbook says so and succeeds.
    proxy.fail(2, 503)
    run = playbook("pull", path, ships=[ship1])
    assert run.rc == 0, run
    assert proxy.attempts == [503, 503, "relayed"]
    for attempt in (1, 2):
        assert re.search(
            r"^  app-[12] on %s: registry lab: HTTP 503 on attempt %d/3, retrying in 1s$" % (ship1, attempt),
            run.output,
            re.M,
        ), run
    assert holders(lab, image) == {ship1}

    env = environment.load(str(path))

    def pull(instance, fails, status):
        forget(lab, image)
        proxy.fail(fails, status)
        return Orchestrator(env).run("pulled", [instance])["instances"][0]

    # Still 503 after the last attempt: fails, saying how many attempts were made.
    result = pull("app-3", 5, 503)
    assert result["failed"] and proxy.attempts == [503, 503, 503]
    assert result["msg"].endswith("503 Service Unavailable (after 3 attempts)"), result["msg"]
    # A status that is not listed fails at once.
    result = pull("app-3", 1, 502)
    assert result["failed"] and proxy.attempts == [502], result
    assert (
        "registry lab (https://%s/v2/, user maestro): received unexpected HTTP status: 502" % proxy.host
        in result["msg"]
        and "attempts" not in result["msg"]
    ), result["msg"]

    # Pull on start goes through the same policy.
    forget(lab, image)
    proxy.fail(1, 503)
    started = Orchestrator(env).run("started", ["app-4"])["instances"][0]
    assert not started["failed"], started
    assert proxy.attempts == [503, "relayed"]
    assert "pulled image (registry lab: HTTP 503 on attempt 1/3, retrying in 1s)" in started["actions"], started
    lab.reset()

    # Without `when`, nothing is retried.
    plain = environment.load(str(write_env(tmp_path, model(lab, proxy.host, GOOD, name="plain"), "plain.yaml")))
    forget(lab, image)
    proxy.fail(1, 503)
    result = Orchestrator(plain).run("pulled", ["app-4"])["instances"][0]
    assert result["failed"] and proxy.attempts == [503], result


SITE = "- hosts: app\n  gather_facts: false\n  roles: [{role: maestro.ng.service, maestro_service: app}]\n"


def test_service_role_pulls_with_the_inventory_registries(reg, lab, tmp_path):
    _registry, proxy = reg
    image = "%s/%s" % (proxy.host, PATH)
    lab.reset()
    forget(lab, image)
    path = write_env(tmp_path, model(lab, proxy.host, GOOD, retry={"attempts": 3, "when": [503]}))
    (tmp_path / "site.yml").write_text(SITE)

    # The first pull is answered 503: retried with the file's policy, and the login goes along.
    proxy.fail(1, 503)
    rc, out = run_user_playbook(tmp_path, "-i", str(path), "site.yml", "-vvv")
    assert rc == 0, out
    assert proxy.attempts.count(503) == 1 and proxy.attempts.count("relayed") == 3, proxy.attempts
    assert holders(lab, image) == {s["name"] for s in lab.ships}
    assert lab.client(2).inspect_container("app-3")["State"]["Running"]
    assert "registry lab: HTTP 503 on attempt 1/3, retrying in 1s" in out, out
    assert GOOD not in out, "the registry password was printed:\n%s" % out

    proxy.fail(0)
    rc, out = run_user_playbook(tmp_path, "-i", str(path), "site.yml")
    assert rc == 0 and recap_changed(out) == 0, out
    assert proxy.attempts == [], proxy.attempts
    lab.reset()


def run_module(args):
    """maestro.ng.container as a module process, as on a host reached over SSH; its JSON answer."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "collections"))
    proc = subprocess.run(
        [sys.executable, str(REPO / "plugins" / "modules" / "container.py")],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.stdout + proc.stderr, json.loads(proc.stdout)


def test_container_module_alone_fails_naming_the_registry_and_hides_only_the_password(reg, lab):
    _registry, proxy = reg
    image = "%s/%s" % (proxy.host, PATH)
    forget(lab, image)
    lab_registry = {
        "registry": "https://%s/v2/" % proxy.host,
        "username": USER,
        "password": WRONG,
        "retry": {"attempts": 3, "when": [500]},
    }
    args = {
        "name": "alone-1",
        "image": image,
        "docker_host": lab.ships[1]["url"],
        "registries": {"lab": lab_registry, "other": {"registry": "quay.io", "password": GOOD}},
    }

    proxy.fail(0)
    text, answer = run_module(args)
    assert answer.get("failed"), text
    # Refused credentials: one attempt, and the registry, its URL and user are named (not masked).
    assert (
        "image %s not found on ship %s and pull failed: registry lab (https://%s/v2/, user %s) "
        "refused the credentials: unauthorized" % (image, lab.ships[1]["ip"], proxy.host, USER) in answer["msg"]
    ), text
    assert len(proxy.attempts) == 1, proxy.attempts
    assert WRONG not in text and GOOD not in text, text
    shown = answer["invocation"]["module_args"]["registries"]
    assert shown["lab"]["username"] == USER and shown["lab"]["retry"] == {"attempts": 3, "when": [500]}, text
    assert shown["lab"]["password"] == shown["other"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", text

    bad = dict(args, registries={"lab": dict(lab_registry, retry={"when": [99]})})
    text, answer = run_module(bad)
    assert answer["msg"] == "registries.lab.retry.when: must be a list of HTTP status codes (100-599)", text
    assert WRONG not in text, text
