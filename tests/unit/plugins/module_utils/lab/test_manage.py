"""module_utils/lab/manage.py: up() and down() with the daemons module faked (the ships are
numbers in a set, every call is noted), on real environment and lab files."""

import os

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.lab import daemons, manage, rewrite
from ansible_collections.maestro.ng.plugins.module_utils.model import environment

SCRIPT = "/opt/lab/lab.sh"
ENV = """
__maestro: {schema: 2}
name: try
ships:
  vm1: {ip: 10.0.0.1}
  vm2: {ip: 10.0.0.2}
services:
  web:
    image: web:1
    instances:
      web-1: {ship: vm1, env: {PEER: 10.0.0.2}}
      web-2: {ship: vm2, image: web:2}
"""
ENV_VM1 = """
__maestro: {schema: 2}
name: try
ships:
  vm1: {ip: 10.0.0.1}
services:
  web:
    image: web:1
    instances:
      web-1: {ship: vm1}
"""
ENV_THREE = """
__maestro: {schema: 2}
name: try
ships:
  vm1: {ip: 10.0.0.1}
  vm2: {ip: 10.0.0.2}
  vm3: {ip: 10.0.0.3}
services:
  web:
    image: web:1
    instances:
      web-1: {ship: vm1}
"""
IMAGES = {"web:1": ["web-1"], "web:2": ["web-2"]}
IDS = {"web:1": "sha256:web:1", "web:2": "sha256:web:2"}


def url(number):
    return "tcp://10.250.0.%d:2375" % (number + 1)


def lab_ship(number, started):
    return {"ip": "10.250.0.%d" % (number + 1), "port": 2375, "url": url(number), "started": started}


class FakeLab:
    """daemons' functions over a set of existing ship numbers; check_free stays the real one
    (it asks the fake exists)."""

    def __init__(self):
        self.existing = set()
        self.calls = []
        self.fail_start = {}  # ship number -> whether its netns is made before the failure
        self.todo = []
        self.copy_error = None

    def check_prerequisites(self, script):
        self.calls.append(("check_prerequisites", script))

    def exists(self, number):
        return number in self.existing

    def check_images(self, images_used):
        self.calls.append(("check_images", images_used))
        return {image: "sha256:" + image for image in images_used}

    def running(self, number):
        self.calls.append(("running", number))
        return lab_ship(number, False) if number in self.existing else None

    def start(self, script, number):
        assert script == SCRIPT
        self.calls.append(("start", number))
        if number in self.fail_start:
            if self.fail_start[number]:
                self.existing.add(number)
            raise daemons.LabError("lab.sh start-ship %d failed: [lab] ERROR: boom" % number)
        started = number not in self.existing
        self.existing.add(number)
        return lab_ship(number, started)

    def remove(self, script, number):
        assert script == SCRIPT
        self.calls.append(("remove", number))
        self.existing.discard(number)

    def images_to_copy(self, urls, wanted, ids):
        self.calls.append(("images_to_copy", urls, wanted, ids))
        return list(self.todo)

    def copy_images(self, urls, todo):
        self.calls.append(("copy_images", urls, todo))
        if self.copy_error is not None:
            raise self.copy_error  # pylint: disable=raising-bad-type

    def names(self):
        """The calls that make, remove or copy something."""
        return [call for call in self.calls if call[0] in ("start", "remove", "copy_images")]


FAKED = ("check_prerequisites", "exists", "check_images", "running", "start", "remove", "images_to_copy", "copy_images")


@pytest.fixture
def lab(monkeypatch):
    fake = FakeLab()
    for name in FAKED:
        monkeypatch.setattr(daemons, name, getattr(fake, name))
    return fake


@pytest.fixture
def env_file(write_env):
    """The path of ENV written, and its lab file's path."""
    path = write_env(ENV)
    return path, os.path.join(os.path.dirname(path), "env.lab.yaml")


def made(path, lab_path, ships, copied):
    return "\n".join(
        ["%s: lab ship%d at %s (was %s)" % (name, s["number"], s["url"], s["was"]) for name, s in ships.items()]
        + [
            copied,
            "lab environment file: %s" % lab_path,
            "every playbook runs on the lab with -e env=%s, e.g. ansible-playbook playbooks/start.yml -e env=%s"
            % (lab_path, lab_path),
            "remove the lab: ansible-playbook playbooks/lab.yml -e env=%s -e lab=down" % path,
        ]
    )


