"""The container manager's own logic on stand-ins for the daemon."""

import copy
import hashlib
import re
import time
import types

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker.client import APIError, NotFound
from ansible_collections.maestro.ng.plugins.module_utils.docker.container import (
    ContainerManager,
    _listed_container,
    completed,
    state_of,
)
from ansible_collections.maestro.ng.plugins.module_utils.docker.desired import (
    LABEL_DIGEST,
    config_digest,
    desired_config,
)
from ansible_collections.maestro.ng.plugins.module_utils.docker.drift import differences
from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.tests.unit.plugins.module_utils.docker.container_specs import IMAGE, minimal_spec


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


# ------------------------------------------------------------------ a replacement, on a fake daemon

OLD = minimal_spec(container_volumes=["/data"], env={"MSG": "one"})
CHANGED = minimal_spec(container_volumes=["/data"], env={"MSG": "two"})
CRASHING = minimal_spec(container_volumes=["/data"], env={"MSG": "one"}, command="false")
PLAIN_IMAGE = {"Id": IMAGE["Id"], "Config": dict(IMAGE["Config"], Volumes=None)}
PREVIOUS, FAILED = "web1.maestro-previous", "web1.maestro-failed"
REFUSAL = (
    "web1 on ship1: the container named web1 there was made by no maestro.ng environment: it has none of its "
    "labels (made by hand, by MaestroNG or another tool); nothing was changed (to take it over, with its volumes, "
    "run once with -e adopt=true (the maestro command: --adopt))"
)
DOCKER_TIME = "%Y-%m-%dT%H:%M:%S.000000000Z"


def api_error(status, explanation, kind=APIError):
    response = types.SimpleNamespace(status_code=status, url="http+docker://localhost/v1.41/x", reason="Conflict")
    return kind("%d Client Error" % status, response=response, explanation=explanation)


def not_found(explanation):
    return api_error(404, explanation, kind=NotFound)


def volume_mount(name, destination):
    return {"Type": "volume", "Name": name, "Source": "", "Destination": destination, "Driver": "local", "RW": True}


