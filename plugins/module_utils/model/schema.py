# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG 0.8.3's keys, and the small typed readers validation is built from.

Each reader takes the parent mapping and the key, so an error can name the key
path and the line the value sits on.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterable, Literal, Mapping, NoReturn, Optional, overload

from ..errors import MaestroError
from .loader import line_of

SHIP_KEYS = frozenset(
    (
        "ip",
        "endpoint",
        "docker_port",
        "socket_path",
        "ssh_tunnel",
        "ssh_timeout",
        "api_version",
        "timeout",
        "tls",
        "tls_verify",
        "tls_ca_cert",
        "tls_cert",
        "tls_key",
    )
)
SHIP_DEFAULT_KEYS = SHIP_KEYS - {"ip", "endpoint"}
SSH_TUNNEL_KEYS = frozenset(("user", "key", "port"))

SERVICE_KEYS = frozenset(
    (
        "image",
        "instances",
        "requires",
        "wants_info",
        "env",
        "envfile",
        "ports",
        "lifecycle",
        "limits",
        "omit",
        "update",
        "healthcheck",
        "oneshot",
    )
)
INSTANCE_KEYS = frozenset(
    (
        "ship",
        "image",
        "command",
        "ports",
        "env",
        "envfile",
        "volumes",
        "container_volumes",
        "volumes_from",
        "links",
        "username",
        "privileged",
        "cap_add",
        "cap_drop",
        "security_opt",
        "extra_hosts",
        "net",
        "restart",
        "dns",
        "stop_timeout",
        "limits",
        "log_driver",
        "log_opt",
        "workdir",
        "ulimits",
        "labels",
        "lifecycle",
        "healthcheck",
    )
)
LIMIT_KEYS = frozenset(("cpu", "memory", "swap"))
REGISTRY_KEYS = frozenset(("registry", "username", "password", "email", "retry"))
RETRY_KEYS = frozenset(("attempts", "when"))
RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")

LIFECYCLE_STATES = ("pre-start", "running", "pre-stop", "stopped")
CHECK_KEYS = {
    "tcp": frozenset(("port", "max_wait")),
    "http": frozenset(("port", "host", "path", "scheme", "method", "match_regex", "max_wait", "requests_options")),
    "exec": frozenset(("command", "attempts")),
    "rexec": frozenset(("command", "attempts")),
    "sleep": frozenset(("wait",)),
}
CHECK_REQUIRED = {"tcp": "port", "http": "port", "exec": "command", "rexec": "command", "sleep": "wait"}

_SCALARS = (str, int, float)


def fail(message: str, path: tuple, parent: Any = None, key: Any = None) -> NoReturn:
    raise MaestroError(message, path=path, line=line_of(parent, key) if parent is not None else None)


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def check_map(value: Any, path: tuple, parent: Any, key: Any) -> None:
    """``parent[key]`` (already read into ``value``) must be a mapping."""
    if not isinstance(value, dict):
        fail("must be a mapping, got %s" % type_name(value), path, parent, key)


def check_keys(
    mapping: Mapping[str, Any], known: Iterable[str], path: tuple, what: str, hints: Optional[Mapping[str, str]] = None
) -> None:
    """Unknown keys are errors, with a "did you mean" when one is close."""
    for key in mapping:
        if key in known:
            continue
        name = str(key)
        message = "unknown %s key %r" % (what, name)
        hint = (hints or {}).get(name)
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        if hint:
            message += " (%s)" % hint
        elif close:
            message += " (did you mean %r?)" % close[0]
        else:
            message += " (known: %s)" % ", ".join(sorted(known))
        fail(message, path + (name,), mapping, key)


def get_map(parent: Mapping[str, Any], key: str, path: tuple, required: bool = False, what: str = "a mapping") -> dict:
    value = parent.get(key) if isinstance(parent, dict) else None
    if value is None:
        if required and (not isinstance(parent, dict) or key not in parent):
            fail("is required", path + (key,), parent)
        if required:
            fail("must be %s, got nothing" % what, path + (key,), parent, key)
        return {}
    if not isinstance(value, dict):
        fail("must be %s, got %s" % (what, type_name(value)), path + (key,), parent, key)
    return value


@overload
def get_str(
    parent: Mapping[str, Any],
    key: str,
    path: tuple,
    required: Literal[True],
    default: None = None,
    numbers: bool = True,
) -> str: ...