SHIPS = {
    "vm1": {
        "ip": "10.250.0.51",
        "port": 2375,
        "url": "tcp://10.250.0.51:2375",
        "number": 50,
        "was": "tcp://10.0.0.1:2375",
    },
    "vm2": {
        "ip": "10.250.0.52",
        "port": 2375,
        "url": "tcp://10.250.0.52:2375",
        "number": 51,
        "was": "tcp://10.0.0.2:2375",
    },
}
URLS = {"vm1": url(50), "vm2": url(51)}


# up


def test_up_makes_the_ships_copies_the_images_and_writes_the_lab_file(lab, env_file):
    path, lab_path = env_file
    lab.todo = [("vm2", "web:2")]
    result = manage.up(path, None, SCRIPT)
    assert result == {
        "changed": True,
        "lab_env": lab_path,
        "ships": SHIPS,
        "copied": [{"ship": "vm2", "image": "web:2"}],
        "msg": made(path, lab_path, SHIPS, "1 image(s) copied in: web:2 -> vm2"),
    }
    assert lab.calls == [
        ("check_prerequisites", SCRIPT),
        ("check_images", IMAGES),
        ("start", 50),
        ("start", 51),
        ("images_to_copy", URLS, {"vm1": ["web:1"], "vm2": ["web:2"]}, IDS),
        ("copy_images", URLS, [("vm2", "web:2")]),
    ]
    assert lab.existing == {50, 51}


