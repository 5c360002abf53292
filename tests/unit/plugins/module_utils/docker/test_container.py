"""desired_config() and compare() on synthetic inspect data.

``daemon_inspect`` plays Docker 20.10: it builds the inspect the daemon returns for a
container created from desired_config(), with the daemon's own merging and defaults
(recorded from a real daemon), so that "no false drift" can be checked without one.
"""

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "collections"))

from ansible_collections.maestro.ng.plugins.module_utils.docker.container import (
    LABEL_ENVIRONMENT,
    LABEL_INSTANCE,
    LABEL_SERVICE,
    ContainerError,
    _listed_container,
    compare,
    desired_config,
    differences,
    state_of,
)

IMAGE = {
    "Id": "sha256:" + "a" * 64,
    "Config": {
        "Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HEAP=256m"],
        "Cmd": ["httpd", "-f"],
        "Labels": {"version": "1", "vendor": "acme"},
        "Volumes": {"/var/lib/data": {}},
        "User": "www",
        "WorkingDir": "/srv",
    },
}
NEW_IMAGE = dict(IMAGE, Id="sha256:" + "b" * 64)


def minimal_spec(**overrides):
    spec = {
        "name": "web1",
        "service": "web",
        "ship": "ship1",
        "ship_ip": "10.250.0.2",
        "environment": "prod",
        "image": "acme/web:latest",
        "command": None,
        "env": {},
        "ports": [],
        "volumes": [],
        "container_volumes": [],
        "volumes_from": [],
        "links": {},
        "user": None,
        "privileged": False,
        "cap_add": [],
        "cap_drop": [],
        "security_opt": [],
        "extra_hosts": {},
        "network_mode": None,
        "hostname": "web1",
        "restart": {"name": "no", "maximum_retry_count": 0},
        "dns": [],
        "stop_timeout": 10,
        "limits": {"cpu_shares": None, "memory": None, "memswap": None},
        "log_driver": None,
        "log_opt": {},
        "workdir": None,
        "ulimits": [],
        "labels": {},
        "lifecycle": {},
    }
    spec.update(overrides)
    return spec


def full_spec(**overrides):
    spec = minimal_spec(
        command='sh -c "httpd -f -p 80"',
        env={"HEAP": "512m", "FOO": "bar", "N": 3},
        ports=[
            {"name": "http", "exposed": "80", "external": "8080", "protocol": "tcp", "host_ip": "0.0.0.0"},
            {"name": "dns", "exposed": "53", "external": "5353", "protocol": "udp", "host_ip": "10.250.0.2"},
            {"name": "range", "exposed": "1234-1236", "external": "2234-2236", "protocol": "tcp", "host_ip": "0.0.0.0"},
            {"name": "any", "exposed": "90", "external": "9000-9010", "protocol": "tcp", "host_ip": "0.0.0.0"},
        ],
        volumes=[
            {"source": "/srv/data", "target": "/data", "mode": "rw"},
            {"source": "/etc/localtime", "target": "/etc/localtime", "mode": "ro,Z"},
        ],
        container_volumes=["/cache"],
        volumes_from=["web-data"],
        links={"db1": "database", "cache1": "cache1"},
        user="nobody",
        privileged=True,
        cap_add=["NET_ADMIN"],
        cap_drop=["cap_chown"],
        security_opt=["no-new-privileges", "label=disable"],
        extra_hosts={"gateway": "10.250.0.1", "db": "10.250.0.3"},
        restart={"name": "on-failure", "maximum_retry_count": 3},
        dns=["10.250.0.1", "10.250.0.9"],
        stop_timeout=3,
        limits={"cpu_shares": 512, "memory": 64 * 2**20, "memswap": 128 * 2**20},
        log_driver="json-file",
        log_opt={"max-size": "10m", "max-file": 3},
        workdir="/tmp",
        ulimits=[{"name": "nofile", "soft": 1024, "hard": 2048}],
        labels={"team": "ops"},
    )
    spec.update(overrides)
    return spec


