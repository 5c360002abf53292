"""Which instances a command acts on, and in which order."""

import os
import pathlib

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import environment, selection

ZK = ["zk-1", "zk-2", "zk-3"]
KAFKA = ["kafka-1", "kafka-2"]
WEB = ["web-1", "web-2", "web-3"]


GOOD = str(pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "good")


@pytest.fixture(scope="module")
def platform():
    return environment.load(os.path.join(GOOD, "platform.yaml"), environ={})


@pytest.fixture(scope="module")
def filtering():
    return environment.load(os.path.join(GOOD, "container_filter.yaml"), environ={})


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # no names: every service not marked omit, plus what they need (web-3 needs data-1)
        ({}, ZK + ["data-1"] + KAFKA + WEB + ["monitor-1"]),
        ({"names": None}, ZK + ["data-1"] + KAFKA + WEB + ["monitor-1"]),
        ({"names": ""}, ZK + ["data-1"] + KAFKA + WEB + ["monitor-1"]),
        ({"names": []}, ZK + ["data-1"] + KAFKA + WEB + ["monitor-1"]),
        # ... and without dependencies, omit is honoured
        ({"dependencies": False}, ZK + KAFKA + WEB + ["monitor-1"]),
        # by service: requires is followed transitively, wants_info is not
        ({"names": ["kafka"]}, ZK + KAFKA),
        ({"names": ["web"]}, ZK + ["data-1"] + KAFKA + WEB),
        ({"names": ["monitor"]}, ["monitor-1"]),
        # an omitted service can still be named
        ({"names": ["data"]}, ["data-1"]),
        # by instance: its service's dependencies, not its peers
        ({"names": ["web-3"]}, ZK + ["data-1"] + KAFKA + ["web-3"]),
        # dependencies are per service: web needs data (through web-3's volumes_from)
        ({"names": ["web-1"]}, ZK + ["data-1"] + KAFKA + ["web-1"]),
        ({"names": ["web-3"], "dependencies": False}, ["web-3"]),
        ({"names": ["kafka-2", "zk-1"], "dependencies": False}, ["zk-1", "kafka-2"]),  # dependency order
        # a comma-separated string works like a list
        ({"names": "kafka-2, zk-1", "dependencies": False}, ["zk-1", "kafka-2"]),
        # fnmatch patterns over services and instances
        ({"names": ["zk-*"], "dependencies": False}, ZK),
        ({"names": ["zk-[12]"], "dependencies": False}, ["zk-1", "zk-2"]),
        ({"names": ["k*"], "dependencies": False}, KAFKA),
        ({"names": ["web*"], "dependencies": False}, WEB),
        ({"names": ["*-2"], "dependencies": False}, ["zk-2", "kafka-2", "web-2"]),
        ({"names": ["?eb"]}, ZK + ["data-1"] + KAFKA + WEB),
        # dependents, for stop-like commands
        ({"names": ["zookeeper"], "dependencies": False, "dependents": True}, ZK + KAFKA + WEB),
        ({"names": ["zk-2"], "dependencies": False, "dependents": True}, ["zk-2"] + KAFKA + WEB),
        ({"names": ["data-1"], "dependencies": False, "dependents": True}, ["data-1"] + WEB),
        ({"names": ["kafka"], "dependencies": False, "dependents": True}, KAFKA + WEB),
        ({"names": ["monitor"], "dependencies": False, "dependents": True}, ["monitor-1"]),
        # ships: fnmatch patterns, applied after dependencies
        ({"ships": "vm3"}, ["zk-3", "data-1", "web-3", "monitor-1"]),
        ({"ships": ["vm1", "vm2"], "dependencies": False}, ["zk-1", "zk-2", "kafka-1", "kafka-2", "web-1", "web-2"]),
        ({"ships": "vm[13]", "names": ["web"]}, ["zk-1", "zk-3", "data-1", "kafka-1", "web-1", "web-3"]),
        ({"ships": "vm*", "names": ["kafka"], "dependencies": False}, KAFKA),
    ],
)
def test_select(platform, kwargs, expected):
    assert selection.select(platform, **kwargs) == expected


