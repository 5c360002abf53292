"""module_utils/lab/daemons.py without root or a lab: the prerequisites, lab.sh's ship line and
errors (a fake lab.sh in a tmp folder), the network namespaces (a tmp NETNS_DIR) and the image
copying (fake Docker clients in place of connect)."""

import os

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import (
    DockerException,
    NotFound,
    ShipUnreachable,
)
from ansible_collections.maestro.ng.plugins.module_utils.lab import daemons

MAIN = "unix:///var/run/docker.sock"
SHIP7 = "tcp://10.250.0.8:2375"


@pytest.fixture(autouse=True)
def lab_settings(monkeypatch):
    """lab.sh's defaults, whatever LAB_* the environment sets."""
    monkeypatch.delenv("LAB_NET", raising=False)
    monkeypatch.setattr(daemons, "PORT", 2375)
    monkeypatch.setattr(daemons, "MAIN_DOCKER", MAIN)


@pytest.fixture
def netns(tmp_path, monkeypatch):
    """A NETNS_DIR of our own: touch ``netns / "shipK"`` to make ship K exist."""
    folder = tmp_path / "netns"
    folder.mkdir()
    monkeypatch.setattr(daemons, "NETNS_DIR", str(folder))
    return folder


@pytest.fixture
def lab_script(tmp_path):
    """``lab_script(body)`` -> path of a lab.sh that notes its arguments in ``args.log`` and runs body."""
    log = tmp_path / "args.log"

    def write(body):
        script = tmp_path / "lab.sh"
        script.write_text('echo "$@" >> %s\n%s\n' % (log, body), encoding="utf-8")
        return str(script)

    write.calls = lambda: log.read_text().splitlines() if log.exists() else []
    return write


class FakeDaemon:
    def __init__(self, images=None, ping=True, load_result=None):
        self.images = dict(images or {})
        self.ping_result = ping
        self.load_result = load_result or [{"stream": "Loaded image\n"}]
        self.saved = []
        self.loaded = []

    def ping(self):
        if isinstance(self.ping_result, Exception):
            raise self.ping_result
        return self.ping_result

    def inspect_image(self, image):
        if image not in self.images:
            raise NotFound("404 Client Error: Not Found", explanation="No such image: %s" % image)
        return {"Id": self.images[image]}

    def get_image(self, image):
        self.saved.append(image)
        return iter([b"tar of ", image.encode()])

    def load_image(self, handle):
        self.loaded.append(handle.read())
        return iter(self.load_result)


class Daemons(dict):
    """{docker_url: FakeDaemon}; ``ships`` holds the ship dicts connect was given."""

    def __init__(self):
        super().__init__()
        self.ships = []


@pytest.fixture
def docker_at(monkeypatch):
    """The Daemons that daemons.connect answers from."""
    found = Daemons()

    def connect(ship):
        found.ships.append(ship)
        return found[ship["docker_url"]]

    monkeypatch.setattr(daemons, "connect", connect)
    return found


# check_prerequisites


@pytest.fixture
def as_root(monkeypatch):
    monkeypatch.setattr(daemons.os, "geteuid", lambda: 0)


def test_prerequisites_need_root_first(monkeypatch, tmp_path):
    monkeypatch.setattr(daemons.os, "geteuid", lambda: 1000)
    with pytest.raises(daemons.LabError) as info:
        daemons.check_prerequisites(str(tmp_path / "nowhere.sh"))
    assert str(info.value) == (
        "the lab needs root (it makes network namespaces and starts dockerd): "
        "run ansible-playbook as root, e.g. with sudo"
    )


def test_prerequisites_need_the_script(as_root, tmp_path):
    script = str(tmp_path / "nowhere.sh")
    with pytest.raises(daemons.LabError) as info:
        daemons.check_prerequisites(script)
    assert str(info.value) == "lab script %s not found (pass -e lab_script=PATH to files/lab/lab.sh)" % script


def test_prerequisites_script_must_be_a_file(as_root, tmp_path):
    with pytest.raises(daemons.LabError, match="^lab script .* not found"):
        daemons.check_prerequisites(str(tmp_path))


