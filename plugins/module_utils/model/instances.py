# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One instance of a service: its container's settings and its lifecycle checks, read and
normalised into the spec container.py works with (its env is composed later: envvars.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping

from ..defaults import CHECK_MAX_WAIT, DEFAULT_STOP_TIMEOUT, EXEC_CHECK_ATTEMPTS
from . import ports as portspec
from . import readiness_section, schema
from .loader import line_of
from .schema import fail

if TYPE_CHECKING:
    from ..records import InstanceSpec, Port, Service, Ship
    from .drafts import ServiceDraft
    from .file_context import FileContext

_SIZE = re.compile(r"^\s*(\d+)\s*([kKmMgG]?)[bB]?\s*$")


def read(
    service: Service,
    draft: ServiceDraft,
    name: str,
    raw: Mapping[str, Any],
    path: tuple,
    context: FileContext,
    env_name: str,
    schema_version: int,
    ships: Mapping[str, Ship],
) -> tuple[InstanceSpec, dict[str, str]]:
    """(the spec of instance ``name`` of ``service``, its own env before the variables)."""
    schema.check_keys(raw, schema.INSTANCE_KEYS, path, "instance")
    ship = schema.get_str(raw, "ship", path, required=True)
    if ship not in ships:
        fail("unknown ship %r (known: %s)" % (ship, ", ".join(sorted(ships))), path + ("ship",), raw, "ship")
    image = schema.get_str(raw, "image", path) or service["image"]
    ports = dict(draft.ports)
    ports.update(read_ports(raw, path))
    net = schema.get_str(raw, "net", path)
    own_env = context.env(raw, path)
    spec: InstanceSpec = {
        "name": name,
        "service": service["name"],
        "ship": ship,
        "ship_ip": ships[ship]["ip"],
        "environment": env_name,
        "image": image,
        "command": _command(raw, path),
        "env": {},  # composed once every instance is read (envvars.py)
        "ports": list(ports.values()),
        "volumes": _volumes(raw, path, schema_version),
        "container_volumes": schema.get_str_list(raw, "container_volumes", path),
        "volumes_from": schema.get_str_list(raw, "volumes_from", path),
        "links": schema.get_str_map(raw, "links", path),
        "user": schema.get_str(raw, "username", path),
        "privileged": schema.get_bool(raw, "privileged", path),
        "cap_add": schema.get_str_list(raw, "cap_add", path),
        "cap_drop": schema.get_str_list(raw, "cap_drop", path),
        "security_opt": schema.get_str_list(raw, "security_opt", path),
        "extra_hosts": _extra_hosts(raw, path, ships),
        "network_mode": net,
        "hostname": None if net else name,
        "restart": _restart(raw, path),
        "dns": schema.get_str_list(raw, "dns", path),
        "stop_timeout": schema.get_int(raw, "stop_timeout", path, default=DEFAULT_STOP_TIMEOUT, minimum=0),
        "limits": _limits(draft, raw, path),
        "log_driver": schema.get_str(raw, "log_driver", path),
        "log_opt": schema.get_str_map(raw, "log_opt", path),
        "workdir": schema.get_str(raw, "workdir", path),
        "ulimits": _ulimits(raw, path),
        "labels": _labels(raw, path),
        "lifecycle": {},
        "healthcheck": readiness_section.read(raw, path) or draft.healthcheck,
        "oneshot": draft.oneshot,
        "level": None,
        "secret_digests": {},
    }
    if spec["oneshot"] is not None and spec["restart"]["name"] in ("always", "unless-stopped"):
        fail(
            "restart: %s would run a oneshot service's container again and again (on-failure or no)"
            % spec["restart"]["name"],
            path + ("restart",),
            raw,
            "restart",
        )
    checks: dict[str, list[tuple]] = {}
    for state, items in draft.lifecycle.items():
        checks.setdefault(state, []).extend(items)
    for state, items in read_lifecycle(raw, path).items():
        checks.setdefault(state, []).extend(items)
    spec["lifecycle"] = {
        state: [_check(spec, check, cpath) for check, cpath in items] for state, items in checks.items()
    }
    return spec, own_env


def read_ports(parent: Mapping[str, Any], path: tuple) -> dict[str, Port]:
    """Port name -> port (ports.parse_port) of a service's or an instance's ``ports``."""
    raw = schema.get_map(parent, "ports", path)
    return {
        str(name): portspec.parse_port(name, spec, path + ("ports", str(name)), line_of(raw, name))
        for name, spec in raw.items()
    }


def read_lifecycle(parent: Mapping[str, Any], path: tuple) -> dict[str, list[tuple]]:
    """State -> [(raw check, its path)] of a service's or an instance's ``lifecycle``, the
    checks' types and keys checked (their values are read per instance: _check)."""
    raw = schema.get_map(parent, "lifecycle", path)
    result: dict[str, list[tuple]] = {}
    for state, checks in raw.items():
        spath = path + ("lifecycle", str(state))
        if state not in schema.LIFECYCLE_STATES:
            fail(
                "unknown lifecycle state %r (known: %s)" % (state, ", ".join(schema.LIFECYCLE_STATES)),
                spath,
                raw,
                state,
            )
        if checks is None:
            continue
        if not isinstance(checks, list):
            fail("must be a list of checks, got %s" % schema.type_name(checks), spath, raw, state)
        for index, check in enumerate(checks):
            cpath = spath + (index,)
            schema.check_map(check, cpath, checks, index)
            kind = check.get("type")
            if kind not in schema.CHECK_KEYS:
                fail(
                    "unknown check type %r (known: %s)" % (kind, ", ".join(sorted(schema.CHECK_KEYS))),
                    cpath + ("type",),
                    check,
                    "type" if "type" in check else None,
                )
            schema.check_keys(check, schema.CHECK_KEYS[kind] | {"type"}, cpath, kind + " check")
            required = schema.CHECK_REQUIRED[kind]
            if check.get(required) is None:
                fail(
                    "%s %s check needs %r" % ("an" if kind == "exec" else "a", kind, required),
                    cpath + (required,),
                    check,
                )
            result.setdefault(state, []).append((check, cpath))
    return result


def _command(raw, path):
    value = raw.get("command")
    if value is None:
        return None
    if isinstance(value, list):
        return schema.get_str_list(raw, "command", path)
    return schema.get_str(raw, "command", path)


def _volumes(raw, path, schema_version):
    value = schema.get_map(raw, "volumes", path)
    result = []
    for key, target in value.items():
        vpath = path + ("volumes", str(key))
        mode = "rw"
        if isinstance(target, dict):
            unknown = set(target) - {"target", "mode"}
            if unknown:
                fail("unknown volume key %r (target, mode)" % sorted(unknown)[0], vpath, value, key)
            mode = schema.get_str(target, "mode", vpath, default="rw")
            target = schema.get_str(target, "target", vpath, required=True)
            source = str(key)
        elif isinstance(target, str) and target:
            # Schema 1 reads the plain form the other way round: container: host.
            source, target = (str(key), target) if schema_version >= 2 else (target, str(key))
        else:
            fail("must be a path or {target, mode}, got %s" % schema.type_name(target), vpath, value, key)
        result.append({"source": source, "target": target, "mode": mode})
    seen = {}
    for vol in result:
        if vol["target"] in seen:
            fail(
                "%s and %s are both mounted at %s" % (seen[vol["target"]], vol["source"], vol["target"]),
                path + ("volumes",),
                raw,
                "volumes",
            )
        seen[vol["target"]] = vol["source"]
    return result


def _extra_hosts(raw, path, ships):
    value = schema.get_map(raw, "extra_hosts", path)
    result = {}
    for host, target in value.items():
        hpath = path + ("extra_hosts", str(host))
        if isinstance(target, dict):
            ship = schema.get_str(target, "ship", hpath, required=True)
            if set(target) != {"ship"}:
                fail("must be an address or {ship: NAME}", hpath, value, host)
            if ship not in ships:
                fail(
                    "unknown ship %r (known: %s)" % (ship, ", ".join(sorted(ships))), hpath + ("ship",), target, "ship"
                )
            result[str(host)] = ships[ship]["ip"]
        elif isinstance(target, str) and target:
            result[str(host)] = target
        else:
            fail("must be an address or {ship: NAME}, got %s" % schema.type_name(target), hpath, value, host)
    return result


def _restart(raw, path):
    value = raw.get("restart")
    rpath = path + ("restart",)
    if value is None or value is False:  # YAML reads a bare `no` as false
        return {"name": "no", "maximum_retry_count": 0}
    if isinstance(value, str):
        name, dummy, retries = value.partition(":")
        if retries and not re.fullmatch(r"[0-9]+", retries):
            fail("invalid retry count %r" % retries, rpath, raw, "restart")
        count = int(retries or 0)
    elif isinstance(value, dict):
        unknown = set(value) - {"name", "retries", "maximum_retry_count"}
        if unknown:
            fail("unknown restart key %r (name, retries)" % sorted(unknown)[0], rpath, raw, "restart")
        name = schema.get_str(value, "name", rpath, required=True)
        count = schema.get_int(value, "retries", rpath, default=None, minimum=0)
        if count is None:
            count = schema.get_int(value, "maximum_retry_count", rpath, default=0, minimum=0)
    else:
        fail("must be a policy name or {name, retries}, got %s" % schema.type_name(value), rpath, raw, "restart")
    if name not in schema.RESTART_POLICIES:
        fail(
            "unknown restart policy %r (known: %s)" % (name, ", ".join(schema.RESTART_POLICIES)), rpath, raw, "restart"
        )
    if count and name != "on-failure":
        fail("a retry count only applies to on-failure", rpath, raw, "restart")
    return {"name": name, "maximum_retry_count": count}


def _limits(draft, raw, path):
    own = schema.get_map(raw, "limits", path)
    schema.check_keys(own, schema.LIMIT_KEYS, path + ("limits",), "limits")
    merged = {}
    for source, where in ((draft.limits, draft.path), (own, path)):
        lpath = where + ("limits",)
        if "cpu" in source:
            merged["cpu_shares"] = schema.get_int(source, "cpu", lpath, minimum=0)
        if "memory" in source:
            merged["memory"] = _size(source, "memory", lpath)
        if "swap" in source:
            merged["memswap"] = _size(source, "swap", lpath)
    return {"cpu_shares": merged.get("cpu_shares"), "memory": merged.get("memory"), "memswap": merged.get("memswap")}


def _ulimits(raw, path):
    value = schema.get_map(raw, "ulimits", path)
    result = []
    for name, limit in value.items():
        upath = path + ("ulimits", str(name))
        if isinstance(limit, dict):
            unknown = set(limit) - {"soft", "hard"}
            if unknown:
                fail("unknown ulimit key %r (soft, hard)" % sorted(unknown)[0], upath, value, name)
            soft = schema.get_int(limit, "soft", upath)
            hard = schema.get_int(limit, "hard", upath)
            if soft is None and hard is None:
                fail("needs soft and/or hard", upath, value, name)
            soft = hard if soft is None else soft
            hard = soft if hard is None else hard
        else:
            soft = hard = schema.get_int(value, name, path + ("ulimits",))
            if soft is None:
                fail("needs a limit: a number, or {soft, hard}", upath, value, name)
        if soft > hard:
            fail("soft limit %d is above the hard limit %d" % (soft, hard), upath, value, name)
        result.append({"name": str(name), "soft": soft, "hard": hard})
    return result


def _labels(raw, path):
    value = raw.get("labels")
    if value is None:
        return {}
    if isinstance(value, list):
        return dict.fromkeys(schema.get_str_list(raw, "labels", path), "")
    if isinstance(value, dict):
        return schema.get_str_map(raw, "labels", path)
    fail("must be a list or a mapping, got %s" % schema.type_name(value), path + ("labels",), raw, "labels")


def _check(spec, check, cpath):
    kind = check["type"]
    if kind == "sleep":
        return {"type": "sleep", "wait": schema.get_number(check, "wait", cpath)}
    if kind in ("exec", "rexec"):
        return {
            "type": kind,
            "command": schema.get_str(check, "command", cpath, required=True),
            "attempts": schema.get_int(check, "attempts", cpath, default=EXEC_CHECK_ATTEMPTS, minimum=1),
        }
    port = _check_port(spec, check, cpath, named_only=(kind == "tcp"))
    if kind == "tcp":
        return {
            "type": "tcp",
            "port": port,
            "host": spec["ship_ip"],
            "max_wait": schema.get_int(check, "max_wait", cpath, default=CHECK_MAX_WAIT["tcp"], minimum=0),
        }
    match = schema.get_str(check, "match_regex", cpath)
    if match is not None:
        try:
            re.compile(match)
        except re.error as exc:
            fail("invalid regular expression: %s" % exc, cpath + ("match_regex",), check, "match_regex")
    return {
        "type": "http",
        "port": port,
        "host": schema.get_str(check, "host", cpath, default=spec["ship_ip"]),
        "path": schema.get_str(check, "path", cpath, default="/"),
        "scheme": schema.get_str(check, "scheme", cpath, default="http"),
        "method": schema.get_str(check, "method", cpath, default="GET").upper(),
        "match_regex": match,
        "max_wait": schema.get_int(check, "max_wait", cpath, default=CHECK_MAX_WAIT["http"], minimum=0),
    }


def _check_port(spec, check, cpath, named_only):
    port = check["port"]
    named = {p["name"]: p for p in spec["ports"]}
    if str(port) in named:
        return portspec.span(named[str(port)]["external"])[0]
    if not named_only and isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
        return port
    fail(
        "unknown port %r for instance %s (known: %s)" % (port, spec["name"], ", ".join(sorted(named)) or "none"),
        cpath + ("port",),
        check,
        "port",
    )


def _size(parent, key, path):
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value)) if isinstance(value, str) else None
    if not match:
        fail("must be a size in bytes or with a k/m/g suffix, got %r" % (value,), path + (key,), parent, key)
    return int(match.group(1)) * 1024 ** " kmg".index(match.group(2).lower() or " ")