def daemon_inspect(spec, image=None):
    """The inspect Docker 20.10 returns for a container created from desired_config()."""
    image = IMAGE if image is None else image
    desired = desired_config(spec)
    create, host = desired["create"], desired["host_config"]
    image_config = image["Config"]
    env = ["%s=%s" % item for item in create["environment"].items()]
    env += [e for e in image_config["Env"] if e.split("=", maxsplit=1)[0] not in create["environment"]]
    log = host.get("log_config") or {}
    memory = host.get("mem_limit", 0)
    restart = host["restart_policy"]
    return {
        "Id": "c" * 64,
        "Image": image["Id"],
        "State": {"Running": True, "Status": "running"},
        "Config": {
            "Hostname": create["hostname"] or "c" * 12,
            "User": create["user"] or image_config["User"],
            "Env": env,
            "Cmd": create["command"] or image_config["Cmd"],
            "Volumes": dict({v: {} for v in create["volumes"]}, **image_config["Volumes"]),
            "WorkingDir": create["working_dir"] or image_config["WorkingDir"],
            "Labels": dict(image_config["Labels"], **create["labels"]),
            "StopTimeout": create["stop_timeout"],
            "ExposedPorts": create["ports"],
        },
        "HostConfig": {
            "Binds": host["binds"] or None,
            "PortBindings": host["port_bindings"] or None,
            "Links": ["/%s:/%s/%s" % (name, spec["name"], alias) for name, alias in sorted(host["links"].items())]
            or None,
            "VolumesFrom": host["volumes_from"] or None,
            "Privileged": host["privileged"],
            "CapAdd": host["cap_add"] or None,
            "CapDrop": host["cap_drop"] or None,
            "SecurityOpt": host["security_opt"] or None,
            "ExtraHosts": ["%s:%s" % item for item in sorted(host["extra_hosts"].items())] or None,
            "NetworkMode": host["network_mode"] or "default",
            "RestartPolicy": {
                "Name": "" if restart["Name"] == "no" else restart["Name"],
                "MaximumRetryCount": restart["MaximumRetryCount"],
            },
            "Dns": host["dns"] or None,
            "CpuShares": host.get("cpu_shares", 0),
            "Memory": memory,
            "MemorySwap": host.get("memswap_limit", 2 * memory),
            "Ulimits": host["ulimits"] or None,
            "LogConfig": {"Type": log.get("Type") or "json-file", "Config": log.get("Config") or {}},
        },
    }


# ------------------------------------------------------------------ desired_config


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


@pytest.mark.parametrize("make_spec", [minimal_spec, full_spec], ids=["minimal", "full"])
def test_untouched_container_has_no_drift(make_spec):
    spec = make_spec()
    assert compare(spec, daemon_inspect(spec), IMAGE) == []


def test_spec_order_does_not_matter():
    spec = full_spec()
    inspect = daemon_inspect(spec)
    shuffled = full_spec(
        ports=list(reversed(spec["ports"])),
        volumes=list(reversed(spec["volumes"])),
        cap_drop=["CHOWN"],
        security_opt=list(reversed(spec["security_opt"])),
    )
    assert compare(shuffled, inspect, IMAGE) == []


def test_docker_spellings_are_not_drift():
    spec = full_spec(network_mode=None, hostname=None)
    inspect = daemon_inspect(spec)
    host = inspect["HostConfig"]
    host["NetworkMode"] = "bridge"
    host["PortBindings"]["80/tcp"][0]["HostIp"] = ""
    host["Binds"] = ["/srv/data:/data", "/etc/localtime:/etc/localtime:Z,ro"]
    host["CapAdd"] = ["CAP_NET_ADMIN"]
    host["LogConfig"]["Config"]["mode"] = "non-blocking"  # a daemon default option
    assert compare(spec, inspect, IMAGE) == []


