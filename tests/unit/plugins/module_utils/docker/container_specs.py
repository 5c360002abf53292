"""Instance specs and a stand-in for Docker 20.10's inspect, shared by the tests of desired.py,
drift.py and container.py (and, for its specs, the container manager's integration tests).

``daemon_inspect`` plays Docker 20.10: it builds the inspect the daemon returns for a
container created from desired_config(), with the daemon's own merging and defaults
(recorded from a real daemon), so that "no false drift" can be checked without one.
"""

from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import desired_config

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
        "healthcheck": None,
        "oneshot": None,
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
