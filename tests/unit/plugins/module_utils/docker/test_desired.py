"""desired_config(): the arguments Docker is asked to create each instance spec with."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_ENVIRONMENT,
    LABEL_INSTANCE,
    LABEL_SERVICE,
    desired_config,
)
from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import compare
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import (
    IMAGE,
    daemon_inspect,
    full_spec,
    minimal_spec,
)


def test_desired_config_labels_and_basics():
    create = desired_config(full_spec())["create"]
    assert create["labels"][LABEL_ENVIRONMENT] == "prod"
    assert create["labels"][LABEL_SERVICE] == "web"
    assert create["labels"][LABEL_INSTANCE] == "web1"
    assert create["labels"]["team"] == "ops"
    assert create["command"] == ["sh", "-c", "httpd -f -p 80"]
    assert create["environment"] == {"HEAP": "512m", "FOO": "bar", "N": "3"}
    assert create["stop_timeout"] == 3
    assert create["volumes"] == ["/cache"]


def test_desired_config_ports():
    config = desired_config(full_spec())
    bindings = config["host_config"]["port_bindings"]
    assert bindings["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}]
    assert bindings["53/udp"] == [{"HostIp": "10.250.0.2", "HostPort": "5353"}]
    assert [bindings["%d/tcp" % p][0]["HostPort"] for p in (1234, 1235, 1236)] == ["2234", "2235", "2236"]
    assert bindings["90/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "9000-9010"}]
    assert set(config["create"]["ports"]) == set(bindings)


def test_desired_config_host_network_publishes_nothing_but_still_exposes():
    # MaestroNG 0.8.3 creates `net: host` services with ports (its docker-py sent the
    # bindings; the daemon ignores them there); docker SDK 7 refuses them before any request.
    docker_types = pytest.importorskip("docker.types")
    spec = full_spec(network_mode="host", hostname=None, privileged=False)
    config = desired_config(spec)
    assert config["host_config"]["port_bindings"] == {}
    assert set(config["create"]["ports"]) == set(desired_config(full_spec())["host_config"]["port_bindings"])
    docker_types.HostConfig(version="1.41", **config["host_config"])  # what failed: "host" ... incompatible
    with pytest.raises(Exception, match="incompatible with port_bindings"):
        docker_types.HostConfig(version="1.41", **dict(config["host_config"], port_bindings={"80/tcp": 8080}))


def test_desired_config_container_network_neither_publishes_nor_exposes():
    # The daemon refuses both with another container's network ("conflicting options").
    config = desired_config(full_spec(network_mode="container:web-0", hostname=None))
    assert config["host_config"]["port_bindings"] == {}
    assert config["create"]["ports"] == {}


@pytest.mark.parametrize("mode", ["host", "container:web-0"])
def test_shared_network_with_ports_has_no_drift(mode):
    spec = full_spec(network_mode=mode, hostname=None)
    assert compare(spec, daemon_inspect(spec), IMAGE) == []


def test_moving_to_the_host_network_drops_the_bindings():
    inspect = daemon_inspect(full_spec())
    assert compare(full_spec(network_mode="host", hostname=None), inspect, IMAGE) == [
        "ports changed",
        "network_mode changed",
    ]


def test_desired_config_rejects_ranges_of_different_sizes():
    spec = minimal_spec(
        ports=[{"name": "p", "exposed": "1-3", "external": "11-12", "protocol": "tcp", "host_ip": "0.0.0.0"}]
    )
    with pytest.raises(ContainerError, match="^web1: port p"):
        desired_config(spec)


def test_desired_config_restart_and_defaults():
    host = desired_config(minimal_spec(restart={"name": "always", "maximum_retry_count": 5}))["host_config"]
    assert host["restart_policy"] == {"Name": "always", "MaximumRetryCount": 0}
    create = desired_config(minimal_spec(stop_timeout=None))["create"]
    assert create["stop_timeout"] == 10
    assert create["command"] is None
    assert "log_config" not in desired_config(minimal_spec())["host_config"]


def test_desired_config_binds_default_mode():
    spec = minimal_spec(volumes=[{"source": "/a", "target": "/b", "mode": None}])
    assert desired_config(spec)["host_config"]["binds"] == ["/a:/b:rw"]


# ------------------------------------------------------------------ no false drift
