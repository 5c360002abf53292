# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container on one ship to an instance spec.

``desired_config`` turns an instance spec into Docker create arguments, ``compare`` tells
why an existing container differs from it, and ``ContainerManager`` drives the low-level
Docker API (and the lifecycle checks) to reach a state.
"""

from __future__ import annotations

import calendar
import collections
import hashlib
import json
import shlex
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..command_specs import CONTAINER_STATES
from ..defaults import DEFAULT_STOP_TIMEOUT
from . import registries
from .client import TRANSPORT_ERRORS, APIError, DockerException, NotFound, connection_errors
from .lifecycle import run_checks as _run_checks

if TYPE_CHECKING:
    from docker import APIClient

LABEL_ENVIRONMENT = "maestro.ng.environment"
LABEL_SERVICE = "maestro.ng.service"
LABEL_INSTANCE = "maestro.ng.instance"
LABEL_SHIP = "maestro.ng.ship"
# A digest of the settings a container was created with (config_digest): a container listing
# then tells, without an inspect per container, that it still matches the file.
LABEL_DIGEST = "maestro.ng.digest"

LOG_TAIL = 20
# Seconds a started container without running checks must keep running before the start
# counts as done: 0 (MaestroNG's behaviour, and docker compose's) inspects it once, right
# after the start. The daemon takes 0.1-0.3 s to notice a command that exits at once
# (measured), so a start_grace of about 0.5 s is what catches those.
START_GRACE = 0

Difference = collections.namedtuple("Difference", "setting before after reason")
# converge(listed=...) default: nothing is known of the container yet, inspect it.
NOT_LISTED = object()
# The states of a container listing (GET /containers/json) in which inspect says Running.
_LISTED_RUNNING = ("running", "paused", "restarting")
# Another run (another controller, or a user) changing the same container at the same time:
# what Docker then answers, and what it means. The manager reads the container again and
# converges from what is really there, up to RACE_ATTEMPTS times.
RACE_STOPPED = "another run stopped it meanwhile"
RACES = (
    (404, "no such container", "another run removed it meanwhile"),
    (409, "already in use", "another run created it at the same time"),
    (409, "already in progress", "another run is removing it"),
    (409, "marked for removal", "another run is removing it"),
    (409, "is not running", RACE_STOPPED),
    (409, "cannot remove a running container", "another run started it meanwhile"),
)
RACE_ATTEMPTS = 4
RACE_WAIT = 0.2


class ContainerError(Exception):
    """A failure to converge a container; ``result`` holds what was done until then."""

    def __init__(self, message: str, result: Optional[dict] = None):
        super().__init__(message)
        self.result = result or {}


def _api_error_text(exc):
    explanation = getattr(exc, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return (explanation or str(exc)).strip()


# ---------------------------------------------------------------------------------------
# Desired configuration


def _command(spec):
    command = spec.get("command")
    if command is None:
        return None
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command]


def _port_numbers(text):
    first, _sep, last = str(text).partition("-")
    return list(range(int(first), int(last or first) + 1))


def _port_bindings(spec):
    """{"80/tcp": [{"HostIp": ..., "HostPort": ...}, ...]} from the spec's ports."""
    bindings = {}
    for port in spec.get("ports") or []:
        protocol = port.get("protocol") or "tcp"
        host_ip = port.get("host_ip") or "0.0.0.0"
        exposed = _port_numbers(port["exposed"])
        external = _port_numbers(port["external"])
        if len(exposed) == 1 and len(external) > 1:
            # Docker picks a free host port within the range.
            pairs = [(exposed[0], "%d-%d" % (external[0], external[-1]))]
        elif len(exposed) == len(external):
            pairs = zip(exposed, external)
        else:
            raise ContainerError(
                "%s: port %s: %s and %s are ranges of different sizes"
                % (spec["name"], port.get("name"), port["exposed"], port["external"])
            )
        for container_port, host_port in pairs:
            bindings.setdefault("%d/%s" % (container_port, protocol), []).append(
                {"HostIp": host_ip, "HostPort": str(host_port)}
            )
    return bindings


def _binds(spec):
    return ["%s:%s:%s" % (v["source"], v["target"], v.get("mode") or "rw") for v in spec.get("volumes") or []]


def _labels(spec):
    labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
    labels.update(
        {
            LABEL_ENVIRONMENT: spec.get("environment") or "",
            LABEL_SERVICE: spec.get("service") or "",
            LABEL_INSTANCE: spec["name"],
            LABEL_SHIP: spec.get("ship") or "",
        }
    )
    return labels