def test_prerequisites_name_every_missing_tool(as_root, lab_script, monkeypatch):
    script = lab_script("")
    missing = {"nsenter", "flock"}
    asked = []
    monkeypatch.setattr(daemons.shutil, "which", lambda tool: asked.append(tool) or (None if tool in missing else tool))
    with pytest.raises(daemons.LabError) as info:
        daemons.check_prerequisites(script)
    assert str(info.value) == (
        "missing tools: nsenter, flock (apt-get install docker.io busybox-static iptables iproute2)"
    )
    assert asked == ["ip", "nsenter", "setsid", "dockerd", "docker", "iptables", "flock"]


def test_prerequisites_met(as_root, lab_script, monkeypatch):
    monkeypatch.setattr(daemons.shutil, "which", lambda tool: "/usr/bin/" + tool)
    assert daemons.check_prerequisites(lab_script("")) is None


def test_default_script_is_the_collections_lab_sh():
    assert daemons.os.path.join(daemons.COLLECTION_ROOT, "files", "lab", "lab.sh") == daemons.DEFAULT_SCRIPT
    assert daemons.os.path.isfile(daemons.DEFAULT_SCRIPT)


# ship numbers and network namespaces


def test_ip_of_follows_lab_net(monkeypatch):
    assert daemons.ip_of(7) == "10.250.0.8"
    monkeypatch.setenv("LAB_NET", "10.9.8")
    assert daemons.ip_of(7) == "10.9.8.8"


def test_exists_looks_for_the_network_namespace(netns):
    (netns / "ship7").touch()
    (netns / "ship70").touch()
    assert daemons.exists(7) is True
    assert daemons.exists(70) is True
    assert daemons.exists(8) is False


def test_check_free_accepts_free_numbers(netns):
    (netns / "ship9").touch()
    assert daemons.check_free([7, 8]) is None
    assert daemons.check_free([]) is None


def test_check_free_refuses_one_taken_number(netns):
    (netns / "ship8").touch()
    with pytest.raises(daemons.LabError) as info:
        daemons.check_free([7, 8])
    assert str(info.value) == (
        "ship8 already exists and was not made by this lab (the tests use ships 1-30): "
        "choose free numbers with -e lab_first=N"
    )


def test_check_free_refuses_several_taken_numbers(netns):
    (netns / "ship3").touch()
    (netns / "ship5").touch()
    with pytest.raises(daemons.LabError) as info:
        daemons.check_free([3, 4, 5])
    assert str(info.value) == (
        "ship3, ship5 already exist and were not made by this lab (the tests use ships 1-30): "
        "choose free numbers with -e lab_first=N"
    )


# running


def test_running_ship_answers(netns, docker_at):
    (netns / "ship7").touch()
    docker_at[SHIP7] = FakeDaemon()
    assert daemons.running(7) == {"ip": "10.250.0.8", "port": 2375, "url": SHIP7, "started": False}
    [ship] = docker_at.ships
    assert (ship["name"], ship["docker_url"], ship["api_version"], ship["timeout"]) == (SHIP7, SHIP7, "auto", 5)


def test_ship_without_network_namespace_is_not_asked(netns, docker_at):
    assert daemons.running(7) is None
    assert docker_at.ships == []


@pytest.mark.parametrize(
    "ping",
    [
        False,
        DockerException("API version round trip failed"),
        OSError("no route"),
        ShipUnreachable(SHIP7, SHIP7, "[Errno 111] Connection refused"),
        RequestsConnectionError("refused"),
    ],
)
def test_ship_whose_api_does_not_answer_is_not_running(netns, docker_at, ping):
    (netns / "ship7").touch()
    docker_at[SHIP7] = FakeDaemon(ping=ping)
    assert daemons.running(7) is None


# start, remove and lab.sh's errors


def test_start_reads_the_ship_line(netns, docker_at, lab_script):
    script = lab_script(
        "echo '[lab] making ship7' >&2\n"
        "echo 'ship70 tcp://10.250.0.71:2375 /run/lab/ship70/docker.sock'\n"
        "echo 'ship7 tcp://10.250.0.8:2376 /run/lab/ship7/docker.sock'"
    )
    assert daemons.start(script, 7) == {
        "ip": "10.250.0.8",
        "port": 2376,
        "url": "tcp://10.250.0.8:2376",
        "started": True,
    }
    assert lab_script.calls() == ["start-ship 7"]


