"""Dependency order: levels, cycles, soft wants_info edges, volumes_from/links."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import environment, ordering

HEAD = """\
name: order
ships: {vm1: {ip: 10.0.0.1}, vm2: {ip: 10.0.0.2}}
services:
"""


def levels_of(env):
    return [lvl["instances"] for lvl in env.levels]


# ---------------------------------------------------------------- graph helpers


def test_find_cycle():
    assert ordering.find_cycle(["a", "b", "c"], {"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert ordering.find_cycle(["a"], {"a": ["a"]}) == ["a", "a"]
    assert ordering.find_cycle(["a", "b", "c"], {"a": ["b", "c"], "b": ["c"]}) is None
    # the cycle is reported from where it starts, not from where the walk began
    assert ordering.find_cycle(["x", "a", "b"], {"x": ["a"], "a": ["b"], "b": ["a"]}) == ["a", "b", "a"]


def test_levels_are_longest_paths():
    edges = {"d": ["b", "c"], "c": ["b"], "b": ["a"], "a": [], "e": []}
    assert ordering.levels(list(edges), edges) == {"a": 0, "e": 0, "b": 1, "c": 2, "d": 3}


def test_closure_and_reverse():
    edges = {"a": ["b"], "b": ["c"], "c": [], "d": ["c"]}
    assert ordering.closure(["a"], edges) == {"b", "c"}
    assert ordering.closure(["c"], edges) == set()
    assert ordering.closure(["a", "d"], edges) == {"b", "c"}
    assert ordering.reverse(edges) == {"a": [], "b": ["a"], "c": ["b", "d"], "d": []}


def test_soft_edges_kept_unless_they_close_a_cycle():
    hard = {"a": ["b"], "b": [], "c": []}
    soft = {"b": ["a", "c"], "c": ["c"], "a": ["c"]}
    assert ordering.with_soft_edges(["a", "b", "c"], hard, soft) == {"a": ["b", "c"], "b": ["c"], "c": []}


def test_soft_edges_first_come_first_kept():
    edges = ordering.with_soft_edges(["x", "y"], {}, {"x": ["y"], "y": ["x"]})
    assert edges == {"x": ["y"], "y": []}


# ---------------------------------------------------------------- environments


def test_platform_levels(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    assert env.levels == [
        {"level": 0, "services": ["zookeeper", "data"], "instances": ["zk-1", "zk-2", "zk-3", "data-1"]},
        {"level": 1, "services": ["kafka"], "instances": ["kafka-1", "kafka-2"]},
        {"level": 2, "services": ["web"], "instances": ["web-1", "web-2", "web-3"]},
        {"level": 3, "services": ["monitor"], "instances": ["monitor-1"]},
    ]
    assert list(env.instances) == [i for lvl in env.levels for i in lvl["instances"]]
    assert [s["level"] for s in env.services.values()] == [0, 0, 1, 2, 3]
    assert [env.instances[i]["level"] for i in ("zk-1", "kafka-2", "web-3", "monitor-1")] == [0, 1, 2, 3]


def test_diamond_and_independent_services(load_env):
    env = load_env(
        HEAD
        + """\
          d: {image: x, requires: [b, c], instances: {d-1: {ship: vm1}}}
          b: {image: x, requires: a, instances: {b-1: {ship: vm1}}}
          c: {image: x, requires: b, instances: {c-1: {ship: vm1}}}
          a: {image: x, instances: {a-1: {ship: vm1}}}
          e: {image: x, instances: {e-1: {ship: vm2}}}
        """
    )
    assert levels_of(env) == [["a-1", "e-1"], ["b-1"], ["c-1"], ["d-1"]]
    assert list(env.services) == ["a", "e", "b", "c", "d"]  # dependency order, then file order


@pytest.mark.parametrize(
    "services, message",
    [
        (
            "  a: {image: x, requires: a, instances: {a-1: {ship: vm1}}}\n",
            "env.yaml:4: services.a.requires: dependency cycle: a → a",
        ),
        (
            "  a: {image: x, requires: b, instances: {a-1: {ship: vm1}}}\n"
            "  b: {image: x, requires: [a], instances: {b-1: {ship: vm1}}}\n",
            "env.yaml:4: services.a.requires: dependency cycle: a → b → a",
        ),
        (
            "  a: {image: x, requires: [b], instances: {a-1: {ship: vm1}}}\n"
            "  b: {image: x, requires: [c], instances: {b-1: {ship: vm1}}}\n"
            "  c: {image: x, requires: [d], instances: {c-1: {ship: vm1}}}\n"
            "  d: {image: x, requires: [b], instances: {d-1: {ship: vm1}}}\n",
            "env.yaml:5: services.b.requires: dependency cycle: b → c → d → b",
        ),
        # volumes_from is a hard edge too
        (
            "  b: {image: x, instances: {b-1: {ship: vm1, volumes_from: a-1}}}\n"
            "  a: {image: x, requires: b, instances: {a-1: {ship: vm1}}}\n",
            "env.yaml:4: services.b.instances: dependency cycle: b → a → b",
        ),
        # within one service, between instances
        (
            "  a: {image: x, instances: {a-1: {ship: vm1, volumes_from: a-2}, a-2: {ship: vm1, links: {a-1: one}}}}\n",
            "env.yaml:4: services.a.instances.a-1: volumes_from/links cycle: a-1 → a-2 → a-1",
        ),
    ],
)
def test_cycles(load_error, services, message):
    assert load_error(HEAD + services) == message


def test_wants_info_cycle_is_allowed(load_env):
    env = load_env(
        HEAD
        + """\
          x: {image: x, wants_info: y, instances: {x-1: {ship: vm1}}}
          y: {image: y, wants_info: [x], instances: {y-1: {ship: vm1}}}
        """
    )
    assert levels_of(env) == [["y-1"], ["x-1"]]  # x's soft edge came first


def test_wants_info_never_overrides_requires(load_env):
    env = load_env(
        HEAD
        + """\
          x: {image: x, wants_info: y, instances: {x-1: {ship: vm1}}}
          y: {image: y, requires: x, instances: {y-1: {ship: vm1}}}
        """
    )
    assert levels_of(env) == [["x-1"], ["y-1"]]


def test_wants_info_orders_when_it_can(load_env):
    env = load_env(
        HEAD
        + """\
          dash: {image: x, wants_info: [db], instances: {dash-1: {ship: vm1}}}
          db: {image: y, instances: {db-1: {ship: vm1}}}
        """
    )
    assert levels_of(env) == [["db-1"], ["dash-1"]]


def test_volumes_from_adds_a_dependency(fixture_path):
    env = environment.load(fixture_path("good", "volumes_from_dependency.yaml"), environ={})
    assert levels_of(env) == [["mydata1"], ["myservice1"]]
    assert list(env.services) == ["mydata", "myservice"]  # the file lists myservice first


def test_volumes_from_within_a_service_orders_instances(fixture_path):
    env = environment.load(fixture_path("good", "volumes.yaml"), environ={})
    assert levels_of(env) == [["instance-1"], ["instance-2"]]
    assert env.services["service"]["level"] == 0  # the service starts with its first


def test_links_order_instances(load_env):
    env = load_env(
        HEAD
        + """\
          web:
            image: nginx
            instances:
              web-1: {ship: vm1, links: {cache-1: cache}}
              cache-1: {ship: vm1}
          db: {image: pg, instances: {db-1: {ship: vm2}}}
          api: {image: api, instances: {api-1: {ship: vm2, links: {db-1: db}}}}
        """
    )
    assert levels_of(env) == [["cache-1", "db-1"], ["web-1", "api-1"]]


def test_instance_after_all_instances_of_required_services(load_env):
    env = load_env(
        HEAD
        + """\
          a: {image: x, instances: {a-1: {ship: vm1}, a-2: {ship: vm1, volumes_from: a-1}}}
          b: {image: x, requires: a, instances: {b-1: {ship: vm2}}}
        """
    )
    assert levels_of(env) == [["a-1"], ["a-2"], ["b-1"]]