def test_up_writes_the_lab_addresses_into_the_lab_file(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    labbed = environment.load(lab_path, environ={})
    assert {name: ship["docker_url"] for name, ship in labbed.ships.items()} == URLS
    assert labbed.instances["web-1"]["env"]["PEER"] == "10.250.0.52"
    assert rewrite.read_lab_record(lab_path) == {
        "source": path,
        "first": 50,
        "ships": {
            "vm1": {"number": 50, "url": url(50), "was": "tcp://10.0.0.1:2375"},
            "vm2": {"number": 51, "url": url(51), "was": "tcp://10.0.0.2:2375"},
        },
    }


def test_up_from_another_first_number(lab, env_file):
    path, lab_path = env_file
    result = manage.up(path, 60, SCRIPT)
    assert [(name, ship["number"], ship["url"]) for name, ship in result["ships"].items()] == [
        ("vm1", 60, url(60)),
        ("vm2", 61, url(61)),
    ]
    assert rewrite.read_lab_record(lab_path)["first"] == 60
    # The next run keeps the recorded numbers.
    assert [ship["number"] for ship in manage.up(path, None, SCRIPT)["ships"].values()] == [60, 61]


def test_up_again_changes_nothing(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    with open(lab_path, encoding="utf-8") as handle:
        text = handle.read()
    lab.calls.clear()
    result = manage.up(path, None, SCRIPT)
    assert result == {
        "changed": False,
        "lab_env": lab_path,
        "ships": SHIPS,
        "copied": [],
        "msg": made(path, lab_path, SHIPS, "images already in place"),
    }
    # Its own ships are not refused as taken, and are asked to start (lab.sh repairs them).
    assert lab.names() == [("start", 50), ("start", 51), ("copy_images", URLS, [])]
    with open(lab_path, encoding="utf-8") as handle:
        assert handle.read() == text


def test_up_restarting_a_ship_is_a_change(lab, env_file):
    path, dummy = env_file
    manage.up(path, None, SCRIPT)
    lab.existing.discard(51)  # its netns is gone: start makes it again
    assert manage.up(path, None, SCRIPT)["changed"] is True


def test_up_removes_the_ships_the_file_no_longer_has(lab, write_env):
    path = write_env(ENV_THREE)
    manage.up(path, None, SCRIPT)
    assert lab.existing == {50, 51, 52}
    write_env(ENV)
    lab.calls.clear()
    result = manage.up(path, None, SCRIPT)
    assert result["changed"] is True
    assert lab.names() == [("remove", 52), ("start", 50), ("start", 51), ("copy_images", URLS, [])]
    assert lab.existing == {50, 51}
    assert sorted(rewrite.read_lab_record(rewrite.lab_file_name(path))["ships"]) == ["vm1", "vm2"]


def test_up_check_mode_makes_nothing(lab, env_file):
    path, lab_path = env_file
    result = manage.up(path, None, SCRIPT, check_mode=True)
    assert result == {"changed": True, "lab_env": lab_path, "msg": "would make lab ships 50, 51 for %s" % path}
    assert lab.calls == [
        ("check_prerequisites", SCRIPT),
        ("check_images", IMAGES),
        ("running", 50),
        ("running", 51),
    ]
    assert lab.existing == set()
    assert not os.path.exists(lab_path)


def test_up_check_mode_with_the_lab_in_place_tells_what_it_would_copy(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    lab.calls.clear()
    lab.todo = [("vm1", "web:1")]
    assert manage.up(path, None, SCRIPT, check_mode=True) == {
        "changed": True,
        "lab_env": lab_path,
        "msg": "would copy 1 image(s)",
    }
    assert lab.names() == []


def test_up_check_mode_with_nothing_to_do(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    assert manage.up(path, None, SCRIPT, check_mode=True) == {
        "changed": False,
        "lab_env": lab_path,
        "msg": "would copy 0 image(s)",
    }


def test_up_check_mode_does_not_rewrite_a_changed_file(lab, env_file, write_env):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    with open(lab_path, encoding="utf-8") as handle:
        text = handle.read()
    write_env(ENV.replace("PEER: 10.0.0.2", "PEER: 10.0.0.1"))
    lab.calls.clear()
    assert manage.up(path, None, SCRIPT, check_mode=True) == {
        "changed": True,
        "lab_env": lab_path,
        "msg": "would copy 0 image(s), rewrite %s" % lab_path,
    }
    assert lab.names() == []
    with open(lab_path, encoding="utf-8") as handle:
        assert handle.read() == text


def test_up_check_mode_with_a_stale_ship(lab, write_env):
    path = write_env(ENV_THREE)
    manage.up(path, None, SCRIPT)
    write_env(ENV)
    lab.calls.clear()
    result = manage.up(path, None, SCRIPT, check_mode=True)
    assert result["msg"] == "would make lab ships 50, 51 for %s" % path
    assert lab.names() == []
    assert lab.existing == {50, 51, 52}


@pytest.mark.parametrize(
    "taken, first, message",
    [
        ({51}, None, "ship51 already exists and was not made by this lab"),
        ({61, 60}, 60, "ship60, ship61 already exist and were not made by this lab"),
    ],
)
def test_up_refuses_a_ship_number_in_use_before_making_anything(lab, env_file, taken, first, message):
    path, lab_path = env_file
    lab.existing = set(taken)
    with pytest.raises(daemons.LabError) as info:
        manage.up(path, first, SCRIPT)
    assert str(info.value) == message + (" (the tests use ships 1-30): choose free numbers with -e lab_first=N")
    assert lab.calls == [("check_prerequisites", SCRIPT)]
    assert lab.existing == set(taken)
    assert not os.path.exists(lab_path)


def test_up_check_mode_refuses_a_ship_number_in_use_too(lab, env_file):
    path, dummy = env_file
    lab.existing = {50}
    with pytest.raises(daemons.LabError, match="^ship50 already exists"):
        manage.up(path, None, SCRIPT, check_mode=True)


def test_up_failure_while_starting_removes_the_ships_it_made(lab, env_file):
    path, lab_path = env_file
    lab.fail_start = {51: False}
    with pytest.raises(daemons.LabError) as info:
        manage.up(path, None, SCRIPT)
    assert str(info.value) == "lab.sh start-ship 51 failed: [lab] ERROR: boom"
    assert lab.names() == [("start", 50), ("start", 51), ("remove", 50)]
    assert lab.existing == set()
    assert not os.path.exists(lab_path)


def test_up_failure_while_starting_removes_a_half_made_ship(lab, env_file):
    path, dummy = env_file
    lab.fail_start = {51: True}
    with pytest.raises(daemons.LabError):
        manage.up(path, None, SCRIPT)
    assert lab.names() == [("start", 50), ("start", 51), ("remove", 50), ("remove", 51)]
    assert lab.existing == set()


def test_up_failure_while_starting_keeps_the_labs_own_ships(lab, write_env):
    path = write_env(ENV_VM1)
    manage.up(path, None, SCRIPT)
    lab_path = rewrite.lab_file_name(path)
    with open(lab_path, encoding="utf-8") as handle:
        text = handle.read()
    write_env(ENV)
    lab.calls.clear()
    lab.fail_start = {51: True}
    with pytest.raises(daemons.LabError):
        manage.up(path, None, SCRIPT)
    assert lab.names() == [("start", 50), ("start", 51), ("remove", 51)]
    assert lab.existing == {50}
    with open(lab_path, encoding="utf-8") as handle:
        assert handle.read() == text


def test_up_failure_while_copying_removes_the_ships_it_made(lab, write_env):
    path = write_env(ENV_VM1)
    manage.up(path, None, SCRIPT)
    lab_path = rewrite.lab_file_name(path)
    with open(lab_path, encoding="utf-8") as handle:
        text = handle.read()
    write_env(ENV)
    lab.calls.clear()
    lab.todo = [("vm2", "web:2")]
    lab.copy_error = daemons.LabError("loading web:2 into lab ship vm2 failed: no space left on device")
    with pytest.raises(daemons.LabError) as info:
        manage.up(path, None, SCRIPT)
    assert str(info.value) == "loading web:2 into lab ship vm2 failed: no space left on device"
    assert lab.names() == [("start", 50), ("start", 51), ("copy_images", URLS, [("vm2", "web:2")]), ("remove", 51)]
    assert lab.existing == {50}
    with open(lab_path, encoding="utf-8") as handle:
        assert handle.read() == text


def test_up_refuses_a_lab_file(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    lab.calls.clear()
    with pytest.raises(MaestroError) as info:
        manage.up(lab_path, None, SCRIPT)
    assert str(info.value) == "%s: is a lab file already: give the original environment file" % lab_path
    assert lab.calls == []


def test_up_refuses_another_files_lab(lab, env_file, write_env):
    path, lab_path = env_file
    write_env("_maestro_lab: {source: /elsewhere/env.yaml, first: 50, ships: {}}\n", name="env.lab.yaml")
    with pytest.raises(MaestroError) as info:
        manage.up(path, None, SCRIPT)
    assert str(info.value) == "%s: %s belongs to the lab of /elsewhere/env.yaml" % (path, lab_path)
    assert lab.calls == []


def test_up_refuses_to_renumber_a_lab(lab, env_file):
    path, dummy = env_file
    manage.up(path, None, SCRIPT)
    lab.calls.clear()
    assert manage.up(path, 50, SCRIPT)["changed"] is False  # the recorded number is fine
    lab.calls.clear()
    with pytest.raises(daemons.LabError) as info:
        manage.up(path, 60, SCRIPT)
    assert str(info.value) == "the lab of %s uses ships from 50: remove it first (-e lab=down) to renumber it" % path
    assert lab.calls == []


# down


def test_down_without_a_lab(lab, env_file):
    path, lab_path = env_file
    assert manage.down(path, SCRIPT) == {
        "changed": False,
        "msg": "no lab for %s (%s does not exist)" % (path, lab_path),
    }
    assert lab.calls == []


def test_down_removes_exactly_the_recorded_ships_and_the_lab_file(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    lab.existing.update({49, 52})  # someone else's
    lab.calls.clear()
    assert manage.down(path, SCRIPT) == {
        "changed": True,
        "removed": [50, 51],
        "msg": "removed lab ships 50, 51 and %s" % lab_path,
    }
    assert lab.calls == [("check_prerequisites", SCRIPT), ("remove", 50), ("remove", 51)]
    assert lab.existing == {49, 52}
    assert not os.path.exists(lab_path)


def test_down_one_ship(lab, write_env):
    path = write_env(ENV_VM1)
    manage.up(path, None, SCRIPT)
    lab_path = rewrite.lab_file_name(path)
    assert manage.down(path, SCRIPT)["msg"] == "removed lab ship 50 and %s" % lab_path


def test_down_removes_in_number_order(lab, env_file, write_env):
    path, lab_path = env_file
    write_env(
        "_maestro_lab: {source: %s, first: 3, ships: {b: {number: 7}, a: {number: 3}}}\n" % path,
        name="env.lab.yaml",
    )
    assert manage.down(path, SCRIPT)["removed"] == [3, 7]
    assert lab.names() == [("remove", 3), ("remove", 7)]
    assert not os.path.exists(lab_path)


def test_down_check_mode_removes_nothing(lab, env_file):
    path, lab_path = env_file
    manage.up(path, None, SCRIPT)
    lab.calls.clear()
    assert manage.down(path, SCRIPT, check_mode=True) == {"changed": True, "msg": "would remove lab ships 50, 51"}
    assert lab.calls == []
    assert lab.existing == {50, 51}
    assert os.path.exists(lab_path)
