"""The status view (run/status.py) on fake ships: the module's ``connect`` gives a fake client per
ship whose listing, image and container inspects come from dicts; container_specs.daemon_inspect
(tests/unit/plugins/module_utils/docker) plays the inspect of a container made from a spec."""

import copy

import docker.errors
import pytest
import requests

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable
from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_DIGEST,
    config_digest,
    desired_config,
)
from ansible_collections.maestro.ng.plugins.module_utils.run import status
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import (
    IMAGE,
    NEW_IMAGE,
    daemon_inspect,
)

ENV = """
name: viewed
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  db:
    image: postgres:16
    instances:
      db-1: {ship: ship1}
  web:
    image: nginx:1
    requires: [db]
    env: {MODE: prod}
    ports:
      http: 80
      admin: {exposed: 8080, external: [127.0.0.1, 9090]}
      dns: 53/udp
      feed: {exposed: 7000-7002, external: 17000-17002}
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship2}
"""
WEB_PORTS = [
    "http:80->80/tcp",
    "admin:127.0.0.1:9090->8080/tcp",
    "dns:53->53/udp",
    "feed:17000-17002->7000-7002/tcp",
]
WEB_ID = "1" * 64
DB_ID = "2" * 64
DOWN = "ship ship2 (tcp://10.250.0.202:2375) is unreachable: [Errno 113] No route to host"


class FakeClient:
    """One ship: ``listing`` (entries, or an exception), ``images`` and ``containers`` by name or id."""

    def __init__(self, listing=(), images=None, inspects=None):
        self.listing = listing
        self.images = dict(images or {})
        self.inspects = dict(inspects or {})
        self.calls = []

    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        self.calls.append(("containers", all, filters))
        if isinstance(self.listing, Exception):
            raise self.listing
        return list(self.listing)

    def inspect_image(self, image):
        self.calls.append(("inspect_image", image))
        found = self.images.get(image)
        if isinstance(found, Exception):
            raise found
        if found is None:
            raise docker.errors.NotFound("No such image: %s" % image)
        return found

    def inspect_container(self, name):
        self.calls.append(("inspect_container", name))
        found = self.inspects.get(name)
        if isinstance(found, Exception):
            raise found
        if found is None:
            raise docker.errors.NotFound("No such container: %s" % name)
        return found


@pytest.fixture
def env(load_env):
    return load_env(ENV)


@pytest.fixture
def ships(monkeypatch):
    """{ship name: FakeClient or ShipUnreachable}, what the module's ``connect`` gives."""
    clients = {}

    def connect(ship):
        found = clients[ship["name"]]
        if isinstance(found, Exception):
            raise found
        return found

    monkeypatch.setattr(status, "connect", connect)
    return clients


def listed(spec, container_id, state="running", status_text="Up 2 hours", image_id=IMAGE["Id"], current=True):
    """The container listing entry of ``spec``'s container; ``current``: it carries the digest label of the spec."""
    labels = {LABEL_DIGEST: config_digest(desired_config(spec), spec) if current else "0" * 16}
    return {
        "Id": container_id,
        "Names": ["/" + spec["name"]],
        "Image": spec["image"],
        "ImageID": image_id,
        "State": state,
        "Status": status_text,
        "Labels": labels,
    }


def absent_row(spec, ports=()):
    return {
        "service": spec["service"],
        "instance": spec["name"],
        "ship": spec["ship"],
        "ship_ip": spec["ship_ip"],
        "image": spec["image"],
        "image_id": None,
        "container_id": None,
        "state": "absent",
        "status": "down",
        "ports": list(ports),
        "drift": None,
    }


# ---------------------------------------------------------------------- rows
def test_an_instance_without_a_container_is_absent_and_down(env, ships):
    ships["ship1"] = FakeClient([])
    assert status.status(env, ["db-1", "web-1"]) == [
        absent_row(env.instances["db-1"]),
        absent_row(env.instances["web-1"], WEB_PORTS),
    ]
    assert ships["ship1"].calls == [("containers", True, None)]  # one listing, no inspect