def test_select_ship_filter(filtering):
    assert selection.select(filtering, ships="ship1") == ["webapp-a", "webapp1-a"]
    assert selection.select(filtering, ships="ship2") == ["webapp-b", "webapp1-b"]
    assert selection.select(filtering, names=["webapp"], ships="ship1") == ["webapp-a"]
    assert selection.select(filtering, names=["webapp*"], ships="*2") == ["webapp-b", "webapp1-b"]
    assert selection.select(filtering, names=["webapp1-b"], ships="ship1") == []


def test_patterns_are_case_sensitive(filtering):
    with pytest.raises(MaestroError):
        selection.select(filtering, names=["WEBAPP*"])
    with pytest.raises(MaestroError):
        selection.select(filtering, ships="SHIP1")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"names": ["nope"]}, "services: no service or instance matches 'nope'"),
        ({"names": ["web", "x*"]}, "services: no service or instance matches 'x*'"),
        ({"ships": "vm9"}, "ships: no ship matches 'vm9' (known: vm1, vm2, vm3)"),
        ({"ships": ["vm1", "ship*"]}, "ships: no ship matches 'ship*' (known: vm1, vm2, vm3)"),
    ],
)
def test_select_errors(platform, kwargs, message):
    with pytest.raises(MaestroError) as info:
        selection.select(platform, **kwargs)
    assert str(info.value) == message


def test_same_service_volumes_from_is_followed(fixture_path):
    env = environment.load(fixture_path("good", "volumes.yaml"), environ={})
    assert selection.select(env, names=["instance-2"]) == ["instance-1", "instance-2"]
    assert selection.select(env, names=["instance-2"], dependencies=False) == ["instance-2"]


def test_plan_forward_and_reverse(platform):
    chosen = selection.select(platform, names=["web-3"])
    assert selection.plan(platform, chosen) == [
        {"level": 0, "services": ["zookeeper", "data"], "instances": ZK + ["data-1"]},
        {"level": 1, "services": ["kafka"], "instances": KAFKA},
        {"level": 2, "services": ["web"], "instances": ["web-3"]},
    ]
    stop = selection.select(platform, names=["kafka"], dependencies=False, dependents=True)
    assert selection.plan(platform, stop, reverse=True) == [
        {"level": 2, "services": ["web"], "instances": WEB},
        {"level": 1, "services": ["kafka"], "instances": KAFKA},
    ]


def test_plan_keeps_only_chosen_services_in_a_level(platform):
    assert selection.plan(platform, ["data-1", "monitor-1"]) == [
        {"level": 0, "services": ["data"], "instances": ["data-1"]},
        {"level": 3, "services": ["monitor"], "instances": ["monitor-1"]},
    ]
    assert selection.plan(platform, []) == []


def test_hard_edges_are_the_ones_the_order_uses(platform):
    assert selection.hard_edges(platform)["web"] == ["kafka", "data"]


def test_followers_are_what_keep_going_skips(platform):
    names = selection.select(platform)
    after = selection.followers(platform, names)
    # A lost zookeeper instance stops kafka and web (which requires kafka), not its own peers.
    assert after["zk-2"] == KAFKA + WEB
    assert after["kafka-1"] == WEB
    # web takes volumes from data-1: a hard edge too; monitor only wants information.
    assert after["data-1"] == WEB
    assert after["web-1"] == [] and after["monitor-1"] == []
    # Stop-like work goes the other way: a lost web instance keeps what web depends on running.
    before = selection.followers(platform, names, reverse=True)
    assert before["web-3"] == ZK + ["data-1"] + KAFKA
    assert before["zk-1"] == []
    # Only the given instances are named.
    assert selection.followers(platform, ZK + ["kafka-1"])["zk-1"] == ["kafka-1"]