class FakeDocker:
    """A low-level Docker client on a daemon kept in memory: containers by id (their inspect, with
    ``Name`` "/NAME") and volumes by name. ``calls`` records each mutating call as it is made;
    a container whose command is in ``crashing`` exits (code 1) as soon as it starts, one whose command
    is in ``refused`` does not start (the daemon answers an error, as for a port already allocated)."""

    base_url = "http+docker://localhost"

    def __init__(self, images=None, crashing=None, refused=None, completing=None):
        self.images = {"acme/web:latest": PLAIN_IMAGE} if images is None else images
        self.crashing = list(crashing or [])
        self.completing = list(completing or [])  # commands that exit 0 as soon as they start (a oneshot's)
        self.refused = list(refused or [])
        self.by_id = {}
        self.own_volumes = {}  # container id -> the anonymous volumes the daemon made for it
        self.volumes = set()
        self.calls = []
        self.serial = 0

    # -- the test's view

    def summary(self):
        """{name: (id, status)} of every container."""
        return {c["Name"][1:]: (c["Id"], c["State"]["Status"]) for c in self.by_id.values()}

    def id_of(self, name):
        return self._find(name)["Id"]

    def _hex(self, kind):
        self.serial += 1
        return hashlib.sha256(("%s-%d" % (kind, self.serial)).encode("ascii")).hexdigest()

    def _find(self, ref):
        if ref in self.by_id:
            return self.by_id[ref]
        for container in self.by_id.values():
            if container["Name"] == "/" + ref:
                return container
        raise not_found("No such container: %s" % ref)

    def _in_use(self, volume, but=None):
        return any(m.get("Name") == volume for c in self.by_id.values() if c["Id"] != but for m in c["Mounts"])

    # -- reads

    def containers(self, all=False, filters=None):  # noqa: A002 - the Docker SDK's name
        patterns = (filters or {}).get("name") or []
        entries = []
        for container in self.by_id.values():
            state = container["State"]
            if not (all or state["Running"]) or (
                patterns and not any(re.search(p, container["Name"]) for p in patterns)
            ):
                continue
            entries.append(
                {
                    "Id": container["Id"],
                    "Names": [container["Name"]],
                    "Image": container["Config"]["Image"],
                    "ImageID": container["Image"],
                    "State": state["Status"],
                    "Status": "Up 1 second" if state["Running"] else "Exited (%d) 1 second ago" % state["ExitCode"],
                    "Labels": dict(container["Config"]["Labels"]),
                    "Mounts": copy.deepcopy(container["Mounts"]),
                }
            )
        return entries

    def inspect_container(self, container):
        return copy.deepcopy(self._find(container))

    def inspect_image(self, image):
        for name, found in self.images.items():
            if image in (name, found["Id"]):
                return copy.deepcopy(found)
        raise not_found("No such image: %s" % image)

    def create_host_config(self, **kwargs):
        return dict(kwargs)

    def logs(self, container, tail="all"):
        self._find(container)
        return b"starting\nboom\n"

    def wait(self, container, timeout=None, condition=None):
        return {"StatusCode": self._find(container)["State"]["ExitCode"]}

    def events(self, since=None, until=None, filters=None, decode=None):
        return iter(())

    # -- changes

    def create_container(
        self,
        image,
        command=None,
        hostname=None,
        user=None,
        detach=False,
        ports=None,
        environment=None,
        volumes=None,
        name=None,
        working_dir=None,
        host_config=None,
        labels=None,
        stop_timeout=None,
    ):
        self.calls.append(("create_container", name))
        if any(c["Name"] == "/" + name for c in self.by_id.values()):
            raise api_error(409, 'Conflict. The container name "/%s" is already in use' % name)
        image_config = self.inspect_image(image)["Config"]
        host = host_config or {}
        environment = environment or {}
        cid = self._hex("container")
        mounts, own, bound = [], [], set()
        for bind in host.get("binds") or []:
            source, target = bind.split(":")[:2]
            if source.startswith("/"):
                mounts.append({"Type": "bind", "Source": source, "Destination": target, "RW": True})
            else:
                self.volumes.add(source)
                mounts.append(volume_mount(source, target))
            bound.add(target)
        for path in sorted(set(volumes or []) | set(image_config.get("Volumes") or {})):
            if path not in bound:
                volume = self._hex("volume")
                self.volumes.add(volume)
                own.append(volume)
                mounts.append(volume_mount(volume, path))
        restart = host.get("restart_policy") or {"Name": "no", "MaximumRetryCount": 0}
        log = host.get("log_config") or {}
        memory = host.get("mem_limit", 0)
        env = ["%s=%s" % item for item in environment.items()]
        env += [e for e in image_config.get("Env") or [] if e.partition("=")[0] not in environment]
        self.by_id[cid] = {
            "Id": cid,
            "Name": "/" + name,
            "Image": self.inspect_image(image)["Id"],
            "State": {"Running": False, "Status": "created", "ExitCode": 0, "StartedAt": "0001-01-01T00:00:00Z"},
            "Config": {
                "Image": image,
                "Hostname": hostname or cid[:12],
                "User": user or image_config.get("User") or "",
                "Env": env,
                "Cmd": command or image_config.get("Cmd"),
                "Volumes": {**{v: {} for v in volumes or []}, **(image_config.get("Volumes") or {})} or None,
                "WorkingDir": working_dir or image_config.get("WorkingDir") or "",
                "Labels": {**(image_config.get("Labels") or {}), **(labels or {})},
                "StopTimeout": stop_timeout,
                "ExposedPorts": ports or None,
            },
            "HostConfig": {
                "Binds": list(host.get("binds") or []) or None,
                "PortBindings": host.get("port_bindings") or None,
                "Links": ["/%s:/%s/%s" % (n, name, a) for n, a in sorted((host.get("links") or {}).items())] or None,
                "VolumesFrom": host.get("volumes_from") or None,
                "Privileged": bool(host.get("privileged")),
                "CapAdd": host.get("cap_add") or None,
                "CapDrop": host.get("cap_drop") or None,
                "SecurityOpt": host.get("security_opt") or None,
                "ExtraHosts": ["%s:%s" % item for item in sorted((host.get("extra_hosts") or {}).items())] or None,
                "NetworkMode": host.get("network_mode") or "default",
                "RestartPolicy": {
                    "Name": "" if restart["Name"] == "no" else restart["Name"],
                    "MaximumRetryCount": restart["MaximumRetryCount"],
                },
                "Dns": host.get("dns") or None,
                "CpuShares": host.get("cpu_shares", 0),
                "Memory": memory,
                "MemorySwap": host.get("memswap_limit", 2 * memory),
                "Ulimits": host.get("ulimits") or None,
                "LogConfig": {"Type": log.get("Type") or "json-file", "Config": log.get("Config") or {}},
            },
            "Mounts": mounts,
        }
        self.own_volumes[cid] = own
        return {"Id": cid, "Warnings": []}

    def start(self, container):
        self.calls.append(("start", self._find(container)["Id"]))
        found = self._find(container)
        if found["Config"]["Cmd"] in self.refused:
            raise api_error(500, "driver failed programming external connectivity: port is already allocated")
        crashes = found["Config"]["Cmd"] in self.crashing
        ends = crashes or found["Config"]["Cmd"] in self.completing
        found["State"] = {
            "Running": not ends,
            "Status": "exited" if ends else "running",
            "ExitCode": 1 if crashes else 0,
            "StartedAt": time.strftime(DOCKER_TIME, time.gmtime()),
        }

    def stop(self, container, timeout=None):
        self.calls.append(("stop", self._find(container)["Id"]))
        state = self._find(container)["State"]
        if state["Running"]:
            state.update(Running=False, Status="exited", ExitCode=0)

    def kill(self, container):
        self.calls.append(("kill", self._find(container)["Id"]))
        state = self._find(container)["State"]
        if state["Running"]:
            state.update(Running=False, Status="exited", ExitCode=137)

    def rename(self, container, name):
        self.calls.append(("rename", self._find(container)["Id"], name))
        found = self._find(container)
        if any(c["Name"] == "/" + name for c in self.by_id.values() if c is not found):
            raise api_error(409, 'Conflict. The container name "/%s" is already in use' % name)
        found["Name"] = "/" + name

    def remove_container(self, container, v=False, link=False, force=False):
        self.calls.append(("remove_container", self._find(container)["Id"], v))
        found = self._find(container)
        if found["State"]["Running"] and not force:
            raise api_error(409, "You cannot remove a running container %s" % found["Id"])
        del self.by_id[found["Id"]]
        for volume in self.own_volumes.pop(found["Id"]):
            if v and not self._in_use(volume):
                self.volumes.discard(volume)

    def remove_volume(self, name, force=False):
        self.calls.append(("remove_volume", name))
        if name not in self.volumes:
            raise not_found("get %s: no such volume" % name)
        if self._in_use(name):
            raise api_error(409, "remove %s: volume is in use" % name)
        self.volumes.discard(name)


