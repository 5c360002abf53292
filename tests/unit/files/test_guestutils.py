"""files/guestutils.py against the variables the model gives each container.

Each test loads an environment with the model, takes one instance's ``env`` and makes
it the whole of ``os.environ``, then calls MaestroNG's guest functions as a script in
that container would. The last tests run the file in a fresh interpreter with nothing
but that environment (``python3 -I``, no venv), to prove it needs nothing else.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import environment

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FILES = os.path.join(REPO, "files")
GUESTUTILS = os.path.join(FILES, "guestutils.py")

ENV = """
__maestro: {schema: 2}
name: zk-kafka
ships:
  vm1: {ip: 192.168.10.2}
  vm2: {ip: 192.168.10.3}
services:
  zookeeper:
    image: zookeeper:3.4.5
    ports: {client: 2181}
    instances:
      zk-node-1: {ship: vm1, ports: {peer: 2888}}
      zk-node-2: {ship: vm1, ports: {client: "2181:2182", peer: "2888:2889"}}
      zk-node-3: {ship: vm2, ports: {client: "2181:2183", peer: "2888:2890"}}
  kafka:
    image: kafka:2.8
    requires: [zookeeper]
    instances:
      kafka-1: {ship: vm1, ports: {broker: 9092}}
      kafka-2: {ship: vm2, ports: {broker: "9092:9093", range: "1234:1234-1236"}}
  web.front:
    image: nginx
    wants_info: [kafka]
    instances:
      web_1: {ship: vm2, ports: {http: "80:8080"}}
"""


@pytest.fixture(scope="module")
def guestutils():
    spec = importlib.util.spec_from_file_location("guestutils_under_test", GUESTUTILS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def model(write_env):
    return environment.load(write_env(ENV), environ={})


@pytest.fixture
def inside(model, monkeypatch):
    """``inside("kafka-2")`` makes os.environ exactly that container's environment."""

    def enter(instance):
        env = {k: str(v) for k, v in model.instances[instance]["env"].items()}
        monkeypatch.setattr(os, "environ", env)
        return env

    return enter


def test_names_and_addresses(guestutils, inside):
    inside("kafka-2")
    assert guestutils.get_environment_name() == "zk-kafka"
    assert guestutils.get_service_name() == "kafka"
    assert guestutils.get_container_name() == "kafka-2"
    assert guestutils.get_container_host_address() == "192.168.10.3"


def test_host_address_as_ip(guestutils, monkeypatch):
    monkeypatch.setattr(os, "environ", {"CONTAINER_HOST_ADDRESS": "localhost"})
    assert guestutils.get_container_host_address() == "localhost"
    assert guestutils.get_container_host_address(as_ip_address=True).startswith("127.")


def test_missing_names_raise(guestutils, monkeypatch):
    monkeypatch.setattr(os, "environ", {})
    assert guestutils.get_environment_name() == "local"
    for func in (guestutils.get_service_name, guestutils.get_container_name, guestutils.get_container_host_address):
        with pytest.raises(guestutils.MaestroEnvironmentError):
            func()


def test_get_port_is_the_internal_port(guestutils, inside):
    inside("kafka-2")
    assert guestutils.get_port("broker") == 9092
    assert guestutils.get_port("unknown", 42) == 42
    with pytest.raises(guestutils.MaestroEnvironmentError, match="unknown"):
        guestutils.get_port("unknown")


def test_specific_host_and_ports(guestutils, inside):
    inside("kafka-2")
    assert guestutils.get_specific_host("zookeeper", "zk-node-2") == "192.168.10.2"
    assert guestutils.get_specific_host("zookeeper", "zk-node-3") == "192.168.10.3"
    assert guestutils.get_specific_port("zookeeper", "zk-node-2", "client") == 2182
    assert guestutils.get_specific_port("kafka", "kafka-2", "broker") == 9093
    assert guestutils.get_specific_exposed_port("kafka", "kafka-2", "broker") == 9092
    # a host port range stays a range
    assert guestutils.get_specific_port("kafka", "kafka-2", "range") == "1234-1236"
    assert guestutils.get_specific_port("zookeeper", "zk-node-2", "nope", 7) == 7
    with pytest.raises(guestutils.MaestroEnvironmentError):
        guestutils.get_specific_port("zookeeper", "zk-node-2", "nope")
    with pytest.raises(guestutils.MaestroEnvironmentError):
        guestutils.get_specific_host("zookeeper", "zk-node-9")
    # internal ports are only given for the container's own service
    assert guestutils.get_specific_exposed_port("zookeeper", "zk-node-2", "client", 0) == 0