def test_a_running_container_with_the_files_digest_has_no_drift_without_an_inspect(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient([listed(web, WEB_ID)], images={"nginx:1": IMAGE})
    assert status.status(env, ["web-1"]) == [
        dict(
            absent_row(web, WEB_PORTS),
            image_id="aaaaaaaaaaaa",
            container_id="111111111111",
            state="running",
            status="Up 2 hours",
            drift=[],
        )
    ]
    assert ships["ship1"].calls == [("containers", True, None), ("inspect_image", "nginx:1")]


def test_a_ship_that_is_down_gives_unknown_rows_with_its_error(env, ships):
    ships["ship1"] = FakeClient([])
    ships["ship2"] = ShipUnreachable("ship2", "tcp://10.250.0.202:2375", "[Errno 113] No route to host")
    rows = status.status(env, ["web-2", "db-1"])
    assert rows == [
        dict(absent_row(env.instances["web-2"], WEB_PORTS), state="unknown", status="host down", error=DOWN),
        absent_row(env.instances["db-1"]),
    ]


def test_a_listing_that_loses_the_connection_is_a_ship_down(env, ships):
    ships["ship2"] = FakeClient(requests.exceptions.ConnectionError("[Errno 113] No route to host"))
    [row] = status.status(env, ["web-2"])
    assert (row["state"], row["status"], row["error"]) == ("unknown", "host down", DOWN)


def test_a_listing_the_daemon_refuses_gives_rows_saying_so_and_the_other_ships_rows(env, ships):
    ships["ship1"] = FakeClient([])
    ships["ship2"] = FakeClient(docker.errors.APIError("500 Server Error", explanation="boom"))
    rows = status.status(env, ["web-2", "db-1"])
    assert (rows[0]["state"], rows[0]["status"], rows[0]["error"]) == ("unknown", "cannot list", "boom")
    assert rows[1] == absent_row(env.instances["db-1"])


def test_each_ship_is_listed_once_and_rows_keep_the_order_asked(env, ships):
    ships["ship1"] = FakeClient([listed(env.instances["db-1"], DB_ID, "exited", "Exited (0) 3 days ago")])
    ships["ship2"] = FakeClient([])
    rows = status.status(env, ["web-2", "db-1", "web-1"], drift=False)
    assert [(r["instance"], r["state"], r["status"], r["container_id"]) for r in rows] == [
        ("web-2", "absent", "down", None),
        ("db-1", "exited", "Exited (0) 3 days ago", "222222222222"),
        ("web-1", "absent", "down", None),
    ]
    assert ships["ship1"].calls == [("containers", True, None)]
    assert ships["ship2"].calls == [("containers", True, None)]


def test_a_listing_entry_without_state_or_status(env, ships):
    entry = {"Id": "abc123", "Names": ["/db-1"], "ImageID": None}
    ships["ship1"] = FakeClient([entry])
    [row] = status.status(env, ["db-1"], drift=False)
    assert (row["container_id"], row["image_id"], row["state"], row["status"]) == ("abc123", None, "unknown", "")


def test_without_drift_nothing_is_inspected(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient([listed(web, WEB_ID, current=False)], images={"nginx:1": IMAGE})
    [row] = status.status(env, ["web-1"], drift=False)
    assert row["drift"] is None and row["container_id"] == "111111111111"
    assert ships["ship1"].calls == [("containers", True, None)]


# ---------------------------------------------------------------------- drift
def test_a_container_without_the_files_digest_is_inspected_and_compared(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient(
        [listed(web, WEB_ID, current=False)],
        images={"nginx:1": IMAGE},
        inspects={"111111111111": daemon_inspect(web, IMAGE)},
    )
    [row] = status.status(env, ["web-1"])
    assert row["drift"] == []
    assert ships["ship1"].calls[-1] == ("inspect_container", "111111111111")


def test_drift_lists_what_differs_from_the_file(env, ships):
    web = env.instances["web-1"]
    inspect = copy.deepcopy(daemon_inspect(web, IMAGE))
    inspect["Config"]["Env"] = [e.replace("MODE=prod", "MODE=dev") for e in inspect["Config"]["Env"]]
    ships["ship1"] = FakeClient(
        [listed(web, WEB_ID, current=False)], images={"nginx:1": IMAGE}, inspects={"111111111111": inspect}
    )
    assert status.status(env, ["web-1"])[0]["drift"] == ["env.MODE changed"]


def test_a_newer_image_on_the_ship_is_drift(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient(
        [listed(web, WEB_ID)], images={"nginx:1": NEW_IMAGE}, inspects={"111111111111": daemon_inspect(web, IMAGE)}
    )
    assert status.status(env, ["web-1"])[0]["drift"] == ["image changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)"]


def test_an_image_missing_on_the_ship_is_drift(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient([listed(web, WEB_ID)], images={}, inspects={"111111111111": daemon_inspect(web, IMAGE)})
    assert status.status(env, ["web-1"])[0]["drift"] == ["image nginx:1 not present on the ship"]


def test_an_image_inspect_error_cannot_compare(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient(
        [listed(web, WEB_ID)],
        images={"nginx:1": docker.errors.APIError("500 Server Error", explanation="storage driver failed")},
        inspects={"111111111111": daemon_inspect(web, IMAGE)},
    )
    assert status.status(env, ["web-1"])[0]["drift"] == ['cannot compare: 500 Server Error ("storage driver failed")']


def test_a_container_removed_since_the_listing_cannot_compare(env, ships):
    web = env.instances["web-1"]
    ships["ship1"] = FakeClient([listed(web, WEB_ID, current=False)], images={"nginx:1": IMAGE})
    assert status.status(env, ["web-1"])[0]["drift"] == ["cannot compare: No such container: 111111111111"]


def test_one_image_inspect_per_ship_and_image(env, ships):
    web1, web2 = env.instances["web-1"], env.instances["web-2"]
    db = env.instances["db-1"]
    ships["ship1"] = FakeClient(
        [listed(web1, WEB_ID), listed(db, DB_ID)], images={"nginx:1": IMAGE, "postgres:16": IMAGE}
    )
    ships["ship2"] = FakeClient([listed(web2, "3" * 64)], images={"nginx:1": IMAGE})
    rows = status.status(env, ["db-1", "web-1", "web-2"])
    assert [r["drift"] for r in rows] == [[], [], []]
    assert sorted(c for c in ships["ship1"].calls if c[0] == "inspect_image") == [
        ("inspect_image", "nginx:1"),
        ("inspect_image", "postgres:16"),
    ]
    assert [c for c in ships["ship2"].calls if c[0] == "inspect_image"] == [("inspect_image", "nginx:1")]


# ---------------------------------------------------------------------- port_texts
def test_port_texts_name_the_host_address_only_when_it_is_not_every_address(env):
    assert status.port_texts(env.instances["web-1"]) == WEB_PORTS
    assert status.port_texts(env.instances["db-1"]) == []