def made(fake, spec, labels=None, start=True):
    """The id of a container made from ``spec`` as this collection makes it (its labels, its digest)
    or, given ``labels``, with those instead; started. Not one of ``fake.calls``."""
    desired = desired_config(spec)
    desired["create"]["labels"][LABEL_DIGEST] = config_digest(desired, spec)
    if labels is not None:
        desired["create"]["labels"] = labels
    created = fake.create_container(host_config=fake.create_host_config(**desired["host_config"]), **desired["create"])
    if start:
        fake.start(created["Id"])
    del fake.calls[:]
    return created["Id"]


def volume_at(fake, ref, path):
    return next(m["Name"] for m in fake.inspect_container(ref)["Mounts"] if m["Destination"] == path)


def converge(fake, spec, state="started", **options):
    return ContainerManager(fake, spec, **options).converge(state)


def replaced(reasons="env.MSG changed"):
    """The actions of a replacement that went well."""
    return [
        "stopped",
        "kept aside as %s (%s)" % (PREVIOUS, reasons),
        "created (with the volumes at /data)",
        "started",
        "removed the previous container",
    ]


def rolled_back(old):
    return [
        "stopped",
        "kept aside as %s (command changed)" % PREVIOUS,
        "created (with the volumes at /data)",
        "started",
        "kept aside as %s (as evidence)" % FAILED,
        "restored %s" % old[:12],
        "started",
    ]


