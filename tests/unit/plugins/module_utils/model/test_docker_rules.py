"""Docker's own rules on a container's settings (model/docker_rules.py): each rule takes what Docker
takes and refuses what it refuses. The located messages are the bad-file corpus's (test_errors.py)."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model import docker_rules as rules
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import minimal_spec

GOOD_IMAGES = [
    "busybox",
    "busybox:1.36",
    "library/busybox:latest",
    "maestro-test/busybox:v2",
    "registry.example.com:5000/team/app:1.2.3-rc_1",
    "localhost/app",
    "localhost:5000/app",
    "[::1]:5000/app:1",
    "quay.io/a__b/c-d.e:X",
    "busybox@sha256:" + "a" * 64,
    "busybox:1@sha256:" + "0123456789abcdef" * 4,
    "Registry.Example.com/app",  # the domain may have capitals, the repository not
]
BAD_IMAGES = {
    "Maestro-Test/BusyBox:latest": "the repository must be lowercase (maestro-test/busybox)",
    "busybox:": "a tag is 1 to 128 letters",
    "busybox:-rc1": "a tag is 1 to 128 letters",
    "busybox:" + "a" * 129: "a tag is 1 to 128 letters",
    "busybox@sha256:abc": "a digest is sha256: and 64 lowercase hex digits",
    "busybox@md5:" + "a" * 32: "a digest is sha256:",
    "busybox@sha256:" + "A" * 64: "a digest is sha256:",
    "reg_1.example.com/app": "'reg_1.example.com' is not a registry host[:port]",
    "app-/web": "a repository is lowercase letters",
    "a//b": "a repository is lowercase letters",
    "": "a repository is lowercase letters",
    "x/" + "a" * 255: "longer than 255 characters",
}


@pytest.mark.parametrize("image", GOOD_IMAGES)
def test_image_references_docker_takes(image):
    assert rules.image_reference(image) is None


@pytest.mark.parametrize("image, why", BAD_IMAGES.items())
def test_image_references_docker_refuses(image, why):
    assert why in rules.image_reference(image)


@pytest.mark.parametrize(
    "rule, good, bad",
    [
        (rules.absolute_path, ["/", "/srv/app"], ["srv", "./x", ""]),
        (rules.container_path, ["/data", "/a/b/"], ["/", "//", "data", "./data"]),
        (rules.volume_source, ["/srv/data", "data", "db.1", "a_b-c"], ["./data", "data/db", "d", "-x", "a b"]),
        (rules.capability, ["NET_ADMIN", "net_admin", "CAP_SYS_TIME", "all", "ALL", "BPF"], ["CAP_ALL", "NOPE", ""]),
        (rules.ip_address, ["10.0.0.53", "::1", "fe80::1"], ["dns.example.test", "10.0.0", ""]),
        (rules.host_address, ["10.0.0.1", "::1", "host-gateway"], ["db.example.test", "gateway"]),
        (rules.host_name, ["db", "db.example.test"], ["", "a:b", "a b"]),
        (
            rules.network_mode,
            ["bridge", "host", "none", "default", "container:web-1", "backend_net", "n1"],
            ["container:", "-net", "a b"],
        ),
        (rules.env_name, ["PATH", "lower_case", "A1"], ["", "A=B"]),
        (rules.label_name, ["com.example.team", "x"], ["", "maestro.ng.service", "maestro.ng.anything"]),
        (rules.ulimit_name, ["nofile", "nproc", "core"], ["nofiles", "NOFILE", ""]),
        (rules.log_driver, ["json-file", "local", "my/plugin:latest"], ["", "json file"]),
    ],
)
def test_each_rule_takes_and_refuses(rule, good, bad):
    assert [value for value in good if rule(value)] == []
    assert [value for value in bad if rule(value) is None] == []


@pytest.mark.parametrize(
    "mode, bind, why",
    [
        ("rw", True, None),
        ("ro", True, None),
        ("ro,z", True, None),
        ("rw,Z,rshared", True, None),
        ("ro,cached", True, None),
        ("nocopy", False, None),
        ("ro,nocopy", False, None),
        ("rw,ro", True, "sets rw/ro more than once"),
        ("z,Z", True, "sets z/Z more than once"),
        ("shared,slave", True, "sets shared/rshared more than once"),
        ("rx", True, "unknown volume mode 'rx'"),
        ("nocopy", True, "nocopy only applies to a named volume"),
        ("rshared", False, "rshared only applies to a path on the ship"),
    ],
)
def test_volume_modes(mode, bind, why):
    message = rules.volume_mode(mode, bind)
    assert message is None if why is None else why in message


@pytest.mark.parametrize(
    "option, why",
    [
        ("no-new-privileges", None),
        ("no-new-privileges=true", None),
        ("no-new-privileges:false", None),
        ("disable", None),
        ("label=disable", None),
        ("label=type:svirt_apache_t", None),
        ("label:level:s0:c100,c200", None),
        ("apparmor=docker-default", None),
        ("seccomp=unconfined", None),
        ('seccomp={"defaultAction": "SCMP_ACT_ALLOW"}', None),
        ("no-new-privileges=maybe", "is not true or false"),
        ("label=kind:x", "is not disable or user|role|type|level|filetype:VALUE"),
        ("apparmor=", "needs a profile name"),
        ("seccomp=/etc/docker/seccomp.json", "not a file"),
        ("systempaths=unconfined", "unknown security option"),
        ("privileged", "unknown security option"),
    ],
)
def test_security_options(option, why):
    message = rules.security_option(option)
    assert message is None if why is None else why in message


@pytest.mark.parametrize(
    "memory, memswap, cpu, expected",
    [
        (None, None, None, []),
        (6 * 1024**2, None, None, []),
        (0, None, 0, []),  # Docker's defaults
        (64 * 1024**2, 64 * 1024**2, 1024, []),  # no swap
        (64 * 1024**2, -1, 2, []),  # unlimited swap
        (64 * 1024**2, 0, 262144, []),
        (6 * 1024**2 - 1, None, None, ["memory"]),
        (1024, None, None, ["memory"]),
        (64 * 1024**2, 32 * 1024**2, None, ["memswap"]),
        (None, 1024**3, None, ["memswap"]),
        (64 * 1024**2, -2, None, ["memswap"]),
        (None, None, 1, ["cpu_shares"]),
        (None, None, 262145, ["cpu_shares"]),
    ],
)
def test_limits_and_their_relation(memory, memswap, cpu, expected):
    assert [key for key, dummy in rules.limits(memory, memswap, cpu)] == expected


@pytest.mark.parametrize(
    "driver, options, expected",
    [
        ("json-file", {"max-size": "10m", "max-file": "3", "compress": "true"}, []),
        ("json-file", {"tag": "{{.Name}}", "labels": "a,b", "mode": "non-blocking", "max-buffer-size": "4m"}, []),
        ("local", {"max-size": "20m", "max-file": "5", "compress": "false", "cache-disabled": "true"}, []),
        ("none", {"anything": "goes"}, []),  # the daemon reads none of them
        ("fluentd", {"fluentd-address": "10.0.0.1:24224"}, []),  # not a driver whose options we know
        (None, {"max-size": "10m"}, []),  # the ship's default driver
        ("json-file", {"max_size": "10m"}, ["max_size"]),
        ("local", {"tag": "x"}, ["tag"]),
        ("json-file", {"mode": "lossy"}, ["mode"]),
        ("json-file", {"max-buffer-size": "4m"}, ["max-buffer-size"]),
        ("json-file", {"max-size": "ten"}, ["max-size"]),
        ("json-file", {"max-size": "10m", "max-file": "0"}, ["max-file"]),
        ("json-file", {"compress": "yes"}, ["compress"]),
        ("json-file", {"compress": "true", "max-size": "10m"}, ["compress"]),  # needs max-file >= 2
        ("fluentd", {"mode": "lossy"}, ["mode"]),  # the daemon checks the mode for every driver
    ],
)
def test_log_options_per_driver(driver, options, expected):
    assert [key for key, dummy in rules.log_options(driver, options)] == expected


def test_a_spec_docker_takes_has_no_problems():
    assert rules.problems(minimal_spec()) == []
    assert (
        rules.problems(
            minimal_spec(
                volumes=[
                    {"source": "/srv", "target": "/data", "mode": "ro"},
                    {"source": "cache", "target": "/c", "mode": "nocopy"},
                ],
                extra_hosts={"db": "10.0.0.2", "gw": "host-gateway"},
                ulimits=[{"name": "nofile", "soft": 1024, "hard": -1}],
                env={"A": "1"},
            )
        )
        == []
    )


def test_a_specs_problems_name_the_spec_key_of_each():
    found = rules.problems(
        minimal_spec(
            image="Web",
            container_volumes=["/ok", "rel"],
            env={"": "x"},
            volumes=[{"source": "a/b", "target": "c", "mode": "bad"}],
            extra_hosts={"a:b": "nowhere"},
            ulimits=[{"name": "nofile", "soft": -2, "hard": 10}, {"name": "nofiles", "soft": 1, "hard": 1}],
            limits={"cpu_shares": 1, "memory": 1, "memswap": None},
            log_driver="json-file",
            log_opt={"bogus": "1"},
            network_mode="container:proxy",
            dns=["10.0.0.53"],
        )
    )
    assert [path for path, dummy in found] == [
        ("image",),
        ("container_volumes", 1),
        ("env", ""),
        ("volumes", 0, "source"),
        ("volumes", 0, "target"),
        ("volumes", 0, "mode"),
        ("extra_hosts", "a:b"),
        ("extra_hosts", "a:b"),
        ("ulimits", 0),
        ("ulimits", 1),
        ("dns",),
        ("extra_hosts",),
        ("limits", "memory"),
        ("limits", "cpu_shares"),
        ("log_opt", "bogus"),
    ]
    assert rules.problems(minimal_spec(image=""))[0] == (("image",), "must not be empty")


def test_user_networks_are_the_modes_that_name_one():
    assert [
        rules.user_network(mode) for mode in (None, "", "bridge", "host", "none", "default", "container:x", "backend")
    ] == [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "backend",
    ]