def _restart_policy(spec):
    restart = spec.get("restart") or {}
    name = restart.get("name") or "no"
    # Docker rejects a retry count with any other policy than on-failure.
    retries = int(restart.get("maximum_retry_count") or 0) if name == "on-failure" else 0
    return {"Name": name, "MaximumRetryCount": retries}


def _stop_timeout(spec):
    timeout = spec.get("stop_timeout")
    return DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)


def _published(spec, bindings):
    """(port bindings, exposed ports) Docker takes in the spec's network mode.

    A container on the ship's own network (``host``) or on another container's
    (``container:NAME``) has no ports of its own to publish: the docker SDK refuses
    bindings with ``host`` and the daemon refuses both with ``container:``. MaestroNG
    files declare ports there anyway, for the link variables and lifecycle checks.
    """
    mode = spec.get("network_mode") or ""
    exposed = {key: {} for key in bindings}
    if mode == "host":
        return {}, exposed
    if mode.startswith("container:"):
        return {}, {}
    return bindings, exposed


def desired_config(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments to create the container of ``spec``.

    Returns {"create": kwargs for APIClient.create_container (without host_config),
    "host_config": kwargs for APIClient.create_host_config}; both JSON-able.
    """
    bindings, exposed = _published(spec, _port_bindings(spec))
    limits = spec.get("limits") or {}
    host_config = {
        "binds": _binds(spec),
        "port_bindings": bindings,
        "volumes_from": list(spec.get("volumes_from") or []),
        "links": dict(spec.get("links") or {}),
        "privileged": bool(spec.get("privileged")),
        "cap_add": list(spec.get("cap_add") or []),
        "cap_drop": list(spec.get("cap_drop") or []),
        "security_opt": list(spec.get("security_opt") or []),
        "extra_hosts": dict(spec.get("extra_hosts") or {}),
        "network_mode": spec.get("network_mode"),
        "restart_policy": _restart_policy(spec),
        "dns": list(spec.get("dns") or []),
        "ulimits": [
            {"Name": u["name"], "Soft": int(u["soft"]), "Hard": int(u["hard"])} for u in spec.get("ulimits") or []
        ],
    }
    for key, option in (("cpu_shares", "cpu_shares"), ("memory", "mem_limit"), ("memswap", "memswap_limit")):
        if limits.get(key) is not None:
            host_config[option] = int(limits[key])
    if spec.get("log_driver") or spec.get("log_opt"):
        host_config["log_config"] = {
            "Type": spec.get("log_driver"),
            "Config": {str(k): str(v) for k, v in (spec.get("log_opt") or {}).items()},
        }
    create = {
        "image": spec["image"],
        "name": spec["name"],
        "command": _command(spec),
        "hostname": spec.get("hostname"),
        "user": spec.get("user"),
        "environment": {str(k): str(v) for k, v in (spec.get("env") or {}).items()},
        "ports": exposed,
        "volumes": list(spec.get("container_volumes") or []),
        "labels": _labels(spec),
        "working_dir": spec.get("workdir"),
        "stop_timeout": _stop_timeout(spec),
        "detach": True,
    }
    return {"create": create, "host_config": host_config}


def config_digest(desired: Mapping[str, Any]) -> str:
    """A short fingerprint of a desired_config()."""
    text = json.dumps(desired, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def listed_current(spec: Mapping[str, Any], entry: Mapping[str, Any], image: Optional[Mapping[str, Any]]) -> bool:
    """True when a container listing ``entry`` shows a container created from exactly ``spec``'s
    settings (its digest label) with ``image`` (the spec's image on the ship now): no drift, known
    without an inspect. Containers that name others (links, volumes_from, a container: network) are
    always inspected: those names become container ids at create."""
    if (
        entry is None
        or image is None
        or spec.get("links")
        or spec.get("volumes_from")
        or (spec.get("network_mode") or "").startswith("container:")
    ):
        return False
    return (entry.get("Labels") or {}).get(LABEL_DIGEST) == config_digest(desired_config(spec)) and entry.get(
        "ImageID"
    ) == image["Id"]


# ---------------------------------------------------------------------------------------
# Drift


def _env_map(entries):
    result = {}
    for entry in entries or []:
        key, _sep, value = entry.partition("=")
        result[key] = value
    return result


def _short_id(image_id):
    algo, _sep, digest = (image_id or "").rpartition(":")
    return "%s:%s" % (algo or "sha256", digest[:12]) if digest else "none"


def _mode_flags(mode):
    flags = set(filter(None, (mode or "").split(",")))
    if not flags & {"ro", "rw"}:
        flags.add("rw")
    return flags


def _bind_set(binds):
    result = set()
    for bind in binds or []:
        source, target, mode = (bind.split(":") + [""])[:3]
        result.add((source, target, ",".join(sorted(_mode_flags(mode)))))
    return result


def _binding_set(bindings):
    return {
        (key, b.get("HostIp") or "0.0.0.0", str(b.get("HostPort") or ""))
        for key, values in (bindings or {}).items()
        for b in values or []
    }


def _links_set(links):
    """Docker reports {"db": "alias"} as "/db:/<self>/alias"."""
    result = set()
    for link in links or []:
        source, _sep, target = link.partition(":")
        result.add((source.lstrip("/"), target.rpartition("/")[2]))
    return result


def _caps(caps):
    return sorted({c.upper()[4:] if c.upper().startswith("CAP_") else c.upper() for c in caps or []})


def _network_mode(mode):
    return "bridge" if mode in (None, "", "default") else mode


def _restart_tuple(policy):
    name = (policy or {}).get("Name") or "no"
    return {
        "name": name,
        "maximum_retry_count": (policy or {}).get("MaximumRetryCount") or 0 if name == "on-failure" else 0,
    }


def _memswap_matches(expected, actual, memory):
    if expected is not None:
        # -1: the daemon cannot limit swap here and dropped the setting.
        return actual in (expected, -1)
    # Unset: Docker stores 0, or twice the memory limit when one is set.
    return actual in (0, None) or (memory and actual == 2 * memory)


class _Differences(list):
    """The Difference records of one comparison, as its checks find them."""

    def check(self, setting, before, after):
        if before != after:
            self.append(Difference(setting, before, after, "%s changed" % setting))

    def check_map(self, prefix, before, after):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                verb = "added" if key not in before else "removed" if key not in after else "changed"
                self.append(
                    Difference(
                        "%s.%s" % (prefix, key), before.get(key), after.get(key), "%s.%s %s" % (prefix, key, verb)
                    )
                )


def differences(spec: Mapping[str, Any], container: Mapping[str, Any], image: Optional[Mapping[str, Any]]) -> list:
    """The settings in which ``container`` (an inspect) differs from ``spec``.

    ``image`` is the inspect of the spec's image on the same ship (None if missing).
    Returns a list of Difference(setting, before, after, reason).
    """
    desired = desired_config(spec)
    diffs = _Differences()
    if image is None:
        diffs.append(
            Difference(
                "image", container.get("Image"), spec["image"], "image %s not present on the ship" % spec["image"]
            )
        )
    elif container.get("Image") != image["Id"]:
        diffs.append(
            Difference(
                "image",
                container.get("Image"),
                image["Id"],
                "image changed (%s -> %s)" % (_short_id(container.get("Image")), _short_id(image["Id"])),
            )
        )
    _config_differences(diffs, container, image, desired)
    _host_differences(diffs, container.get("HostConfig") or {}, desired["host_config"])
    _log_differences(diffs, container.get("HostConfig") or {}, desired["host_config"])
    diffs.check("stop_timeout", (container.get("Config") or {}).get("StopTimeout"), desired["create"]["stop_timeout"])
    return list(diffs)


def _config_differences(diffs, container, image, desired):
    """What the daemon fills in from the image at create: env, labels, command, user,
    working dir, anonymous volumes (and the hostname)."""
    config = container.get("Config") or {}
    image_config = (image or {}).get("Config") or {}
    create, host_config = desired["create"], desired["host_config"]
    # After an image change (a reason to recreate already) they came from the old image, so
    # then only what the spec sets itself is compared.
    same_image = image is not None and container.get("Image") == image["Id"]

    def merged(actual, from_image, wanted):
        if same_image:
            return actual, dict(from_image, **wanted)
        return {key: actual[key] for key in wanted if key in actual}, wanted

    diffs.check_map(
        "env", *merged(_env_map(config.get("Env")), _env_map(image_config.get("Env")), create["environment"])
    )
    labels = {key: value for key, value in (config.get("Labels") or {}).items() if key != LABEL_DIGEST}
    diffs.check_map("labels", *merged(labels, image_config.get("Labels") or {}, create["labels"]))
    if create["command"] is not None:
        diffs.check("command", config.get("Cmd"), create["command"])
    elif same_image:
        diffs.check("command", config.get("Cmd"), image_config.get("Cmd"))
    if same_image or create["user"]:
        diffs.check("user", config.get("User") or "", create["user"] or image_config.get("User") or "")
    if same_image or create["working_dir"]:
        diffs.check(
            "workdir", config.get("WorkingDir") or "", create["working_dir"] or image_config.get("WorkingDir") or ""
        )
    bind_targets = {target for _source, target, _mode in _bind_set(host_config["binds"])}
    volumes = dict.fromkeys(set(config.get("Volumes") or {}) - bind_targets, True)
    image_volumes = dict.fromkeys(image_config.get("Volumes") or {}, True)
    before, after = merged(volumes, image_volumes, dict.fromkeys(create["volumes"], True))
    diffs.check("container_volumes", sorted(before), sorted(set(after) - bind_targets))
    # Without an explicit hostname Docker makes one up (container id, or the host's).
    if create["hostname"]:
        diffs.check("hostname", config.get("Hostname"), create["hostname"])


def _host_differences(diffs, host, wanted):
    """The host config: ports, mounts, links, privileges, network, restart, dns, limits."""
    check = diffs.check
    check("ports", sorted(_binding_set(host.get("PortBindings"))), sorted(_binding_set(wanted["port_bindings"])))
    check("volumes", sorted(_bind_set(host.get("Binds"))), sorted(_bind_set(wanted["binds"])))
    check("volumes_from", sorted(host.get("VolumesFrom") or []), sorted(wanted["volumes_from"]))
    check(
        "links",
        sorted(_links_set(host.get("Links"))),
        sorted((name, alias or name) for name, alias in wanted["links"].items()),
    )
    check("privileged", bool(host.get("Privileged")), wanted["privileged"])
    check("cap_add", _caps(host.get("CapAdd")), _caps(wanted["cap_add"]))
    check("cap_drop", _caps(host.get("CapDrop")), _caps(wanted["cap_drop"]))
    check("security_opt", sorted(host.get("SecurityOpt") or []), sorted(wanted["security_opt"]))
    check(
        "extra_hosts",
        sorted(host.get("ExtraHosts") or []),
        sorted("%s:%s" % item for item in wanted["extra_hosts"].items()),
    )
    check("network_mode", _network_mode(host.get("NetworkMode")), _network_mode(wanted["network_mode"]))
    check("restart", _restart_tuple(host.get("RestartPolicy")), _restart_tuple(wanted["restart_policy"]))
    check("dns", host.get("Dns") or [], wanted["dns"])
    check("limits.cpu_shares", host.get("CpuShares") or 0, wanted.get("cpu_shares") or 0)
    check("limits.memory", host.get("Memory") or 0, wanted.get("mem_limit") or 0)
    if not _memswap_matches(wanted.get("memswap_limit"), host.get("MemorySwap"), host.get("Memory")):
        check("limits.memswap", host.get("MemorySwap"), wanted.get("memswap_limit"))
    check(
        "ulimits",
        sorted((u["Name"], u["Soft"], u["Hard"]) for u in host.get("Ulimits") or []),
        sorted((u["Name"], u["Soft"], u["Hard"]) for u in wanted["ulimits"]),
    )


def _log_differences(diffs, host, wanted):
    log_config = host.get("LogConfig") or {}
    wanted_log = wanted.get("log_config") or {}
    # No driver given: whatever the daemon's default is (json-file usually) is fine.
    if wanted_log.get("Type"):
        diffs.check("log_driver", log_config.get("Type"), wanted_log["Type"])
    # The daemon adds its default log options, so only the ones we ask for are compared.
    actual_opts = log_config.get("Config") or {}
    wanted_opts = wanted_log.get("Config") or {}
    diffs.check_map("log_opt", {k: actual_opts[k] for k in wanted_opts if k in actual_opts}, wanted_opts)


def compare(spec: Mapping[str, Any], container: Mapping[str, Any], image: Optional[Mapping[str, Any]]) -> list[str]:
    """Human reasons why ``container`` differs from ``spec`` (empty list = up to date)."""
    return [d.reason for d in differences(spec, container, image)]


# ---------------------------------------------------------------------------------------
# Convergence

# What each recorded action is called in check mode.
_WOULD = {
    "pulled image": "would pull image",
    "created": "would create",
    "started": "would start",
    "stopped": "would stop",
    "killed": "would kill",
    "removed": "would remove",
}


def race_of(exc: Exception) -> Optional[str]:
    """What another run did, when Docker error ``exc`` says the container changed under us
    (None: a real error)."""
    if not isinstance(exc, APIError):
        return None
    status, text = getattr(exc, "status_code", None), _api_error_text(exc).lower()
    return next((what for code, words, what in RACES if status == code and words in text), None)


def _listed_container(entry):
    """The part of an inspect a container listing entry gives (None: no container)."""
    if entry is None:
        return None
    status = entry.get("State")
    return {
        "Id": entry["Id"],
        "Image": entry.get("ImageID"),
        "State": {"Running": status in _LISTED_RUNNING, "Status": status},
    }


def state_of(inspect: Optional[Mapping[str, Any]]) -> str:
    """'absent', 'running', or Docker's status of a stopped container ('exited', 'created', ...)."""
    if inspect is None:
        return "absent"
    state = inspect["State"]
    return "running" if state.get("Running") else state.get("Status") or "exited"


class ContainerManager:
    """Brings the container of one instance spec to a state on its ship.

    Only the low-level APIClient is used; in check mode no mutating call is made.
    """

    def __init__(
        self,
        client: APIClient,
        spec: Mapping[str, Any],
        check_mode: bool = False,
        start_grace: Optional[float] = START_GRACE,
        image_cache: Optional[dict] = None,
        registries: Optional[Mapping[str, dict]] = None,
    ):
        self.client = client
        self.spec = spec
        self.check_mode = check_mode
        # The environment's registries (the model's form): the retry policy of a pull.
        self.registries = registries
        # Seconds a container without running checks must survive after its start (0: one
        # inspect right after it); None leaves that check to the caller (the orchestrator
        # checks a whole level at once).
        self.start_grace = start_grace
        # {image: inspect or None} shared by the managers of one ship and run: one image
        # inspect per image instead of one per container.
        self.image_cache = image_cache
        self.name = spec["name"]
        self.ship = spec.get("ship") or "local"
        # The latest inspect (None when absent or only "would create").
        self.container: Optional[dict[str, Any]] = None
        self.image: Optional[dict[str, Any]] = None
        self.state: Optional[str] = None
        self.initial_state: Optional[str] = None
        self.drift: list[Difference] = []
        self.changed = False
        self.actions: list[str] = []
        self.raced: list[str] = []  # what another run did to this container while we converged it

    # -- public ---------------------------------------------------------------------

    def converge(
        self, state: str, refresh: bool = False, only_if_stopped: bool = False, listed: Any = NOT_LISTED
    ) -> dict[str, Any]:
        """Reach ``state``; return {changed, actions, reasons, container, diff}.

        refresh: pull the image first (started/restarted).
        only_if_stopped: with absent, leave a running container alone (MaestroNG's clean).
        listed: what a container listing just said of it (None: no container), which spares
        the inspect when that is all this state needs (all but an existing container to start).
        """
        if state not in CONTAINER_STATES:
            raise ContainerError("%s: unknown state %r" % (self.name, state))
        with self._errors():
            if (
                listed not in (None, NOT_LISTED)
                and state == "started"
                and not refresh
                and listed.get("State") == "running"
                and listed_current(self.spec, listed, self._inspect_image())
            ):
                # Running, and created from these very settings: nothing to do, no inspect.
                self.container = _listed_container(listed)
                self.state = self.initial_state = "running"
                return self.result()
            for attempt in range(1, RACE_ATTEMPTS + 1):
                if attempt > 1 or listed is NOT_LISTED or (listed is not None and state in ("started", "restarted")):
                    self.container = self._inspect_container()
                else:
                    self.container = _listed_container(listed)
                self.state = state_of(self.container)
                if attempt == 1:
                    self.initial_state = self.state
                try:
                    self._reach(state, refresh, only_if_stopped)
                    break
                except APIError as exc:
                    # Level-triggered: another run got there first; read the container
                    # again and converge from what is really there.
                    race = race_of(exc)
                    if race is None or self.check_mode or attempt == RACE_ATTEMPTS:
                        raise
                    self.raced.append(race)
                    time.sleep(RACE_WAIT * attempt)
        return self.result()

    def _reach(self, state, refresh, only_if_stopped):
        if state in ("started", "restarted"):
            self._converge_running(refresh, restart=state == "restarted")
        elif state in ("stopped", "killed") and self.state == "running":
            self._stop(kill=state == "killed")
        elif state == "absent" and self.state != "absent":
            if self.state == "running" and not only_if_stopped:
                self._stop()
            if self.state != "running":
                self._remove()

    def run_checks(self, state: str) -> None:
        """Run the spec's lifecycle checks of ``state``; raise ContainerError on failure."""
        checks = (self.spec.get("lifecycle") or {}).get(state) or []
        if not checks or self.check_mode:
            return
        with self._errors():
            if self.container is None:
                self.container = self._inspect_container()
            if self.container is None:
                raise ContainerError("%s: no container to run %s checks on" % (self.name, state))
            expect_running = {"running": True, "stopped": False}.get(state)
            failures = _run_checks(checks, self.spec, self.client, self.container["Id"], expect_running)
            if failures:
                message = "%s: %s checks failed: %s" % (self.name, state, "; ".join(failures))
                if state == "running":
                    self.container = self.client.inspect_container(self.container["Id"])
                    message += self._exit_details()
                raise ContainerError(message)

    def result(self) -> dict[str, Any]:
        """What has been done so far, in the shape converge() returns."""
        container: dict[str, Any] = self.container or {}
        before = {d.setting: d.before for d in self.drift}
        after = {d.setting: d.after for d in self.drift}
        if self.state != self.initial_state:
            before["state"], after["state"] = self.initial_state, self.state
        return {
            "changed": self.changed,
            "actions": list(self.actions),
            "reasons": [d.reason for d in self.drift],
            "raced": list(dict.fromkeys(self.raced)),
            "container": {
                "id": container.get("Id"),
                "name": self.name,
                "state": self.state,
                "image_id": None if self.state == "absent" else container.get("Image") or (self.image or {}).get("Id"),
                "started_at": (container.get("State") or {}).get("StartedAt"),
            },
            "diff": {"before": before, "after": after} if before or after else {},
        }

    # -- steps ------------------------------------------------------------------------

    @contextmanager
    def _errors(self):
        """Docker errors become a ContainerError carrying the result so far; lost
        connections become ShipUnreachable."""
        with connection_errors(self.ship, getattr(self.client, "docker_url", self.client.base_url)):
            try:
                yield
            except DockerException as exc:
                raise ContainerError("%s: %s" % (self.name, _api_error_text(exc)), self.result()) from exc
            except ContainerError as exc:
                exc.result = self.result()
                raise

    def _do(self, action, detail="", call=None, *args, **kwargs):
        """Make an action's API call, unless in check mode, and record it once done."""
        done = call(*args, **kwargs) if call is not None and not self.check_mode else None
        self.changed = True
        self.actions.append((_WOULD[action] if self.check_mode else action) + detail)
        return done

    def _inspect_container(self):
        try:
            return self.client.inspect_container(self.name)
        except NotFound:
            return None

    def _inspect_image(self, fresh=False):
        name = self.spec["image"]
        cache = self.image_cache if self.image_cache is not None else {}
        if fresh or name not in cache:
            try:
                cache[name] = self.client.inspect_image(name)
            except NotFound:
                cache[name] = None
        return cache[name]

    def _pull(self, missing):
        image = self.spec["image"]
        if not self.check_mode:
            try:
                # With the credentials and retry policy of the environment's registries, if any.
                retries = registries.pull(self.client, image, self.registries)
            except (DockerException, ContainerError) as exc:
                if missing:
                    what = "image %s not found on ship %s and pull failed" % (image, self.ship)
                else:
                    what = "pulling image %s on ship %s failed" % (image, self.ship)
                raise ContainerError("%s: %s: %s" % (self.name, what, _api_error_text(exc))) from exc
            self.image = self._inspect_image(fresh=True)
        self._do("pulled image", " (%s)" % "; ".join(retries) if not self.check_mode and retries else "")

    def _converge_running(self, refresh, restart):
        self.image = self._inspect_image()
        if refresh or self.image is None:
            self._pull(missing=self.image is None)
        if self.container is not None:
            self.drift = differences(self.spec, self.resolved_container(), self.image)
        if self.container is None:
            self._create()
        elif self.drift:
            if self.state == "running":
                self._stop()
            self._remove(" (%s)" % "; ".join(d.reason for d in self.drift))
            self._create()
        elif self.state == "running":
            if not restart:
                return
            self._stop()
        # No drift and not running: start the existing container. MaestroNG removes and
        # recreates it instead, but the same config gives the same container, faster.
        self._start()

    def resolved_container(self) -> Optional[dict[str, Any]]:
        """The inspect, with "container:<id>" network modes turned back into the name
        the spec uses when that name still points at the same container."""
        if self.container is None:
            return None
        mode = (self.container.get("HostConfig") or {}).get("NetworkMode") or ""
        wanted = self.spec.get("network_mode") or ""
        if not (mode.startswith("container:") and wanted.startswith("container:")) or mode == wanted:
            return self.container
        try:
            target = self.client.inspect_container(wanted.partition(":")[2])["Id"]
        except NotFound:
            return self.container
        if mode != "container:" + target:
            return self.container
        host_config = dict(self.container["HostConfig"], NetworkMode=wanted)
        return dict(self.container, HostConfig=host_config)

    def _create(self):
        desired = desired_config(self.spec)
        if self.check_mode:
            self._do("created")
        else:
            desired["create"]["labels"][LABEL_DIGEST] = config_digest(desired)
            host_config = self.client.create_host_config(**desired["host_config"])
            created = self._do(
                "created", "", self.client.create_container, host_config=host_config, **desired["create"]
            )
            self.container = {
                "Id": created["Id"],
                "Image": (self.image or {}).get("Id"),
                "State": {"Running": False, "Status": "created"},
            }
        self.state = "created"

    def _start(self):
        self.run_checks("pre-start")
        self._do("started", "", self.client.start, self._id())
        self.state = "running"
        if self.check_mode:
            return
        # The container must survive its running checks, or start_grace without any.
        if self.has_running_checks():
            self.run_checks("running")
        elif self.start_grace is None:
            return
        elif self.start_grace > 0:
            self._wait_for_early_exit()
        self.verify_running()

    def has_running_checks(self) -> bool:
        return bool((self.spec.get("lifecycle") or {}).get("running"))

    def verify_running(self) -> None:
        """Raise ContainerError, with the exit code and last log lines, unless it runs."""
        self.container = self.client.inspect_container(self._id())
        if not self.container["State"]["Running"]:
            self.state = state_of(self.container)
            raise ContainerError(
                "%s: container is not running after start%s" % (self.name, self._exit_details()), self.result()
            )

    def _wait_for_early_exit(self):
        try:
            self.client.wait(self._id(), timeout=self.start_grace, condition="not-running")
        except TRANSPORT_ERRORS as exc:
            # The read timeout means it is still running, which is what we hope for.
            if "timed out" not in str(exc).lower():
                raise

    def _stop(self, kill=False):
        if kill:
            self._do("killed", "", self.client.kill, self._id())
        else:
            self.run_checks("pre-stop")
            self._do("stopped", "", self.client.stop, self._id(), timeout=_stop_timeout(self.spec))
        self.state = "exited"
        self.run_checks("stopped")

    def _remove(self, detail=""):
        self._do("removed", detail, self.client.remove_container, self._id(), v=True)
        self.state = "absent"
        self.container = None

    def _id(self):
        return self.container["Id"] if self.container else None

    def _exit_details(self):
        """Exit code and last log lines of the (inspected) container if it stopped."""
        state = self.container["State"]
        if state.get("Running"):
            return ""
        other = ": %s" % RACE_STOPPED if self._stopped_through_api() else ""
        try:
            logs = self.client.logs(self._id(), tail=LOG_TAIL).decode("utf-8", "replace").rstrip()
        except DockerException as exc:  # e.g. removed meanwhile
            return "%s (exit code %s; no logs: %s)" % (other, state.get("ExitCode"), _api_error_text(exc))
        return "%s (exit code %s); last %d log lines:\n%s" % (other, state.get("ExitCode"), LOG_TAIL, logs)

    def _stopped_through_api(self):
        """True when a stop or kill through the Docker API (another run, or a user) ended the
        container since its last start, rather than its own command: the daemon's events say so."""
        started = (self.container["State"].get("StartedAt") or "")[:19]
        try:
            since = calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%S"))
            events = self.client.events(
                since=since,
                until=int(time.time()) + 1,
                decode=True,
                filters={"type": "container", "container": self._id(), "event": ["stop", "kill"]},
            )
            return any(True for _event in events)
        except (ValueError, DockerException):
            return False
