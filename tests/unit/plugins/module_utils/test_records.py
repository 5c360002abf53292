"""records.py is the one list of the keys of what the model makes: every ship, service, level and
instance spec of a loaded environment has exactly the keys its record declares."""

from ansible_collections.maestro.ng.plugins.module_utils.model import environment
from ansible_collections.maestro.ng.plugins.module_utils.records import (
    Check,
    InstanceSpec,
    Level,
    Limits,
    Port,
    Registry,
    RestartPolicy,
    Service,
    Ship,
    SshTunnel,
    Ulimit,
    Volume,
)


def keys(record):
    return set(record.__annotations__)


def test_the_model_makes_exactly_the_records_keys(fixture_path):
    seen = set()
    for name in ("platform.yaml", "ships.yaml", "registries.yaml", "volumes.yaml"):
        seen |= check_records(environment.load(fixture_path("good", name), environ={}))
    # Each kind of record was there to be checked.
    assert seen == {"ssh_tunnel", "registry", "port", "volume", "check", "limits"}


def check_records(env):
    seen = set()
    assert env.ships and env.services and env.instances and env.levels
    for ship in env.ships.values():
        assert set(ship) == keys(Ship)
        if ship["ssh_tunnel"] is not None:
            assert set(ship["ssh_tunnel"]) == keys(SshTunnel) - {"target"}  # target: the container module's
            seen.add("ssh_tunnel")
    for service in env.services.values():
        assert set(service) == keys(Service)
    for level in env.levels:
        assert set(level) == keys(Level)
    for registry in env.registries.values():
        assert set(registry) == keys(Registry)
        seen.add("registry")
    for spec in env.instances.values():
        assert set(spec) == keys(InstanceSpec)
        assert set(spec["restart"]) == keys(RestartPolicy) and set(spec["limits"]) == keys(Limits)
        if any(value is not None for value in spec["limits"].values()):
            seen.add("limits")
        for items, record in (("ports", Port), ("volumes", Volume), ("ulimits", Ulimit)):
            for item in spec[items]:
                assert set(item) == keys(record)
                seen.add(items[:-1])
        for checks in spec["lifecycle"].values():
            for check in checks:
                assert set(check) <= keys(Check) and "type" in check
                seen.add("check")
    return seen