def after_a_rolled_back_change():
    """A ship where web1 (OLD) was changed to CRASHING, which failed and was rolled back:
    (fake, the old container's id, the failed one's); ``fake.calls`` empty."""
    fake = FakeDocker(crashing=[["false"]])
    old = made(fake, OLD)
    with pytest.raises(ContainerError):
        converge(fake, CRASHING)
    failed = fake.id_of(FAILED)
    del fake.calls[:]
    return fake, old, failed


def test_a_new_instance_is_created_and_started_with_a_volume_of_its_own():
    fake = FakeDocker()
    result = converge(fake, OLD)
    new = fake.id_of("web1")
    assert result["actions"] == ["created", "started"]
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.volumes == {volume_at(fake, new, "/data")}
    assert converge(fake, OLD)["actions"] == []


def test_a_new_instance_the_daemon_refuses_to_start_leaves_no_container_behind():
    # A network or a user the ship lacks: the daemon creates the container, then refuses to start it.
    fake = FakeDocker(refused=[["false"]])
    with pytest.raises(ContainerError) as info:
        converge(fake, CRASHING)
    assert "port is already allocated" in str(info.value)
    assert info.value.result["actions"] == ["created", "removed (it could not start)"]
    assert fake.summary() == {} and fake.volumes == set()  # its own anonymous volume went with it
    assert [call[0] for call in fake.calls] == ["create_container", "start", "remove_container"]
    assert fake.calls[-1][2] is True


def test_a_new_instance_that_starts_and_exits_is_kept_for_its_logs():
    fake = FakeDocker(crashing=[["false"]])
    with pytest.raises(ContainerError):
        converge(fake, CRASHING)
    assert list(fake.summary().values())[0][1] == "exited"


def test_a_drifted_container_is_replaced_with_its_anonymous_volumes():
    fake = FakeDocker()
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    result = converge(fake, CHANGED)
    new = fake.id_of("web1")
    assert result["actions"] == replaced()
    assert result["reasons"] == ["env.MSG changed"]
    assert result["kept"] == ["/data"] and result["rolled_back"] is None and result["changed"]
    assert result["container"]["id"] == new != old and result["container"]["state"] == "running"
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.inspect_container(new)["HostConfig"]["Binds"] == ["%s:/data" % data]
    assert volume_at(fake, new, "/data") == data
    assert fake.calls == [
        ("stop", old),
        ("rename", old, PREVIOUS),
        ("create_container", "web1"),
        ("start", new),
        ("remove_container", old, False),
    ]
    assert fake.volumes == {data}


def test_a_replaced_container_matches_the_file():
    fake = FakeDocker()
    made(fake, OLD)
    converge(fake, CHANGED)
    del fake.calls[:]
    assert converge(fake, CHANGED)["actions"] == []  # its listing says so (the digest)
    assert differences(CHANGED, fake.inspect_container("web1"), PLAIN_IMAGE) == []  # so does its inspect
    assert converge(fake, CHANGED, "restarted")["actions"] == ["stopped", "started"]


def test_the_images_volumes_are_carried_too():
    fake = FakeDocker(images={"acme/web:latest": IMAGE})
    old = made(fake, OLD)
    volumes = {path: volume_at(fake, old, path) for path in ("/data", "/var/lib/data")}
    result = converge(fake, CHANGED)
    new = fake.id_of("web1")
    assert result["actions"][2] == "created (with the volumes at /data, /var/lib/data)"
    assert result["kept"] == ["/data", "/var/lib/data"]
    assert sorted(fake.inspect_container(new)["HostConfig"]["Binds"]) == sorted(
        "%s:%s" % (name, path) for path, name in volumes.items()
    )
    assert fake.volumes == set(volumes.values())


def test_a_volume_at_a_path_the_file_dropped_is_left_unattached():
    fake = FakeDocker()
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    result = converge(fake, minimal_spec(env={"MSG": "one"}))
    new = fake.id_of("web1")
    assert result["actions"] == [
        "stopped",
        "kept aside as %s (container_volumes changed)" % PREVIOUS,
        "created",
        "started",
        "removed the previous container",
    ]
    assert result["kept"] == []
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.inspect_container(new)["Mounts"] == [] and fake.volumes == {data}


