"""The whole pipeline (environment.load/build): the schema version, what several sections
say together, and the plain form (to_dict). Each section's own reading is tested in the
file named after its module (test_ships.py, test_services.py, test_instances.py, ...)."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import environment
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.model.model_files import one_instance

# ---------------------------------------------------------------- the schema version


@pytest.mark.parametrize("meta", ["{schema: 2}", "{schema: {version: 2}}"])
def test_schema_spellings(load_env, meta):
    env = load_env(one_instance("volumes: {/host: /container}").replace("{schema: 2}", meta))
    assert env.schema == 2
    assert env.instances["app-1"]["volumes"] == [{"source": "/host", "target": "/container", "mode": "rw"}]


# ---------------------------------------------------------------- sections together


def test_links_same_ship(load_env):
    env = load_env("""\
        name: links
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          db: {image: postgres, instances: {db-1: {ship: vm1}}}
          web: {image: nginx, instances: {web-1: {ship: vm1, links: {db-1: database}}}}
        """)
    assert env.instances["web-1"]["links"] == {"db-1": "database"}
    assert env.instances["web-1"]["level"] == 1  # a link orders like volumes_from


# ---------------------------------------------------------------- the plain form


def test_to_dict_shape(fixture_path):
    env = environment.load(fixture_path("good", "platform.yaml"), environ={})
    data = env.to_dict()
    assert sorted(data) == ["audit", "file", "instances", "levels", "name", "registries", "schema", "services", "ships"]
    assert data["name"] == "platform"
    assert data["file"] == fixture_path("good", "platform.yaml")
    assert [s["name"] for s in data["services"]] == ["zookeeper", "data", "kafka", "web", "monitor"]
    web = env.services["web"]
    assert web == {
        "name": "web",
        "image": "nginx",
        "requires": ["kafka"],
        "wants_info": [],
        "omit": False,
        "instances": ["web-1", "web-2", "web-3"],
        "level": 2,
        "update": {"parallelism": 1, "delay": 0.0, "failure_action": "rollback"},  # a file without update:
    }
    assert env.services["data"]["omit"] is True
    assert not [k for s in data["services"] for k in s if k.startswith("_")]
    assert not [k for i in data["instances"].values() for k in i if k.startswith("_")]
