"""Refused before the first change, on real daemons: what Docker would refuse of a file's values (at
load), and what only a ship can say (a log driver, a network, a Docker new enough, the image), asked
of every ship before anything changes on any of them. Each case is a file whose bad value sits in
the later of two services, on another ship than the first: nothing may start anywhere, and the
message names the file's line, the key, the instance and the ship. A container the daemon creates but
cannot start goes again."""

import pytest
from helpers.envs import IMAGE, failed, inspect_all, ok, playbook, ship_name, ships_of, write_env

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import connect
from ansible_collections.maestro.ng.plugins.module_utils.docker.container import ContainerManager
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import minimal_spec

WAIT = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]


def two_services(lab, **web_settings):
    """first (first-1 on ship 1) <- web (web-1 on ship 2, with ``web_settings``)."""
    web = {"ship": ship_name(lab, 2), "command": WAIT, "stop_timeout": 1}
    web.update(web_settings)
    return {
        "name": "preflight",
        "ships": ships_of(lab),
        "services": {
            "first": {
                "image": IMAGE,
                "instances": {"first-1": {"ship": ship_name(lab, 1), "command": WAIT, "stop_timeout": 1}},
            },
            "web": {"image": web.pop("image", IMAGE), "requires": ["first"], "instances": {"web-1": web}},
        },
    }


def line_of(path, key):
    """The line of the file at ``path`` on which web's ``key:`` stands."""
    lines = path.read_text().splitlines()
    web = lines.index("  web:")
    for number, text in enumerate(lines[web:], web + 1):
        if text.strip().startswith(key + ":"):
            return number
    raise AssertionError("%s: no %s" % (path, key))


@pytest.mark.parametrize(
    "settings, key, message",
    [
        ({"image": "Maestro-Test/BusyBox:latest"}, "image", "the repository must be lowercase"),
        ({"workdir": "relative/dir"}, "workdir", "'relative/dir' is not an absolute path"),
        ({"cap_add": "NOPE"}, "cap_add", "unknown capability 'NOPE'"),
    ],
)
def test_a_value_docker_would_refuse_fails_at_load_with_its_line(clean_lab, tmp_path, settings, key, message):
    path = write_env(tmp_path, two_services(clean_lab, **settings))
    run = failed(playbook("start", env=path), message)
    assert ("%s:%d: services.web" % (path, line_of(path, key))) in run.output, run.output
    assert inspect_all(clean_lab) == {}


@pytest.mark.parametrize(
    "settings, key, message",
    [
        ({"log_driver": "nosuchdriver"}, "log_driver", "the ship has no log driver 'nosuchdriver' (it has: "),
        ({"net": "nosuchnet"}, "net", "the ship has no network 'nosuchnet' (it has: bridge, host, none)"),
        ({"cap_add": "BPF"}, "cap_add", "BPF needs Docker API 1.42 or newer; the ship's is 1.41"),
        # A registry on the ship's own loopback, where nothing listens: the pull fails at once.
        ({"image": "127.0.0.1:9/maestro-test/none:1"}, "image", "is not on the ship, and pulling it failed"),
    ],
)
def test_what_a_ship_lacks_refuses_the_run_before_any_change(clean_lab, tmp_path, settings, key, message):
    path = write_env(tmp_path, two_services(clean_lab, **settings))
    run = failed(playbook("start", env=path), message)
    where = "%s:%d: services.web." % (path, line_of(path, key))
    assert where in run.output and "web-1 on ship %s: " % ship_name(clean_lab, 2) in run.output, run.output
    assert inspect_all(clean_lab) == {}  # first-1, on a ship with nothing wrong, did not start either


def test_check_mode_reports_what_a_ship_lacks(clean_lab, tmp_path):
    path = write_env(tmp_path, two_services(clean_lab, net="nosuchnet"))
    failed(playbook("start", path, "--check"), "the ship has no network 'nosuchnet'")
    assert inspect_all(clean_lab) == {}


def test_what_a_ship_has_passes(clean_lab, tmp_path):
    client = clean_lab.client(2)
    client.create_network("maestro-preflight")
    try:
        path = write_env(
            tmp_path, two_services(clean_lab, net="maestro-preflight", log_driver="local", cap_add=["NET_ADMIN"])
        )
        ok(playbook("start", env=path))
        found = inspect_all(clean_lab)
        assert found["web-1"]["HostConfig"]["NetworkMode"] == "maestro-preflight"
        assert found["web-1"]["HostConfig"]["LogConfig"]["Type"] == "local"
        assert found["web-1"]["State"]["Running"]
        assert ok(playbook("start", env=path)).recap["changed"] == 0
    finally:
        clean_lab.reset()
        client.remove_network("maestro-preflight")


def test_a_container_the_daemon_cannot_start_goes_again(clean_lab, tmp_path):
    # A user the image lacks: only starting the container tells.
    path = write_env(tmp_path, two_services(clean_lab, username="nosuchuser"))
    failed(playbook("start", env=path), "unable to find user nosuchuser")
    found = inspect_all(clean_lab)
    assert "web-1" not in found and found["first-1"]["State"]["Running"]


def test_the_container_module_leaves_no_container_it_could_not_start(clean_lab):
    # The module has no preflight: a network the ship lacks comes out at start, and the container goes.
    ship = clean_lab.ships[0]
    client = connect({"name": ship["name"], "docker_url": ship["url"]})
    spec = minimal_spec(name="pre-module-1", image=IMAGE, command=WAIT, network_mode="nosuchnet", ship=ship["name"])
    with pytest.raises(ContainerError, match="network nosuchnet not found") as info:
        ContainerManager(client, spec).converge("started")
    assert info.value.result["actions"] == ["created", "removed (it could not start)"]
    assert inspect_all(clean_lab, ships=[1]) == {}