# ------------------------------------------------------------------ detected drift


def test_env_changes():
    spec = full_spec()
    inspect = daemon_inspect(spec)
    changed = full_spec(env={"HEAP": "1g", "NEW": "x", "N": "3"})
    assert compare(changed, inspect, IMAGE) == ["env.FOO removed", "env.HEAP changed", "env.NEW added"]
    diff = {d.setting: (d.before, d.after) for d in differences(changed, inspect, IMAGE)}
    assert diff["env.HEAP"] == ("512m", "1g")


def test_image_env_not_overridden_is_ignored_but_restored_when_dropped():
    spec = minimal_spec(env={"HEAP": "512m"})
    inspect = daemon_inspect(spec)
    # HEAP back to the image's value: the container still has 512m.
    assert compare(minimal_spec(), inspect, IMAGE) == ["env.HEAP changed"]


def test_image_change():
    spec = full_spec()
    reasons = compare(spec, daemon_inspect(spec), NEW_IMAGE)
    assert reasons == ["image changed (sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb)"]


def test_image_change_does_not_flag_the_image_defaults():
    spec = minimal_spec()
    new_image = copy.deepcopy(NEW_IMAGE)
    new_image["Config"]["Cmd"] = ["httpd", "-v"]
    new_image["Config"]["User"] = "root"
    new_image["Config"]["WorkingDir"] = "/"
    new_image["Config"]["Labels"] = {"version": "2"}
    new_image["Config"]["Env"] = ["PATH=/bin", "HEAP=1g"]
    new_image["Config"]["Volumes"] = {}
    assert compare(spec, daemon_inspect(spec), new_image) == [
        "image changed (sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb)"
    ]


def test_image_change_still_lists_spec_changes():
    inspect = daemon_inspect(full_spec())
    assert compare(full_spec(env={"HEAP": "1g"}, container_volumes=["/other"]), inspect, NEW_IMAGE) == [
        "image changed (sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb)",
        "env.HEAP changed",
        "container_volumes changed",
    ]


def test_missing_image():
    spec = minimal_spec()
    assert compare(spec, daemon_inspect(spec), None)[0] == "image acme/web:latest not present on the ship"


def test_command():
    spec = minimal_spec()
    inspect = daemon_inspect(spec)
    assert compare(minimal_spec(command=["httpd", "-f"]), inspect, IMAGE) == []
    assert compare(minimal_spec(command="httpd -v"), inspect, IMAGE) == ["command changed"]
    custom = daemon_inspect(minimal_spec(command="sleep 100"))
    assert compare(spec, custom, IMAGE) == ["command changed"]


@pytest.mark.parametrize(
    "setting, value, reason",
    [
        ("ports", [], "ports changed"),
        ("volumes", [], "volumes changed"),
        ("container_volumes", [], "container_volumes changed"),
        ("volumes_from", [], "volumes_from changed"),
        ("links", {"db1": "db"}, "links changed"),
        ("user", None, "user changed"),
        ("privileged", False, "privileged changed"),
        ("cap_add", ["SYS_ADMIN"], "cap_add changed"),
        ("cap_drop", [], "cap_drop changed"),
        ("security_opt", ["no-new-privileges"], "security_opt changed"),
        ("extra_hosts", {"gateway": "10.250.0.1"}, "extra_hosts changed"),
        ("network_mode", "backend", "network_mode changed"),
        ("hostname", "other", "hostname changed"),
        ("restart", {"name": "on-failure", "maximum_retry_count": 4}, "restart changed"),
        ("dns", ["10.250.0.9", "10.250.0.1"], "dns changed"),
        ("limits", {"cpu_shares": 1024, "memory": 64 * 2**20, "memswap": 128 * 2**20}, "limits.cpu_shares changed"),
        ("limits", {"cpu_shares": 512, "memory": 32 * 2**20, "memswap": 128 * 2**20}, "limits.memory changed"),
        ("limits", {"cpu_shares": 512, "memory": 64 * 2**20, "memswap": 256 * 2**20}, "limits.memswap changed"),
        ("log_driver", "syslog", "log_driver changed"),
        ("log_opt", {"max-size": "20m", "max-file": "3"}, "log_opt.max-size changed"),
        ("workdir", None, "workdir changed"),
        ("ulimits", [{"name": "nofile", "soft": 1024, "hard": 4096}], "ulimits changed"),
        ("labels", {}, "labels.team removed"),
        ("stop_timeout", 10, "stop_timeout changed"),
        ("command", None, "command changed"),
    ],
)
def test_each_setting_is_compared(setting, value, reason):
    inspect = daemon_inspect(full_spec())
    assert compare(full_spec(**{setting: value}), inspect, IMAGE) == [reason]


