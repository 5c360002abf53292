"""maestro.ng.container's options: one per key of the engine's records, the ship and instance spec
they make, and what Ansible's no_log may hide of the registries option."""

from ansible.module_utils.basic import remove_values

from ansible_collections.maestro.ng.plugins.module_utils.docker.container_args import (
    ARGUMENT_SPEC,
    CONNECTION_SPEC,
    INSTANCE_SPEC,
    SPEC_SPEC,
    converge,
    instance_spec,
    secrets_only,
    ship_of,
)
from ansible_collections.maestro.ng.plugins.module_utils.records import InstanceSpec, Ship

OPTION = {
    "lab": {
        "name": "lab",
        "registry": "https://10.250.0.1:5443/v2/",
        "username": "maestro",
        "password": "Secret-123",
        "email": None,
        "retry": {"attempts": 3, "when": [503]},
    }
}


def test_only_the_passwords_and_the_client_key_stay_hidden():
    # What Ansible lists for no_log options: every value of registries, and tls_key (alias client_key).
    listed = {"lab", "https://10.250.0.1:5443/v2/", "maestro", "Secret-123", "3", "503", "/keys/client.pem"}
    kept = secrets_only(listed, {"registries": OPTION, "tls_key": "/keys/client.pem"})
    assert kept == {"Secret-123", "/keys/client.pem"}
    shown = remove_values(
        {"msg": "registry lab (https://10.250.0.1:5443/v2/, user maestro) refused Secret-123", "id": "3f3c"}, kept
    )
    assert shown == {"msg": "registry lab (https://10.250.0.1:5443/v2/, user maestro) refused ********", "id": "3f3c"}


def test_a_password_equal_to_another_value_stays_hidden():
    option = {"lab": dict(OPTION["lab"], password="maestro")}
    assert secrets_only({"lab", "maestro", "3"}, {"registries": option, "tls_key": None}) == {"maestro"}


def test_the_module_takes_one_option_per_key_of_an_instance_spec():
    """records.InstanceSpec is the one list of an instance's keys: the module's instance options are
    exactly those (but the dependency level), and none of them is a connection option too."""
    assert set(INSTANCE_SPEC) == set(InstanceSpec.__annotations__) - {"level"}
    assert not set(INSTANCE_SPEC) & set(CONNECTION_SPEC)
    assert dict(CONNECTION_SPEC, **SPEC_SPEC, **INSTANCE_SPEC) == ARGUMENT_SPEC


def test_the_ship_options_have_the_ship_records_names_and_the_first_names_as_aliases():
    ship_options = {"docker_url", "api_version", "timeout", "tls", "tls_verify", "tls_ca_cert", "tls_cert", "tls_key"}
    assert ship_options | {"ssh_tunnel"} <= set(Ship.__annotations__)
    assert ship_options <= set(CONNECTION_SPEC)
    aliases = {alias: name for name, option in CONNECTION_SPEC.items() for alias in option.get("aliases", [])}
    assert aliases == {
        "docker_host": "docker_url",
        "ca_cert": "tls_ca_cert",
        "client_cert": "tls_cert",
        "client_key": "tls_key",
    }


def test_the_options_make_a_whole_ship_and_instance_spec():
    params = {key: option.get("default") for key, option in ARGUMENT_SPEC.items()}
    params.update(name="web-1", image="busybox", docker_url="tcp://10.250.0.2:2375")
    ship, host = ship_of(params)
    assert host == "10.250.0.2" and set(ship) == set(Ship.__annotations__)
    assert (ship["name"], ship["ip"], ship["docker_port"], ship["timeout"]) == ("10.250.0.2", "10.250.0.2", 2375, 60)
    spec = instance_spec(params, ship)
    assert set(spec) == set(InstanceSpec.__annotations__)
    assert (spec["ship"], spec["ship_ip"], spec["service"], spec["hostname"]) == (
        "10.250.0.2",
        "10.250.0.2",
        "web-1",
        "web-1",
    )
    params["ssh_tunnel"] = {
        "host": "ship9",
        "user": "ops",
        "port": 22,
        "key": None,
        "target": "/run/docker.sock",
        "timeout": 5,
    }
    params["docker_url"] = "unix:///var/run/docker.sock"
    ship = ship_of(params)[0]
    assert ship["docker_url"] == "ssh://ops@ship9:22" and ship["endpoint"] == "ship9" and ship["ssh_timeout"] == 5
    assert ship["ssh_tunnel"] == {"user": "ops", "key": None, "port": 22, "target": "/run/docker.sock"}


def test_what_docker_would_refuse_is_refused_before_the_ship_is_reached(monkeypatch):
    params = {key: option.get("default") for key, option in ARGUMENT_SPEC.items()}
    params.update(name="web-1", image="busybox", docker_url="tcp://10.250.0.2:2375", workdir="app")

    def connect(ship):
        raise AssertionError("connected to %s" % ship["name"])

    monkeypatch.setattr("ansible_collections.maestro.ng.plugins.module_utils.docker.container_args.connect", connect)
    assert converge(params, None) == {
        "failed": True,
        "msg": "web-1: workdir: 'app' is not an absolute path (Docker needs one here)",
    }
    params.update(workdir=None, volumes=[{"source": "/srv", "target": "data", "mode": "rw"}])
    assert converge(params, None)["msg"] == (
        "web-1: volumes.0.target: the container path 'data' is not absolute (Docker needs one here)"
    )
