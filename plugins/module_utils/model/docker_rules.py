# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Docker daemon refuses of a container's settings on its own grounds, checked before any
call: the environment model locates each problem in the file (docker_checks.py), the container
module names the option. Pure: no Docker, no Ansible.

Each rule takes a value and returns None, or what is wrong with it: the value and what is allowed.
``problems(spec)`` runs them over an instance spec. The rules follow the Engine API and the daemon
(moby 20.10 and later), and are listed in docs/docsite/rst/preflight.rst.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping, Optional

# The collection's own container labels (docker/desired.py): a file's label must not take one.
OWN_LABEL_PREFIX = "maestro.ng."

# docker/distribution's reference grammar (reference/regexp.go). Patterns, not compiled: re compiles
# (and caches) each when first used, so a file that needs only a few pays for only those.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"  # one part of a registry's host name
_DOMAIN_PORT = r"(?:%s(?:\.%s)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?" % (_LABEL, _LABEL)
_PATH = r"%s(?:/%s)*" % (_COMPONENT, _COMPONENT)
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})"
_NAME_MAX = 255

# A named volume (daemon/volume/local): anything else that is not an absolute path is refused.
_VOLUME_NAME = r"[a-zA-Z0-9][a-zA-Z0-9_.-]+"
# Bind and volume modes (volume/mounts/parser_linux.go): at most one of each group.
_MODE_GROUPS = (
    ("rw", "ro"),
    ("z", "Z"),
    ("shared", "rshared", "slave", "rslave", "private", "rprivate"),
    ("nocopy",),
    ("consistent", "cached", "delegated"),
)
_MODES = frozenset(mode for group in _MODE_GROUPS for mode in group)

MIN_MEMORY = 6 * 1024 * 1024  # the daemon's linuxMinMemory
CPU_SHARES = (2, 262144)  # the kernel's range of cpu.shares (0 is Docker's default weight)

# go-units' ulimit names, which the daemon takes.
# fmt: off
ULIMITS = frozenset((
    "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
    "rttime", "sigpending", "stack",
))
# Linux capabilities Docker 20.10 knows (without CAP_).
CAPABILITIES = frozenset((
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN",
    "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT",
    "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "WAKE_ALARM",
))
# fmt: on
# Capabilities only newer daemons know: the ship's API version decides (run/preflight.py).
NEWER_CAPABILITIES = {"BPF": "1.42", "CHECKPOINT_RESTORE": "1.42", "PERFMON": "1.42"}
# (spec key, its field) -> the API version that brought it.
NEWER_SETTINGS = {("healthcheck", "start_interval"): "1.44"}
_LABEL_OPTIONS = ("user", "role", "type", "level", "filetype")
# Network modes that are not a network's name.
NETWORK_MODES = ("bridge", "host", "none", "default")
_NETWORK_NAME = r"[a-zA-Z0-9][a-zA-Z0-9_.-]*"
# Log options of the daemon's built-in drivers that take options (daemon/logger/*); a plugin's are its own.
_LOG_COMMON = ("mode", "max-buffer-size", "cache-disabled", "cache-max-size", "cache-max-file", "cache-compress")
_LOG_TAGS = ("tag", "labels", "labels-regex", "env", "env-regex")
LOG_OPTIONS = {
    "json-file": ("max-size", "max-file", "compress") + _LOG_TAGS,
    "local": ("max-size", "max-file", "compress"),
    "syslog": ("syslog-address", "syslog-facility", "syslog-tls-ca-cert", "syslog-tls-cert", "syslog-tls-key")
    + ("syslog-tls-skip-verify", "syslog-format")
    + _LOG_TAGS,
    "journald": _LOG_TAGS,
}
_SIZE = r"[0-9]+(?:\.[0-9]+)?\s*(?:[kKmMgGtTpP](?:i?[bB])?|[bB])?"


