"""differences() and compare() on synthetic inspect data (container_specs.daemon_inspect plays the
daemon): what counts as drift, and what the daemon itself fills in does not."""

import copy

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import compare, differences
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import (
    IMAGE,
    NEW_IMAGE,
    daemon_inspect,
    full_spec,
    minimal_spec,
)


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
    assert reasons == ["image changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)"]


def test_image_change_does_not_flag_the_image_defaults():
    spec = minimal_spec()
    new_image = copy.deepcopy(NEW_IMAGE)
    new_image["Config"]["Cmd"] = ["httpd", "-v"]
    new_image["Config"]["User"] = "root"
    new_image["Config"]["WorkingDir"] = "/"
    new_image["Config"]["Labels"] = {"version": "2"}
    new_image["Config"]["Env"] = ["PATH=/bin", "HEAP=1g"]
    new_image["Config"]["Volumes"] = {}
    assert compare(spec, daemon_inspect(spec), new_image) == ["image changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)"]


def test_image_change_still_lists_spec_changes():
    inspect = daemon_inspect(full_spec())
    assert compare(full_spec(env={"HEAP": "1g"}, container_volumes=["/other"]), inspect, NEW_IMAGE) == [
        "image changed (aaaaaaaaaaaa -> bbbbbbbbbbbb)",
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