def test_a_new_container_that_does_not_run_is_rolled_back():
    fake = FakeDocker(crashing=[["false"]])
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    with pytest.raises(ContainerError) as info:
        converge(fake, CRASHING)
    new = fake.id_of(FAILED)
    assert str(info.value) == (
        "web1: container is not running after start (exit code 1); last 20 log lines:\nstarting\nboom; "
        "rolled back to its previous container %s (the new one is kept stopped as %s)" % (old[:12], FAILED)
    )
    assert info.value.result["actions"] == rolled_back(old)
    assert info.value.result["rolled_back"] == old
    assert fake.summary() == {"web1": (old, "running"), FAILED: (new, "exited")}
    assert volume_at(fake, new, "/data") == volume_at(fake, old, "/data") == data
    assert fake.calls == [
        ("stop", old),
        ("rename", old, PREVIOUS),
        ("create_container", "web1"),
        ("start", new),
        ("rename", new, FAILED),
        ("rename", old, "web1"),
        ("start", old),
    ]


def test_a_new_container_the_daemon_refuses_to_start_is_rolled_back():
    fake = FakeDocker(refused=[["false"]])
    old = made(fake, OLD)
    with pytest.raises(ContainerError) as info:
        converge(fake, CRASHING)
    assert "rolled back to its previous container %s" % old[:12] in str(info.value)
    assert fake.summary()["web1"] == (old, "running")


def test_trying_the_bad_change_again_keeps_the_newest_evidence():
    fake, old, first = after_a_rolled_back_change()
    with pytest.raises(ContainerError) as info:
        converge(fake, CRASHING)
    second = fake.id_of(FAILED)
    actions = rolled_back(old)
    actions.insert(4, "removed the failed container of an earlier change")
    assert info.value.result["actions"] == actions
    assert second != first
    assert fake.summary() == {"web1": (old, "running"), FAILED: (second, "exited")}
    assert ("remove_container", first, False) in fake.calls


def test_the_file_put_back_removes_the_evidence():
    fake, old, failed = after_a_rolled_back_change()
    result = converge(fake, OLD)
    assert result["actions"] == ["removed the failed container of an earlier change"]
    assert fake.summary() == {"web1": (old, "running")}
    assert fake.calls == [("remove_container", failed, False)]


def test_a_change_that_succeeds_removes_the_evidence_of_an_earlier_one():
    fake, old, failed = after_a_rolled_back_change()
    result = converge(fake, CHANGED)
    new = fake.id_of("web1")
    assert result["actions"] == replaced() + ["removed the failed container of an earlier change"]
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.calls[-2:] == [("remove_container", old, False), ("remove_container", failed, False)]


def test_keep_previous_leaves_the_previous_container_aside_until_finish():
    fake = FakeDocker()
    old = made(fake, OLD)
    manager = ContainerManager(fake, CHANGED, keep_previous=True)
    result = manager.converge("started")
    new = fake.id_of("web1")
    assert result["actions"] == replaced()[:-1]
    assert fake.summary() == {"web1": (new, "running"), PREVIOUS: (old, "exited")}
    assert manager.finish()["actions"] == replaced()
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.calls[-1] == ("remove_container", old, False)


def test_revert_gives_the_previous_container_its_name_back():
    fake = FakeDocker()
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    manager = ContainerManager(fake, CHANGED, keep_previous=True)
    manager.converge("started")
    new = fake.id_of("web1")
    del fake.calls[:]
    result = manager.revert("web2 failed")
    assert result["actions"] == replaced()[:-1] + [
        "stopped",
        "removed (the new container: web2 failed)",
        "restored %s" % old[:12],
        "started",
    ]
    assert result["rolled_back"] == old
    assert fake.summary() == {"web1": (old, "running")}
    assert fake.calls == [("stop", new), ("remove_container", new, False), ("rename", old, "web1"), ("start", old)]
    assert fake.volumes == {data}