def test_node_list(guestutils, inside):
    inside("kafka-1")
    assert guestutils.get_node_list("zookeeper") == ["192.168.10.2", "192.168.10.2", "192.168.10.3"]
    assert guestutils.get_node_list("zookeeper", ports=["client"]) == [
        "192.168.10.2:2181",
        "192.168.10.2:2182",
        "192.168.10.3:2183",
    ]
    assert guestutils.get_node_list("zookeeper", ports=["client", "peer"]) == [
        "192.168.10.2:2181:2888",
        "192.168.10.2:2182:2889",
        "192.168.10.3:2183:2890",
    ]
    # peers of its own service
    assert guestutils.get_node_list(guestutils.get_service_name(), ports=["broker"]) == [
        "192.168.10.2:9092",
        "192.168.10.3:9093",
    ]


def test_node_list_minimum(guestutils, inside):
    inside("kafka-1")
    assert len(guestutils.get_node_list("zookeeper", minimum=3)) == 3
    with pytest.raises(guestutils.MaestroEnvironmentError, match="zookeeper"):
        guestutils.get_node_list("zookeeper", minimum=4)
    # a service the container was given nothing about
    with pytest.raises(guestutils.MaestroEnvironmentError):
        guestutils.get_node_list("web.front")
    assert guestutils.get_node_list("web.front", minimum=0) == []
    with pytest.raises(guestutils.MaestroEnvironmentError):
        guestutils.get_node_list("zookeeper", ports=["nope"])


def test_names_with_odd_characters(guestutils, inside):
    inside("web_1")
    assert guestutils.get_service_name() == "web.front"
    assert guestutils.get_port("http") == 80
    assert guestutils.get_node_list("web.front", ports=["http"]) == ["192.168.10.3:8080"]
    # wants_info: kafka's variables, not zookeeper's (not transitive)
    assert guestutils.get_node_list("kafka", ports=["broker"]) == ["192.168.10.2:9092", "192.168.10.3:9093"]
    assert guestutils.get_node_list("zookeeper", minimum=0) == []


def test_node_list_without_instances_variable(guestutils, inside, monkeypatch):
    env = inside("kafka-1")
    del env["ZOOKEEPER_INSTANCES"]
    assert guestutils.get_node_list("zookeeper", ports=["client"]) == [
        "192.168.10.2:2181",
        "192.168.10.2:2182",
        "192.168.10.3:2183",
    ]


def test_internal_address(guestutils):
    assert guestutils.get_container_internal_address("lo") == "127.0.0.1"
    with pytest.raises(guestutils.MaestroEnvironmentError):
        guestutils.get_container_internal_address("no-such-if0")


def _run(args, env):
    """Run python3 with only ``env`` (plus PATH-free defaults), isolated (-I: no
    user site, no PYTHON* variables) so nothing of this venv can leak in."""
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    return subprocess.run(
        [python, "-I", "-S", "-B"] + args,
        env=env,
        cwd=FILES,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
        check=False,
    )


def test_runs_alone_in_a_bare_interpreter(model):
    """-S: not even site-packages; the file is imported from its own folder."""
    env = {k: str(v) for k, v in model.instances["kafka-2"]["env"].items()}
    code = (
        "import sys; sys.path.insert(0, '.'); from guestutils import *; "
        "print(get_node_list('zookeeper', ports=['client'])); print(get_port('broker'))"
    )
    proc = _run(["-c", code], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["['192.168.10.2:2181', '192.168.10.2:2182', '192.168.10.3:2183']", "9092"]


def test_command_line(model):
    env = {k: str(v) for k, v in model.instances["kafka-2"]["env"].items()}
    proc = _run(["guestutils.py", "get_node_list", "zookeeper", "--ports", "client,peer"], env)
    assert (proc.returncode, proc.stdout) == (
        0,
        "192.168.10.2:2181:2888,192.168.10.2:2182:2889,192.168.10.3:2183:2890\n",
    ), proc.stderr
    proc = _run(["guestutils.py", "get_specific_port", "zookeeper", "zk-node-3", "client"], env)
    assert (proc.returncode, proc.stdout) == (0, "2183\n")
    proc = _run(["guestutils.py", "get_port", "jmx", "7199"], env)
    assert (proc.returncode, proc.stdout) == (0, "7199\n")
    proc = _run(["guestutils.py", "get_node_list", "zookeeper", "--minimum", "5"], env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("guestutils: not enough zookeeper nodes: 3 found, at least 5 needed")
    proc = _run(["guestutils.py", "get_port", "jmx"], env)
    assert proc.returncode == 1 and "jmx" in proc.stderr
    proc = _run(["guestutils.py", "no_such_function"], env)
    assert proc.returncode == 2