@lru_cache(maxsize=1024)  # the instances of a file share a few images
def image_reference(value: str) -> Optional[str]:
    """``[domain[:port]/]path[:tag][@digest]``, the path lowercase."""
    name, at, digest = value.partition("@")
    if at and not re.fullmatch(_DIGEST, digest):
        return "invalid image reference %r: a digest is sha256: and 64 lowercase hex digits (or sha384, sha512)" % value
    tag = ""
    if ":" in name[name.rfind("/") + 1 :]:
        name, dummy, tag = name.rpartition(":")
        if not re.fullmatch(_TAG, tag):
            return (
                "invalid image reference %r: a tag is 1 to 128 letters, digits, '_', '.' and '-', "
                "not starting with '.' or '-'" % value
            )
    domain, slash, path = name.partition("/")
    if not slash or not ("." in domain or ":" in domain or domain == "localhost" or domain.startswith("[")):
        domain, path = "", name
    elif not re.fullmatch(_DOMAIN_PORT, domain):
        return "invalid image reference %r: %r is not a registry host[:port]" % (value, domain)
    if not re.fullmatch(_PATH, path):
        if re.fullmatch(_PATH, path.lower()):
            return "invalid image reference %r: the repository must be lowercase (%s)" % (value, path.lower())
        return (
            "invalid image reference %r: a repository is lowercase letters, digits and separators "
            "('.', '_', '__', '-') between them, in parts joined by '/'" % value
        )
    if len(name) > _NAME_MAX:
        return "invalid image reference %r: the repository is longer than %d characters" % (value, _NAME_MAX)
    return None


def absolute_path(value: str) -> Optional[str]:
    if not value.startswith("/"):
        return "%r is not an absolute path (Docker needs one here)" % value
    return None


def container_path(value: str) -> Optional[str]:
    """Where something is mounted in the container: absolute, and not the root."""
    if value.rstrip("/") == "" and value:
        return "a volume cannot be mounted at /"
    if not value.startswith("/"):
        return "the container path %r is not absolute (Docker needs one here)" % value
    return None


def volume_source(value: str) -> Optional[str]:
    """A bind's source: an absolute path on the ship, or a named volume."""
    if value.startswith("/") or re.fullmatch(_VOLUME_NAME, value):
        return None
    return (
        "%r is neither an absolute path on the ship nor a volume name "
        "(two or more of [a-zA-Z0-9_.-], starting with a letter or digit)" % value
    )


def volume_mode(value: str, bind: bool = True) -> Optional[str]:
    """A bind's (or, not ``bind``, a named volume's) mode."""
    words = value.split(",")
    unknown = [word for word in words if word not in _MODES]
    if unknown:
        return "unknown volume mode %r (known: %s)" % (unknown[0], ", ".join(sorted(_MODES, key=str.lower)))
    for group in _MODE_GROUPS:
        both = [word for word in words if word in group]
        if len(both) > 1:
            return "volume mode %r sets %s more than once" % (value, "/".join(group[:2]))
    if bind and "nocopy" in words:
        return "nocopy only applies to a named volume, not to a path on the ship"
    propagation = set(words) & set(_MODE_GROUPS[2])
    if not bind and propagation:
        return "%s only applies to a path on the ship, not to a named volume" % sorted(propagation)[0]
    return None


def capability_name(value: str) -> str:
    """A capability as the daemon normalises it, without CAP_: NET_ADMIN, ALL."""
    name = value.upper()
    return name[4:] if name.startswith("CAP_") and name != "CAP_ALL" else name


def capability(value: str) -> Optional[str]:
    name = capability_name(value)
    if name == "ALL" or name in CAPABILITIES or name in NEWER_CAPABILITIES:
        return None
    return "unknown capability %r (Linux's, with or without CAP_, or ALL)" % value


def security_option(value: str) -> Optional[str]:
    """The forms the daemon's parseSecurityOpt takes."""
    if value in ("no-new-privileges", "disable"):
        return None
    key, sep, setting = value.partition("=")
    if not sep:
        key, sep, setting = value.partition(":")  # the old separator, still taken
    allowed = "label=..., apparmor=PROFILE, seccomp=unconfined|JSON or no-new-privileges[=true|false]"
    if not sep:
        return "unknown security option %r (%s)" % (value, allowed)
    if key == "label":
        if setting == "disable" or setting.partition(":")[0] in _LABEL_OPTIONS and ":" in setting:
            return None
        return "label option %r is not disable or %s:VALUE" % (setting, "|".join(_LABEL_OPTIONS))
    if key == "apparmor":
        return None if setting else "apparmor= needs a profile name"
    if key == "seccomp":
        if setting in ("unconfined", "builtin"):
            return None
        import json  # only here: most files set no seccomp profile

        try:
            json.loads(setting)
        except ValueError:
            return (
                "seccomp=%s: the Engine API takes unconfined, builtin or the profile's JSON itself, "
                "not a file" % setting
            )
        return None
    if key == "no-new-privileges":
        if setting.lower() in ("true", "false", "1", "0", "t", "f"):
            return None
        return "no-new-privileges=%s is not true or false" % setting
    return "unknown security option %r (%s)" % (value, allowed)