def test_revert_without_a_previous_container_fails():
    fake = FakeDocker()
    made(fake, OLD)
    manager = ContainerManager(fake, CHANGED)
    manager.converge("started")
    with pytest.raises(ContainerError) as info:
        manager.revert("web2 failed")
    assert str(info.value) == "web1: nothing to revert to"


# -- a run that finds a container kept aside


def interrupted(fake, spec, new_spec=None, start=True):
    """The old container of ``spec`` kept aside as a crash leaves it; with ``new_spec``, the new one
    (with the old one's volume) as NAME. (old id, new id or None)"""
    old = made(fake, spec)
    fake.stop(old)
    fake.rename(old, PREVIOUS)
    new = None
    if new_spec is not None:
        desired = desired_config(new_spec)
        desired["create"]["labels"][LABEL_DIGEST] = config_digest(desired, new_spec)
        desired["host_config"]["binds"].append("%s:/data" % volume_at(fake, old, "/data"))
        new = fake.create_container(host_config=fake.create_host_config(**desired["host_config"]), **desired["create"])[
            "Id"
        ]
        if start:
            fake.start(new)
    del fake.calls[:]
    return old, new


def test_a_previous_container_without_its_instance_gets_its_name_back():
    fake = FakeDocker()
    old, dummy = interrupted(fake, OLD)
    result = converge(fake, OLD)
    assert result["actions"] == ["restored %s" % old[:12], "started"]
    assert fake.summary() == {"web1": (old, "running")}
    assert fake.calls == [("rename", old, "web1"), ("start", old)]


def test_a_previous_container_that_drifted_gets_its_name_back_then_is_replaced():
    fake = FakeDocker()
    old, dummy = interrupted(fake, OLD)
    data = volume_at(fake, PREVIOUS, "/data")
    result = converge(fake, CHANGED)
    new = fake.id_of("web1")
    assert result["actions"] == ["restored %s" % old[:12]] + replaced()[1:]
    assert fake.summary() == {"web1": (new, "running")}
    assert volume_at(fake, new, "/data") == data


@pytest.mark.parametrize("start", [True, False], ids=["running", "created"])
def test_a_new_container_that_matches_the_file_is_kept_and_the_previous_one_goes(start):
    fake = FakeDocker()
    old, new = interrupted(fake, OLD, CHANGED, start=start)
    result = converge(fake, CHANGED)
    assert result["actions"] == ([] if start else ["started"]) + ["removed the previous container"]
    assert fake.summary() == {"web1": (new, "running")}
    assert fake.calls[-1] == ("remove_container", old, False)


def test_a_new_container_that_does_not_match_the_file_goes_and_the_previous_one_comes_back():
    fake = FakeDocker()
    old, new = interrupted(fake, OLD, CHANGED)
    result = converge(fake, OLD)
    assert result["actions"] == [
        "stopped",
        "removed (an unfinished replacement's)",
        "restored %s" % old[:12],
        "started",
    ]
    assert fake.summary() == {"web1": (old, "running")}
    assert fake.calls == [("stop", new), ("remove_container", new, False), ("rename", old, "web1"), ("start", old)]


def test_an_unfinished_new_container_that_does_not_run_is_rolled_back():
    fake = FakeDocker(crashing=[["false"]])
    old, new = interrupted(fake, OLD, CRASHING, start=False)
    with pytest.raises(ContainerError) as info:
        converge(fake, CRASHING)
    assert info.value.result["actions"] == [
        "started",
        "kept aside as %s (as evidence)" % FAILED,
        "restored %s" % old[:12],
        "started",
    ]
    assert "rolled back to its previous container %s" % old[:12] in str(info.value)
    assert fake.summary() == {"web1": (old, "running"), FAILED: (new, "exited")}


def test_stopping_an_unproven_new_container_keeps_the_previous_one():
    fake = FakeDocker()
    old, dummy = interrupted(fake, OLD, CHANGED, start=False)
    converge(fake, CHANGED, "stopped")
    assert old in {found for found, dummy in fake.summary().values()}


def test_a_previous_container_is_restored_in_check_mode_only_in_words():
    fake = FakeDocker()
    old, dummy = interrupted(fake, OLD)
    result = converge(fake, CHANGED, check_mode=True)
    assert result["actions"] == ["would restore %s" % old[:12]]
    assert fake.calls == [] and fake.summary() == {PREVIOUS: (old, "exited")}