def test_image_labels_are_allowed_but_foreign_labels_are_not():
    spec = minimal_spec()
    inspect = daemon_inspect(spec)
    assert inspect["Config"]["Labels"]["vendor"] == "acme"
    inspect["Config"]["Labels"]["added.by.hand"] = "x"
    assert compare(spec, inspect, IMAGE) == ["labels.added.by.hand removed"]


def test_memswap_unset_accepts_docker_defaults():
    spec = minimal_spec(limits={"cpu_shares": None, "memory": 64 * 2**20, "memswap": None})
    inspect = daemon_inspect(spec)
    assert inspect["HostConfig"]["MemorySwap"] == 128 * 2**20
    assert compare(spec, inspect, IMAGE) == []
    inspect["HostConfig"]["MemorySwap"] = 0
    assert compare(spec, inspect, IMAGE) == []
    inspect["HostConfig"]["MemorySwap"] = 96 * 2**20
    assert compare(spec, inspect, IMAGE) == ["limits.memswap changed"]


def test_restart_no_equals_docker_empty_policy():
    spec = minimal_spec(restart={"name": "no", "maximum_retry_count": 0})
    inspect = daemon_inspect(spec)
    assert inspect["HostConfig"]["RestartPolicy"]["Name"] == ""
    assert compare(spec, inspect, IMAGE) == []


def test_log_driver_unset_ignores_the_daemon_default():
    spec = minimal_spec()
    inspect = daemon_inspect(spec)
    inspect["HostConfig"]["LogConfig"] = {"Type": "journald", "Config": {"tag": "x"}}
    assert compare(spec, inspect, IMAGE) == []


def test_hostname_unset_ignores_docker_made_up_name():
    spec = minimal_spec(hostname=None, network_mode="host")
    inspect = daemon_inspect(spec)
    inspect["Config"]["Hostname"] = "the-ship"
    assert compare(spec, inspect, IMAGE) == []


def test_diff_values_for_sets_are_sorted_lists():
    inspect = daemon_inspect(full_spec())
    diff = differences(full_spec(cap_add=["SYS_ADMIN", "NET_RAW"]), inspect, IMAGE)
    assert [(d.setting, d.before, d.after) for d in diff] == [("cap_add", ["NET_ADMIN"], ["NET_RAW", "SYS_ADMIN"])]


@pytest.mark.parametrize(
    "listed, state",
    [
        ("running", "running"),
        ("paused", "running"),
        ("restarting", "running"),  # inspect says Running for these
        ("exited", "exited"),
        ("created", "created"),
        ("dead", "dead"),
    ],
)
def test_a_listing_entry_reads_as_the_state_an_inspect_gives(listed, state):
    entry = {"Id": "c" * 64, "ImageID": IMAGE["Id"], "State": listed, "Names": ["/web-1"]}
    container = _listed_container(entry)
    assert state_of(container) == state
    assert container["Id"] == entry["Id"] and container["Image"] == IMAGE["Id"]
    assert _listed_container(None) is None and state_of(None) == "absent"
