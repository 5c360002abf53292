# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why an existing container no longer matches its instance spec (drift), setting by setting,
with what the daemon fills in from the image and its own defaults not counted as differences."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..defaults import HIDDEN
from ..model.vault import secret_settings
from .client import short_id
from .desired import HEALTHCHECK_FIELDS, LABEL_DIGEST, config_digest, desired_config
from .volumes import is_carried

if TYPE_CHECKING:
    from ..records import InstanceSpec

    pass

Difference = collections.namedtuple("Difference", "setting before after reason")


def _env_map(entries):
    result = {}
    for entry in entries or []:
        key, _sep, value = entry.partition("=")
        result[key] = value
    return result


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
    """The Difference records of one comparison, as its checks find them. A secret setting
    (a vault value) is named, its values on either side hidden."""

    def __init__(self, secret=frozenset()):
        super().__init__()
        self.secret = secret  # dotted names of secret settings (vault.secret_settings)

    def append(self, difference):
        if difference.setting in self.secret:
            hidden_value = {None: None}
            difference = difference._replace(
                before=hidden_value.get(difference.before, HIDDEN), after=hidden_value.get(difference.after, HIDDEN)
            )
        super().append(difference)

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


def differences(
    spec: InstanceSpec, container: Mapping[str, Any], image: Optional[Mapping[str, Any]]
) -> list[Difference]:
    """The settings in which ``container`` (an inspect) differs from ``spec``.

    ``image`` is the inspect of the spec's image on the same ship (None if missing).
    Returns a list of Difference(setting, before, after, reason).
    """
    desired = desired_config(spec)
    diffs = _Differences(secret_settings(spec))
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
                "image changed (%s -> %s)" % (short_id(container.get("Image")), short_id(image["Id"])),
            )
        )
    _config_differences(diffs, container, image, desired)
    _host_differences(diffs, container.get("HostConfig") or {}, desired["host_config"], spec)
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
    # Only what the file's healthcheck sets: Docker fills in the rest from the image.
    wanted_check = create.get("healthcheck") or {}
    actual_check = config.get("Healthcheck") or {}
    for key, api_key in HEALTHCHECK_FIELDS.items():
        if key in wanted_check:
            diffs.check("healthcheck.%s" % key, actual_check.get(api_key), wanted_check[key])
    # Without an explicit hostname Docker makes one up (container id, or the host's).
    if create["hostname"]:
        diffs.check("hostname", config.get("Hostname"), create["hostname"])


def _host_differences(diffs, host, wanted, spec):
    """The host config: ports, mounts, links, privileges, network, restart, dns, limits."""
    check = diffs.check
    check("ports", sorted(_binding_set(host.get("PortBindings"))), sorted(_binding_set(wanted["port_bindings"])))
    # Anonymous volumes a replacement carried over are binds to Docker, not the file's volumes.
    binds = [bind for bind in host.get("Binds") or [] if not is_carried(bind, spec)]
    check("volumes", sorted(_bind_set(binds)), sorted(_bind_set(wanted["binds"])))
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


def compare(spec: InstanceSpec, container: Mapping[str, Any], image: Optional[Mapping[str, Any]]) -> list[str]:
    """Human reasons why ``container`` differs from ``spec`` (empty list = up to date)."""
    return [d.reason for d in differences(spec, container, image)]


def listed_current(spec: InstanceSpec, entry: Optional[Mapping[str, Any]], image: Optional[Mapping[str, Any]]) -> bool:
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
    return (entry.get("Labels") or {}).get(LABEL_DIGEST) == config_digest(desired_config(spec), spec) and entry.get(
        "ImageID"
    ) == image["Id"]