# -- only what is ours


@pytest.mark.parametrize("state", ["started", "restarted", "stopped", "killed", "absent"])
def test_a_container_without_the_labels_is_refused_before_any_change(state):
    fake = FakeDocker()
    stranger = made(fake, OLD, labels={"made.by": "hand"})
    with pytest.raises(ContainerError) as info:
        converge(fake, OLD, state)
    assert str(info.value) == REFUSAL
    assert info.value.result["actions"] == []
    assert fake.calls == [] and fake.summary() == {"web1": (stranger, "running")}


def test_another_environments_container_is_refused():
    fake = FakeDocker()
    made(fake, minimal_spec(container_volumes=["/data"], env={"MSG": "one"}, environment="staging"))
    with pytest.raises(ContainerError) as info:
        converge(fake, OLD)
    assert str(info.value) == REFUSAL.replace(
        "no maestro.ng environment: it has none of its labels (made by hand, by MaestroNG or another tool)",
        "maestro.ng environment 'staging' (instance 'web1')",
    )
    assert fake.calls == []


def test_a_container_kept_aside_by_another_environment_is_not_resumed():
    fake = FakeDocker()
    other = made(fake, minimal_spec(environment="staging"), start=False)
    fake.rename(other, PREVIOUS)
    del fake.calls[:]
    result = converge(fake, OLD)
    assert result["actions"] == ["created", "started"]
    assert fake.summary() == {PREVIOUS: (other, "created"), "web1": (fake.id_of("web1"), "running")}


def test_adopt_replaces_a_container_without_the_labels_keeping_its_volumes():
    fake = FakeDocker()
    stranger = made(fake, OLD, labels={"made.by": "hand"})
    data = volume_at(fake, stranger, "/data")
    result = converge(fake, OLD, adopt=True)
    new = fake.id_of("web1")
    reasons = [
        "labels.made.by removed",
        "labels.maestro.ng.environment added",
        "labels.maestro.ng.instance added",
        "labels.maestro.ng.service added",
        "labels.maestro.ng.ship added",
    ]
    assert result["reasons"] == reasons
    assert result["actions"] == replaced("; ".join(reasons))
    assert fake.summary() == {"web1": (new, "running")}
    assert volume_at(fake, new, "/data") == data
    assert fake.inspect_container(new)["Config"]["Labels"]["maestro.ng.environment"] == "prod"
    assert converge(fake, OLD)["actions"] == []


# -- absent


def test_absent_removes_the_container_and_its_carried_volumes():
    fake = FakeDocker()
    made(fake, OLD)
    converge(fake, CHANGED)
    new = fake.id_of("web1")
    data = volume_at(fake, new, "/data")
    del fake.calls[:]
    result = converge(fake, CHANGED, "absent")
    assert result["actions"] == ["stopped", "removed"]
    assert fake.calls == [("stop", new), ("remove_container", new, True), ("remove_volume", data)]
    assert fake.summary() == {} and fake.volumes == set()


def test_absent_removes_the_evidence_of_a_rolled_back_change_too():
    fake, old, failed = after_a_rolled_back_change()
    data = volume_at(fake, old, "/data")
    result = converge(fake, OLD, "absent")
    assert result["actions"] == ["stopped", "removed the failed container of an earlier change", "removed"]
    assert fake.calls == [
        ("stop", old),
        ("remove_container", failed, True),
        ("remove_volume", data),  # still in use by the instance's own: it stays, for now
        ("remove_container", old, True),
        ("remove_volume", data),  # the daemon removed it with its container
    ]
    assert fake.summary() == {} and fake.volumes == set()


def test_absent_removes_a_previous_container_kept_aside():
    fake = FakeDocker()
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    ContainerManager(fake, CHANGED, keep_previous=True).converge("started")
    new = fake.id_of("web1")
    del fake.calls[:]
    result = converge(fake, CHANGED, "absent")
    # Not proven by a start-like command, the new one goes first (its volume stays: the previous one
    # has it); the previous one, the last known to work, is the instance's again; then it is removed.
    assert result["actions"] == [
        "stopped",
        "removed (an unfinished replacement's)",
        "restored %s" % old[:12],
        "removed",
    ]
    assert fake.calls == [
        ("stop", new),
        ("remove_container", new, False),
        ("rename", old, "web1"),
        ("remove_container", old, True),
        ("remove_volume", data),
    ]
    assert fake.summary() == {} and fake.volumes == set()


