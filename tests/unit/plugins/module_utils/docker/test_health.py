"""Docker's health of a container (docker/health.py) and the healthcheck a container is made with
(desired.py, drift.py, container.py): set only when the file sets one, waited for when it gates."""

import docker
import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import health
from ansible_collections.maestro.ng.plugins.module_utils.docker.container import ContainerManager
from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import config_digest, desired_config
from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import compare
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import (
    IMAGE,
    daemon_inspect,
    minimal_spec,
)

S = 10**9
CHECK = {"test": ["CMD-SHELL", "test -f /ready"], "interval": S, "retries": 2}
IMAGE_WITH_CHECK = dict(IMAGE, Config=dict(IMAGE["Config"], Healthcheck={"Test": ["CMD", "probe"], "Interval": 5 * S}))


def test_a_spec_without_healthcheck_makes_the_same_container_as_before():
    spec, unset = minimal_spec(), minimal_spec(healthcheck={"image": True})
    desired = desired_config(spec)
    assert "healthcheck" not in desired["create"]
    assert config_digest(desired, spec) == config_digest(desired_config(unset), unset)


def test_a_healthcheck_is_set_on_the_container_and_its_change_is_drift():
    spec = minimal_spec(healthcheck=CHECK)
    assert desired_config(spec)["create"]["healthcheck"] == CHECK
    container = daemon_inspect(spec, IMAGE)
    container["Config"]["Healthcheck"] = {"Test": CHECK["test"], "Interval": S, "Retries": 2, "Timeout": 30 * S}
    assert compare(spec, container, IMAGE) == []  # what the file leaves out is Docker's or the image's
    changed = minimal_spec(healthcheck=dict(CHECK, interval=2 * S))
    assert compare(changed, container, IMAGE) == ["healthcheck.interval changed"]


@pytest.mark.parametrize(
    "check, image, gates",
    [
        (None, IMAGE_WITH_CHECK, False),  # a file without one waits for nothing
        ({"image": True}, IMAGE_WITH_CHECK, True),
        ({"image": True}, IMAGE, False),  # the image has none
        (CHECK, IMAGE, True),
        ({"test": ["NONE"]}, IMAGE_WITH_CHECK, False),
        ({"interval": S}, IMAGE_WITH_CHECK, True),  # the image's test, the file's timing
    ],
)
def test_what_gates_readiness(check, image, gates):
    assert health.gates(check, image) is gates


def test_the_wait_is_bounded_by_the_checks_worst_case():
    assert health.wait_seconds(CHECK, IMAGE) == 0 + 3 * (1 + 30) + health.MARGIN
    assert health.wait_seconds({"image": True}, IMAGE_WITH_CHECK) == 4 * (5 + 30) + health.MARGIN


class Client:
    """Answers inspect_container with the next of ``states`` (the last one again and again)."""

    def __init__(self, *states):
        self.states, self.reads = list(states), 0

    def inspect_container(self, container):
        self.reads += 1
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


def state(status, running=True, log=()):
    return {"Id": "c1", "State": {"Running": running, "Health": {"Status": status, "Log": list(log)}}}


def test_waiting_ends_when_docker_says_healthy(monkeypatch):
    monkeypatch.setattr(health, "POLL", 0)
    client = Client(state("starting"), state("starting"), state("healthy"))
    assert health.wait_healthy(client, "c1", "db-1", CHECK, IMAGE)["State"]["Health"]["Status"] == "healthy"
    assert client.reads == 3


def test_an_unhealthy_container_fails_with_its_last_probes(monkeypatch):
    monkeypatch.setattr(health, "POLL", 0)
    probes = [{"ExitCode": 1, "Output": "no /ready %d\n" % k} for k in range(5)]
    with pytest.raises(ContainerError) as info:
        health.wait_healthy(Client(state("starting"), state("unhealthy", log=probes)), "c1", "db-1", CHECK, IMAGE)
    assert str(info.value) == (
        "db-1: unhealthy (its healthcheck's last probes: exit 1: no /ready 2; exit 1: no /ready 3; exit 1: no /ready 4)"
    )


def test_a_container_that_stopped_is_left_to_the_caller(monkeypatch):
    monkeypatch.setattr(health, "POLL", 0)
    assert not health.wait_healthy(Client(state("starting", running=False)), "c1", "db-1", CHECK, IMAGE)["State"][
        "Running"
    ]


def test_a_container_never_healthy_in_time_fails(monkeypatch):
    monkeypatch.setattr(health, "POLL", 0)
    monkeypatch.setattr(health, "MARGIN", -1000)
    with pytest.raises(
        ContainerError, match=r"db-1: not healthy within -\d+s \(its healthcheck's last probes: none yet\)"
    ):
        health.wait_healthy(Client(state("starting")), "c1", "db-1", CHECK, IMAGE)


def test_start_interval_reaches_the_api_though_the_sdk_drops_it(monkeypatch):
    client = docker.APIClient(base_url="tcp://127.0.0.1:9", version="1.44")
    sent = {}
    monkeypatch.setattr(
        client, "create_container_from_config", lambda config, name: sent.update(config=config, name=name)
    )
    spec = minimal_spec(name="db-1", healthcheck=dict(CHECK, start_interval=S // 2), env={"A": "1"})
    manager = ContainerManager(client, spec)
    desired = desired_config(spec)
    manager._create_container(client.create_host_config(**desired["host_config"]), desired["create"])
    assert sent["name"] == "db-1" and sent["config"]["Env"] == ["A=1"]
    assert sent["config"]["Healthcheck"] == {
        "Test": CHECK["test"],
        "Interval": S,
        "Timeout": None,
        "Retries": 2,
        "StartPeriod": None,
        "StartInterval": S // 2,
    }
