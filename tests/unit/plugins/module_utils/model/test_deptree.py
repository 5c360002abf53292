"""Dependency views of an environment (model/deptree.py): the text tree of ``maestro deptree``,
the impact of a change to a service, and Graphviz DOT."""

import pathlib
import types

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import deptree, environment, selection

GOOD = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "good"


@pytest.fixture(scope="module")
def platform():
    return environment.load(str(GOOD / "platform.yaml"), environ={})


def service(name, instances=1, requires=(), wants_info=(), omit=False):
    return {
        "name": name,
        "image": "x",
        "requires": list(requires),
        "wants_info": list(wants_info),
        "omit": omit,
        "instances": ["%s-%d" % (name, n) for n in range(1, instances + 1)],
        "level": None,
    }


def stub(name, *services):
    """What tree and dot read of an Environment: its name and services."""
    return types.SimpleNamespace(name=name, services={svc["name"]: svc for svc in services})


# ---------------------------------------------------------------- tree


def test_tree_of_every_service(platform):
    assert deptree.tree(platform, list(platform.services)) == "\n".join(
        [
            "zookeeper [3 instances]",
            "data [1 instance] (omit)",
            "kafka [2 instances]",
            "  └─ zookeeper [3 instances]",
            "  └─ web (wants info)",
            "web [3 instances]",
            "  └─ kafka [2 instances]",
            "    └─ zookeeper [3 instances]",
            "    └─ web (wants info)",
            "monitor [1 instance]",
            "  └─ kafka (wants info)",
            "  └─ web (wants info)",
        ]
    )


def test_tree_follows_requires_transitively_but_not_wants_info(platform):
    assert deptree.tree(platform, ["monitor", "zookeeper"]) == "\n".join(
        [
            "monitor [1 instance]",
            "  └─ kafka (wants info)",
            "  └─ web (wants info)",
            "zookeeper [3 instances]",
        ]
    )


def test_tree_of_nothing_is_empty(platform):
    assert deptree.tree(platform, []) == ""


def test_tree_marks_omitted_dependencies_and_stops_at_a_cycle():
    env = stub(
        "loop",
        service("a", requires=["b"]),
        service("b", instances=2, requires=["a"], omit=True),
    )
    assert deptree.tree(env, ["a"]) == "\n".join(
        [
            "a [1 instance]",
            "  └─ b [2 instances] (omit)",
            "    └─ a [1 instance]",  # already on the path: shown, not walked again
        ]
    )


def test_tree_shows_a_shared_dependency_under_each_dependent():
    env = stub(
        "diamond",
        service("base"),
        service("left", requires=["base"]),
        service("right", requires=["base"]),
        service("top", requires=["left", "right"]),
    )
    assert deptree.tree(env, ["top"]) == "\n".join(
        [
            "top [1 instance]",
            "  └─ left [1 instance]",
            "    └─ base [1 instance]",
            "  └─ right [1 instance]",
            "    └─ base [1 instance]",
        ]
    )


# ---------------------------------------------------------------- impact


def test_impact_follows_the_hard_edges_that_stop_follows(platform):
    """A change to data reaches web (web-3 takes its volumes), as `stop data` does; wants_info
    (monitor wants kafka's and web's information) reaches nothing."""
    impact = deptree.impact(platform, ["zookeeper", "data", "kafka", "monitor"])
    assert impact == {
        "zookeeper": ["zookeeper", "kafka", "web"],
        "data": ["data", "web"],
        "kafka": ["kafka", "web"],
        "monitor": ["monitor"],
    }
    stopped = selection.select(platform, ["data"], dependencies=False, dependents=True)
    assert sorted({platform.instances[i]["service"] for i in stopped}) == impact["data"]


def test_impact_keeps_the_environments_order(platform):
    assert deptree.impact(platform, ["web", "zookeeper"]) == {
        "web": ["web"],
        "zookeeper": ["zookeeper", "kafka", "web"],
    }
    assert list(deptree.impact(platform, ["web", "zookeeper"])) == ["web", "zookeeper"]
    assert deptree.impact(platform, []) == {}


def test_impact_through_links_and_volumes_from(load_env):
    env = load_env("""\
        name: hard
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          db: {image: x, instances: {db-1: {ship: vm1}}}
          store: {image: x, instances: {store-1: {ship: vm1}}}
          web: {image: x, instances: {web-1: {ship: vm1, links: {db-1: db}, volumes_from: store-1}}}
          watcher: {image: x, wants_info: [db], instances: {watcher-1: {ship: vm1}}}
        """)
    assert deptree.impact(env, ["db", "store", "web", "watcher"]) == {
        "db": ["db", "web"],
        "store": ["store", "web"],
        "web": ["web"],
        "watcher": ["watcher"],
    }


# ---------------------------------------------------------------- dot


def test_dot(platform):
    assert deptree.dot(platform, ["web", "monitor"]) == (
        'digraph "platform" {\n'
        "  rankdir=LR;\n"
        "  node [shape=box];\n"
        '  "web" [label="web\\n3 instance(s)"];\n'
        '  "web" -> "kafka";\n'
        '  "monitor" [label="monitor\\n1 instance(s)"];\n'
        '  "monitor" -> "kafka" [style=dashed];\n'
        '  "monitor" -> "web" [style=dashed];\n'
        "}\n"
    )


def test_dot_of_nothing_is_an_empty_graph(platform):
    assert deptree.dot(platform, []) == 'digraph "platform" {\n  rankdir=LR;\n  node [shape=box];\n}\n'


def test_dot_quotes_names():
    env = stub('my "env"', service('we"b', requires=["db"]), service("db"))
    assert deptree.dot(env, ['we"b']).splitlines() == [
        'digraph "my \\"env\\"" {',
        "  rankdir=LR;",
        "  node [shape=box];",
        '  "we\\"b" [label="we\\"b\\n1 instance(s)"];',
        '  "we\\"b" -> "db";',
        "}",
    ]


@pytest.mark.parametrize(
    "text, quoted",
    [("web", '"web"'), ('a"b', '"a\\"b"'), ("", '""'), (12, '"12"'), ("a b-c.d", '"a b-c.d"')],
)
def test_quote(text, quoted):
    assert deptree._quote(text) == quoted