def test_start_skips_lab_sh_for_a_running_ship(netns, docker_at, lab_script):
    (netns / "ship7").touch()
    docker_at[SHIP7] = FakeDaemon()
    script = lab_script("exit 1")
    assert daemons.start(script, 7) == {"ip": "10.250.0.8", "port": 2375, "url": SHIP7, "started": False}
    assert lab_script.calls() == []


def test_start_runs_lab_sh_for_a_ship_whose_api_is_down(netns, docker_at, lab_script):
    (netns / "ship7").touch()
    docker_at[SHIP7] = FakeDaemon(ping=OSError("refused"))
    script = lab_script("echo 'ship7 %s /run/lab/ship7/docker.sock'" % SHIP7)
    assert daemons.start(script, 7) == {"ip": "10.250.0.8", "port": 2375, "url": SHIP7, "started": True}
    assert lab_script.calls() == ["start-ship 7"]


def test_start_without_a_ship_line(netns, lab_script):
    script = lab_script("echo 'ship70 tcp://10.250.0.71:2375 /sock'; echo 'all done'")
    with pytest.raises(daemons.LabError) as info:
        daemons.start(script, 7)
    assert str(info.value) == (
        "lab.sh start-ship 7 printed no ship line: 'ship70 tcp://10.250.0.71:2375 /sock\\nall done\\n'"
    )


def test_start_takes_only_a_line_with_a_docker_url_for_the_ship_line(netns, lab_script):
    script = lab_script("echo 'ship7 is up'")
    with pytest.raises(daemons.LabError) as info:
        daemons.start(script, 7)
    assert str(info.value) == "lab.sh start-ship 7 printed no ship line: 'ship7 is up\\n'"


def test_lab_sh_failing_without_a_word_says_its_exit_code(lab_script):
    script = lab_script("exit 4")
    with pytest.raises(daemons.LabError) as info:
        daemons.remove(script, 7)
    assert str(info.value) == "lab.sh down-ship 7 failed: exit code 4, no message"


def test_lab_sh_runs_without_stdin(netns, lab_script):
    """lab.sh never reads the controller's standard input (here a pipe with a ship line in it)."""
    script = lab_script("if read -r line; then echo \"$line\"; else echo '[lab] ERROR: stdin is empty' >&2; exit 3; fi")
    read_end, write_end = os.pipe()
    os.write(write_end, b"ship7 tcp://10.0.0.1:1 /from-stdin\n")
    os.close(write_end)
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        with pytest.raises(daemons.LabError) as info:
            daemons.start(script, 7)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(read_end)
    assert str(info.value) == "lab.sh start-ship 7 failed: [lab] ERROR: stdin is empty"


def test_lab_sh_error_lines_are_the_message(netns, lab_script):
    script = lab_script(
        "echo '[lab] waiting for ship7' >&2\n"
        "echo '[lab] ERROR: dockerd of ship7 did not answer' >&2\n"
        "echo '[lab] ERROR: see /run/lab/ship7/dockerd.log' >&2\n"
        "echo '[lab] cleaning up' >&2\n"
        "exit 1"
    )
    with pytest.raises(daemons.LabError) as info:
        daemons.start(script, 7)
    assert str(info.value) == (
        "lab.sh start-ship 7 failed: [lab] ERROR: dockerd of ship7 did not answer "
        "[lab] ERROR: see /run/lab/ship7/dockerd.log"
    )


def test_lab_sh_last_line_without_error_lines(lab_script):
    script = lab_script("echo 'first words' >&2; echo 'last words' >&2; exit 2")
    with pytest.raises(daemons.LabError) as info:
        daemons.remove(script, 7)
    assert str(info.value) == "lab.sh down-ship 7 failed: last words"


def test_lab_sh_bad_ship_number_gets_a_hint(netns, lab_script):
    script = lab_script("echo \"[lab] ERROR: ship number must be 1..200 (got '$2')\" >&2; exit 1")
    with pytest.raises(daemons.LabError) as info:
        daemons.start(script, 300)
    assert str(info.value) == (
        "lab.sh start-ship 300 failed: [lab] ERROR: ship number must be 1..200 (got '300') "
        "(choose the lab's ship numbers with -e lab_first=N)"
    )


