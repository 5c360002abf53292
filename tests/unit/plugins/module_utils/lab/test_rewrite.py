"""module_utils/lab/rewrite.py: the lab file's name, ship numbers, and the rewritten environment."""

import os

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.lab import rewrite
from ansible_collections.maestro.ng.plugins.module_utils.model import environment
from ansible_collections.maestro.ng.plugins.module_utils.model.loader import load_document

ENV = """
__maestro: {schema: 2}
name: try
ship_defaults: {timeout: 20, docker_port: 4243, api_version: "1.24"}
_globals:
  common: &common {PEER: 10.0.0.2, TEMPLATE: "{{ '{{' }} not me }}"}
ships:
  vm1: {ip: 10.0.0.1, endpoint: docker1.example.test}
  vm2: {ip: 10.0.0.2, tls: true, tls_verify: true, timeout: 5}
services:
  web:
    image: web:1
    envfile: web.env
    env: *common
    instances:
      web-1: {ship: vm1, ports: {http: {exposed: 80, external: [10.0.0.2, 8080]}}}
      web-2: {ship: vm2, image: web:2, extra_hosts: {db: 10.0.0.1}, env: {DB: docker1.example.test}}
      web-3: {ship: vm2}
"""
LAB_SHIPS = {"vm1": {"ip": "10.250.0.51", "port": 2375}, "vm2": {"ip": "10.250.0.52", "port": 2375}}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("demo.yaml", "demo.lab.yaml"),
        ("demo.yml", "demo.lab.yaml"),
        ("demo", "demo.lab.yaml"),
        ("demo.lab.yaml", "demo.lab.yaml"),
        ("x.maestro", "x.lab.yaml"),
    ],
)
def test_lab_file_sits_next_to_the_original(tmp_path, name, expected):
    assert rewrite.lab_file_name(str(tmp_path / name)) == str(tmp_path / expected)


def test_numbering_follows_the_file_order():
    assert rewrite.numbering(["b", "a", "c"], 50) == {"b": 50, "a": 51, "c": 52}
    with pytest.raises(MaestroError, match="lab_first must be a ship number >= 1, got 0"):
        rewrite.numbering(["a"], 0)


def test_rewritten_file_points_every_ship_at_its_lab_ship(write_env):
    path = write_env(ENV, **{"web.env": "FROM_FILE=yes\n"})
    env = environment.load(path, environ={})
    record = {"source": path, "first": 50}
    text = rewrite.dump(rewrite.rewrite(load_document(path, environ={}), env, LAB_SHIPS, record), path)
    lab_path = rewrite.lab_file_name(path)
    with open(lab_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    labbed = environment.load(lab_path, environ={})
    assert {n: s["docker_url"] for n, s in labbed.ships.items()} == {
        "vm1": "tcp://10.250.0.51:2375",
        "vm2": "tcp://10.250.0.52:2375",
    }
    # Only timeout is kept: no TLS, SSH or API version of the real ship.
    assert labbed.ships["vm2"]["timeout"] == 5 and labbed.ships["vm1"]["timeout"] == 20
    assert not labbed.ships["vm2"]["tls"] and labbed.ships["vm1"]["api_version"] is None
    web1, web2 = labbed.instances["web-1"], labbed.instances["web-2"]
    assert web1["env"]["PEER"] == "10.250.0.52"  # a ship's ip, exactly
    assert web1["env"]["FROM_FILE"] == "yes"  # the env file still resolves
    assert web1["env"]["TEMPLATE"] == "{{ not me }}"  # rendered once, not twice
    assert web1["ports"][0]["host_ip"] == "10.250.0.52"
    assert web2["extra_hosts"] == {"db": "10.250.0.51"}
    assert web2["env"]["DB"] == "10.250.0.51"  # a ship's endpoint too
    assert rewrite.read_lab_record(lab_path) == record
    assert rewrite.read_lab_record(path) is None
    assert rewrite.images_by_ship(env) == {"vm1": ["web:1"], "vm2": ["web:1", "web:2"]}
    assert rewrite.images_used(env) == {"web:1": ["web-1", "web-3"], "web:2": ["web-2"]}


def test_no_lab_record_without_a_lab_file(tmp_path):
    assert rewrite.read_lab_record(os.path.join(str(tmp_path), "nothing.lab.yaml")) is None