def test_absent_in_check_mode_changes_nothing():
    fake = FakeDocker()
    old = made(fake, OLD)
    result = converge(fake, OLD, "absent", check_mode=True)
    assert result["actions"] == ["would stop", "would remove"]
    assert fake.calls == [] and fake.summary() == {"web1": (old, "running")}


# -- check mode


def test_check_mode_tells_the_replacement_and_changes_nothing():
    fake = FakeDocker()
    old = made(fake, OLD)
    data = volume_at(fake, old, "/data")
    result = converge(fake, CHANGED, check_mode=True)
    assert result["actions"] == [
        "would stop",
        "would keep aside as %s (env.MSG changed)" % PREVIOUS,
        "would create (with the volumes at /data)",
        "would start",
        "would remove the previous container",
    ]
    assert result["kept"] == ["/data"] and result["reasons"] == ["env.MSG changed"]
    assert fake.calls == []
    assert fake.summary() == {"web1": (old, "running")} and fake.volumes == {data}


# ------------------------------------------------------------------ oneshot: run to completion

MIGRATE = minimal_spec(container_volumes=["/data"], command="migrate", oneshot=60.0)
MIGRATE_V2 = minimal_spec(container_volumes=["/data"], command="migrate", env={"V": "2"}, oneshot=60.0)
BROKEN = minimal_spec(container_volumes=["/data"], command="false", oneshot=60.0)


def test_a_oneshot_runs_to_completion_and_is_not_run_again_by_start():
    fake = FakeDocker(completing=[["migrate"]])
    result = converge(fake, MIGRATE)
    assert result["actions"] == ["created", "started"] and result["container"]["state"] == "exited"
    del fake.calls[:]
    assert converge(fake, MIGRATE)["actions"] == [] and fake.calls == []
    assert converge(fake, MIGRATE, state="restarted")["actions"] == ["started"]  # restart runs it again


def test_a_failing_oneshot_fails_with_its_exit_code_and_runs_again_next_time():
    fake = FakeDocker(crashing=[["false"]])
    with pytest.raises(ContainerError, match=r"web1: the oneshot failed \(exit code 1\)"):
        converge(fake, BROKEN)
    assert list(fake.summary().values())[0][1] == "exited"  # kept, for its logs
    with pytest.raises(ContainerError):
        converge(fake, BROKEN)
    assert [call[0] for call in fake.calls].count("start") == 2


def test_a_changed_oneshot_runs_its_new_container_and_the_previous_one_goes():
    fake = FakeDocker(completing=[["migrate"]])
    old = made(fake, MIGRATE)
    fake.by_id[old]["State"].update(Running=False, Status="exited", ExitCode=0)
    result = converge(fake, MIGRATE_V2)
    assert result["reasons"] == ["env.V added"]
    assert [name for name, (cid, state) in fake.summary().items()] == ["web1"]
    assert fake.summary()["web1"][1] == "exited" and fake.id_of("web1") != old


def test_a_changed_oneshot_that_fails_gets_its_previous_container_back_without_running_it():
    fake = FakeDocker(crashing=[["false"]])
    old = made(fake, MIGRATE)
    fake.by_id[old]["State"].update(Running=False, Status="exited", ExitCode=0)
    with pytest.raises(ContainerError, match="rolled back to its previous container"):
        converge(fake, BROKEN)
    assert fake.summary()["web1"] == (old, "exited")
    assert ("start", old) not in fake.calls


def test_a_listing_shows_a_done_oneshot_as_needing_nothing():
    entry = {"Id": "c1", "State": "exited", "Status": "Exited (0) 3 minutes ago", "Labels": {}}
    assert completed(entry) and not completed(dict(entry, Status="Exited (1) 3 minutes ago"))
    assert not completed(dict(entry, State="created", Status="Created"))