@overload
def get_str(
    parent: Mapping[str, Any],
    key: str,
    path: tuple,
    required: bool = False,
    default: Optional[str] = None,
    numbers: bool = True,
) -> Optional[str]: ...


def get_str(
    parent: Mapping[str, Any],
    key: str,
    path: tuple,
    required: bool = False,
    default: Optional[str] = None,
    numbers: bool = True,
) -> Optional[str]:
    """A string; numbers are taken as their text (``ip: 10`` is rare but valid YAML)."""
    if key not in parent or parent[key] is None:
        if required:
            fail("is required", path + (key,), parent, key if key in parent else None)
        return default
    value = parent[key]
    if isinstance(value, bool) or not isinstance(value, _SCALARS if numbers else str):
        fail("must be a string, got %s" % type_name(value), path + (key,), parent, key)
    if not isinstance(value, str):  # a string is kept as it is: a vault value stays a Secret
        value = str(value)
    if required and not value.strip():
        fail("must not be empty", path + (key,), parent, key)
    return value


def get_bool(parent: Mapping[str, Any], key: str, path: tuple, default: bool = False) -> bool:
    value = parent.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        fail("must be true or false, got %r" % (value,), path + (key,), parent, key)
    return value


@overload
def get_int(parent: Mapping[str, Any], key: str, path: tuple, default: int, minimum: Optional[int] = None) -> int: ...


@overload
def get_int(
    parent: Mapping[str, Any], key: str, path: tuple, default: None = None, minimum: Optional[int] = None
) -> Optional[int]: ...


def get_int(
    parent: Mapping[str, Any], key: str, path: tuple, default: Optional[int] = None, minimum: Optional[int] = None
) -> Optional[int]:
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        fail("must be an integer, got %r" % (value,), path + (key,), parent, key)
    if minimum is not None and value < minimum:
        fail("must be at least %d, got %d" % (minimum, value), path + (key,), parent, key)
    return value


@overload
def get_number(parent: Mapping[str, Any], key: str, path: tuple, default: float) -> float: ...


@overload
def get_number(parent: Mapping[str, Any], key: str, path: tuple, default: None = None) -> Optional[float]: ...


def get_number(parent: Mapping[str, Any], key: str, path: tuple, default: Optional[float] = None) -> Optional[float]:
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail("must be a number, got %r" % (value,), path + (key,), parent, key)
    if value < 0:
        fail("must not be negative, got %r" % (value,), path + (key,), parent, key)
    return value


def get_str_list(parent: Mapping[str, Any], key: str, path: tuple, default: Optional[list] = None) -> list[str]:
    """A string or a list of strings (MaestroNG accepts both almost everywhere)."""
    value = parent.get(key)
    if value is None:
        return list(default or [])
    if isinstance(value, _SCALARS) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        fail("must be a string or a list of strings, got %s" % type_name(value), path + (key,), parent, key)
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, _SCALARS):
            fail("must be a string, got %s" % type_name(item), path + (key, index), value, index)
    return [str(item) for item in value]


def get_str_map(parent: Mapping[str, Any], key: str, path: tuple, lists: bool = False) -> dict[str, str]:
    """A mapping of strings to scalar values, as strings. With ``lists`` (``env``),
    list values are accepted, flattened and space-joined, as MaestroNG does."""
    value = get_map(parent, key, path)
    result = {}
    for name, item in value.items():
        bad = _nested_mapping(item) if lists else item
        if isinstance(bad, (dict, list)):
            fail(
                "must be a string%s, got %s" % (" or a list" if lists else "", type_name(bad)),
                path + (key, str(name)),
                value,
                name,
            )
        try:
            result[str(name)] = "" if item is None else env_value(item)
        except UnicodeDecodeError:
            fail("a !!binary value must be UTF-8 text", path + (key, str(name)), value, name)
    return result


def _nested_mapping(value):
    """The first mapping in ``value`` (itself or anywhere in nested lists), else None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        for item in value:
            found = _nested_mapping(item)
            if found is not None:
                return found
    return None


def env_value(value: Any) -> str:
    """A value as MaestroNG writes it into the environment: lists flattened and
    space-joined, booleans as ``True``/``False``, nothing as an empty string, a
    ``!!binary`` value as its (UTF-8) text, not ``b'...'``."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(env_value(item) for item in value)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else str(value)