def ip_address(value: str) -> Optional[str]:
    import ipaddress  # only here: most files set no dns or extra_hosts

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "%r is not an IP address" % value
    return None


def host_address(value: str) -> Optional[str]:
    """An extra_hosts address: an IP address, or the ship's own (host-gateway)."""
    if value == "host-gateway":
        return None
    return ip_address(value) and "%r is not an IP address or host-gateway" % value


def host_name(value: str) -> Optional[str]:
    if not value or re.search(r"[\s:]", value):
        return "%r cannot be a host name (no spaces or ':')" % value
    return None


def network_mode(value: str) -> Optional[str]:
    """bridge, host, none, default, container:NAME or a network's name (which the ship must have)."""
    if value in NETWORK_MODES:
        return None
    kind, colon, target = value.partition(":")
    if colon and kind == "container":
        return None if target else "container: needs a container's name"
    if re.fullmatch(_NETWORK_NAME, value):
        return None
    return "%r is not a network mode (%s, container:NAME or a network's name)" % (value, ", ".join(NETWORK_MODES))


def user_network(value: Optional[str]) -> Optional[str]:
    """The network a mode names, which the ship must have (None: a mode that names none)."""
    if not value or value in NETWORK_MODES or value.startswith("container:"):
        return None
    return value


def network_conflicts(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(setting, why) for settings the daemon refuses beside the network mode: a container on another's
    network has no DNS, hosts or links of its own; one on the ship's network has no links."""
    mode = spec.get("network_mode") or ""
    if mode.startswith("container:"):
        for key in ("dns", "extra_hosts", "links"):
            if spec.get(key):
                yield key, "conflicts with net: %s (the container uses that one's network, and its %s)" % (mode, key)
    elif mode == "host" and spec.get("links"):
        yield "links", "conflicts with net: host (links need a container network)"


def env_name(value: str) -> Optional[str]:
    if not value or "=" in value or "\0" in value:
        return "%r cannot be a variable name (not empty, no '=')" % value
    return None


def label_name(value: str) -> Optional[str]:
    if not value:
        return "a label needs a name"
    if value.startswith(OWN_LABEL_PREFIX):
        return "%r is one of the collection's own labels (%s*)" % (value, OWN_LABEL_PREFIX)
    return None


def ulimit_name(value: str) -> Optional[str]:
    if value in ULIMITS:
        return None
    return "unknown ulimit %r (known: %s)" % (value, ", ".join(sorted(ULIMITS)))


def log_driver(value: str) -> Optional[str]:
    if not value or re.search(r"\s", value):
        return "%r is not a log driver's name" % value
    return None


def log_options(driver: Optional[str], options: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(option, what is wrong) of ``options`` for ``driver`` (None: the ship's default, unknown here)."""
    if driver == "none":
        return  # the daemon reads none of them
    known = LOG_OPTIONS.get(driver or "")
    for key, value in options.items():
        if known is not None and key not in known + _LOG_COMMON:
            yield key, "unknown option of the %s log driver (known: %s)" % (driver, ", ".join(known + _LOG_COMMON))
        elif key == "mode" and value not in ("blocking", "non-blocking"):
            yield key, "%r is not blocking or non-blocking" % value
        elif key == "max-buffer-size" and options.get("mode") != "non-blocking":
            yield key, "only applies with mode: non-blocking"
        elif key in ("max-size", "max-buffer-size") and not re.fullmatch(_SIZE, str(value)):
            yield key, "%r is not a size (e.g. 10m)" % value
        elif key == "max-file" and not (str(value).isdigit() and int(value) >= 1):
            yield key, "%r is not a number of files, 1 or more" % value
        elif key in ("compress", "cache-disabled") and str(value).lower() not in ("true", "false", "1", "0", "t", "f"):
            yield key, "%r is not true or false" % value
        elif key == "compress" and driver == "json-file" and str(value).lower() in ("true", "1", "t"):
            files = str(options.get("max-file") or "1")
            if "max-size" not in options or (files.isdigit() and int(files) < 2):
                yield key, "needs max-size, and max-file of 2 or more (the json-file driver compresses rotated files)"


def limits(memory: Optional[int], memswap: Optional[int], cpu_shares: Optional[int]) -> Iterator[tuple[str, str]]:
    """(limit, what is wrong): the minimums, and swap's relation to memory (swap is memory plus swap)."""
    if memory and 0 < memory < MIN_MEMORY:
        yield "memory", "%d bytes is below Docker's minimum of 6m" % memory
    if memswap is not None and memswap not in (0, -1):
        if memswap < 0:
            yield "memswap", "must be a size, or -1 for no limit, got %d" % memswap
        elif not memory:
            yield "memswap", "needs a memory limit too (swap is memory plus swap)"
        elif memswap < memory:
            yield "memswap", "%d bytes is below memory (%d): swap is memory plus swap" % (memswap, memory)
    if cpu_shares and not CPU_SHARES[0] <= cpu_shares <= CPU_SHARES[1]:
        yield (
            "cpu_shares",
            "%d CPU shares is outside %d to %d (1024 is the default weight)" % ((cpu_shares,) + CPU_SHARES),
        )


# Spec key -> (its rule, how it holds its values): "one" value, "each" item of a list, the "keys" of a mapping.
_RULES: dict[str, tuple[Callable[[str], Optional[str]], str]] = {
    "image": (image_reference, "one"),
    "container_volumes": (container_path, "each"),
    "workdir": (absolute_path, "one"),
    "cap_add": (capability, "each"),
    "cap_drop": (capability, "each"),
    "security_opt": (security_option, "each"),
    "dns": (ip_address, "each"),
    "network_mode": (network_mode, "one"),
    "env": (env_name, "keys"),
    "labels": (label_name, "keys"),
    "log_driver": (log_driver, "one"),
}


def problems(spec: Mapping[str, Any]) -> list[tuple[tuple, str]]:
    """[(the spec's key path, what is wrong)] of an instance spec (records.InstanceSpec), in its keys' order."""
    found: list[tuple[tuple, str]] = []

    def check(rule, value, path):
        message = rule(str(value))
        if message:
            found.append((path, message))

    for key, (rule, form) in _RULES.items():
        value = spec.get(key)
        if value is None or value == "":
            if key == "image" and value == "":
                found.append(((key,), "must not be empty"))
            continue
        if form == "one":
            check(rule, value, (key,))
        elif form == "each":
            for index, item in enumerate(value):
                check(rule, item, (key, index))
        else:
            for name in value:
                check(rule, name, (key, name))
    for index, volume in enumerate(spec.get("volumes") or []):
        for field, rule in (("source", volume_source), ("target", container_path)):
            if volume.get(field):
                check(rule, volume[field], ("volumes", index, field))
        if volume.get("mode"):
            message = volume_mode(volume["mode"], bind=str(volume.get("source") or "").startswith("/"))
            if message:
                found.append((("volumes", index, "mode"), message))
    for host, address in (spec.get("extra_hosts") or {}).items():
        check(host_name, host, ("extra_hosts", host))
        check(host_address, address, ("extra_hosts", host))
    for index, ulimit in enumerate(spec.get("ulimits") or []):
        check(ulimit_name, ulimit["name"], ("ulimits", index))
        if min(ulimit["soft"], ulimit["hard"]) < -1:
            found.append((("ulimits", index), "a limit is a number, or -1 for none"))
    for key, message in network_conflicts(spec):
        found.append(((key,), message))
    own = spec.get("limits") or {}
    for key, message in limits(own.get("memory"), own.get("memswap"), own.get("cpu_shares")):
        found.append((("limits", key), message))
    for key, message in log_options(spec.get("log_driver"), spec.get("log_opt") or {}):
        found.append((("log_opt", key), message))
    return found