def test_remove_runs_down_ship(lab_script):
    assert daemons.remove(lab_script("echo 'removed ship7'"), 7) is None
    assert lab_script.calls() == ["down-ship 7"]


# images


def test_check_images_gives_the_main_daemons_ids(docker_at):
    docker_at[MAIN] = FakeDaemon({"web:1": "sha256:w1", "db:2": "sha256:d2", "other:1": "sha256:o"})
    assert daemons.check_images({"web:1": ["web-1", "web-2"], "db:2": ["db-1"]}) == {
        "web:1": "sha256:w1",
        "db:2": "sha256:d2",
    }
    assert [(ship["name"], ship["docker_url"]) for ship in docker_at.ships] == [("main", MAIN)]


def test_check_images_names_missing_images_and_their_users(docker_at):
    docker_at[MAIN] = FakeDaemon({"db:2": "sha256:d2"})
    with pytest.raises(daemons.LabError) as info:
        daemons.check_images({"web:1": ["web-1", "web-2"], "db:2": ["db-1"], "cache:3": ["cache-1"]})
    assert str(info.value) == (
        "not on the local Docker daemon (unix:///var/run/docker.sock), so it cannot be copied into the lab: "
        "web:1 (used by web-1, web-2); cache:3 (used by cache-1); pull or build it there first"
    )


def test_images_to_copy_are_the_missing_and_the_different_ones(docker_at):
    docker_at["tcp://10.250.0.51:2375"] = FakeDaemon({"web:1": "sha256:w1"})
    docker_at["tcp://10.250.0.52:2375"] = FakeDaemon({"web:1": "sha256:old", "db:2": "sha256:d2"})
    docker_at["tcp://10.250.0.53:2375"] = FakeDaemon({"web:1": "sha256:w1", "db:2": "sha256:d2"})
    urls = {
        "vm1": "tcp://10.250.0.51:2375",
        "vm2": "tcp://10.250.0.52:2375",
        "vm3": "tcp://10.250.0.53:2375",
    }
    wanted = {"vm1": ["db:2", "web:1"], "vm2": ["db:2", "web:1"], "vm3": ["db:2", "web:1"]}
    ids = {"web:1": "sha256:w1", "db:2": "sha256:d2"}
    assert daemons.images_to_copy(urls, wanted, ids) == [("vm1", "db:2"), ("vm2", "web:1")]
    assert [(ship["name"], ship["docker_url"]) for ship in docker_at.ships] == [
        ("vm1", "tcp://10.250.0.51:2375"),
        ("vm2", "tcp://10.250.0.52:2375"),
        ("vm3", "tcp://10.250.0.53:2375"),
    ]


def test_images_to_copy_nothing_wanted(docker_at):
    assert daemons.images_to_copy({"vm1": "tcp://10.250.0.51:2375"}, {}, {}) == []
    assert docker_at.ships == []


def test_copy_images_saves_each_image_once_and_loads_it_on_each_ship(docker_at):
    main = docker_at[MAIN] = FakeDaemon()
    vm1 = docker_at["tcp://10.250.0.51:2375"] = FakeDaemon()
    vm2 = docker_at["tcp://10.250.0.52:2375"] = FakeDaemon()
    urls = {"vm1": "tcp://10.250.0.51:2375", "vm2": "tcp://10.250.0.52:2375"}
    daemons.copy_images(urls, [("vm2", "web:1"), ("vm1", "web:1"), ("vm2", "db:2")])
    assert main.saved == ["db:2", "web:1"]
    assert vm1.loaded == [b"tar of web:1"]
    assert sorted(vm2.loaded) == [b"tar of db:2", b"tar of web:1"]


def test_copy_images_load_error_is_a_lab_error(docker_at):
    docker_at[MAIN] = FakeDaemon()
    docker_at["tcp://10.250.0.52:2375"] = FakeDaemon(
        load_result=[{"stream": "Loading layer"}, {"error": "no space left on device"}]
    )
    with pytest.raises(daemons.LabError) as info:
        daemons.copy_images({"vm2": "tcp://10.250.0.52:2375"}, [("vm2", "web:1")])
    assert str(info.value) == "loading web:1 into lab ship vm2 failed: no space left on device"
