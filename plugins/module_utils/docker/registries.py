# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image pulls with the environment's ``registries``: which registry an image comes
from, the credentials that go with its pull, and the retry policy on HTTP errors.

Matching is MaestroNG's: the first part of the image name (``reg.example:5000`` in
``reg.example:5000/team/app:1``) is looked up as a registry name, then as the host (with
or without its port) of a registry's ``registry`` URL. Credentials only ever go to the
host of that URL: a registry matched by a name that is not where Docker pulls the image
from lends its retry policy, never its password. No password is ever part of a message.

Used by the orchestrator (the environment's section) and by maestro.ng.container (its
``registries`` option, the same section, checked by from_option): login() a client, then
pull().
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ..model import secrets
from .client import APIError, DockerException, error_text

if TYPE_CHECKING:
    from docker import APIClient

    from ..records import Registry

try:
    from docker.auth import resolve_index_name, resolve_repository_name
except ImportError:  # docker missing: connect() reports it before any pull
    resolve_index_name = resolve_repository_name = None

RETRY_DELAY = 1.0  # seconds between two attempts, as MaestroNG
# How dockerd names the registry's own answer: "received unexpected HTTP status: 503 Service Unavailable".
_REGISTRY_STATUS = re.compile(r"\bHTTP status:? (\d{3})\b|\bstatus code:? (\d{3})\b|\bstatus: (\d{3}) [A-Z]")
# A registry that refused the credentials (or wanted some): retrying cannot help.
_PORT = re.compile(r":\d+$")
_DENIED = re.compile(
    r"unauthorized|authentication required|no basic auth credentials|access.*denied|"
    r"incorrect username or password",
    re.I,
)


_OPTION_KEYS = ("name", "registry", "username", "password", "email", "retry")


class PullFailed(DockerException):
    """A pull that failed for good; the message names image, ship and registry, never a password."""


def host_of(url: str) -> str:
    """``https://reg.example:5000/v1/`` -> ``reg.example:5000`` (a bare ``host:port`` too)."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return rest.split("/", 1)[0].rsplit("@", 1)[-1].lower()


def find(image: str, registries: Optional[Mapping[str, Registry]]) -> Optional[Registry]:
    """The registry (dict) an image comes from, by MaestroNG's rule, or None."""
    if not registries:
        return None
    repository = image.split("@", 1)[0]
    if "/" not in repository:
        return None
    first = repository.split("/", 1)[0]
    if first in registries:
        return registries[first]
    for registry in registries.values():
        host = host_of(registry["registry"])
        if first.lower() in (host, _PORT.sub("", host)):
            return registry
    return None


def login(client: APIClient, registries: Optional[Mapping[str, Registry]]) -> None:
    """Like ``docker login``: each registry's credentials for any pull of ``client`` from
    that registry's host (never for another host: not by name). Idempotent."""
    configs = getattr(client, "_auth_configs", None)
    for registry in (registries or {}).values():
        if configs is not None and registry.get("username"):
            configs.add_auth(
                host_of(registry["registry"]),
                {
                    key: value
                    for key, value in dict(registry, serveraddress=registry["registry"]).items()
                    if key in ("username", "password", "email", "serveraddress") and value is not None
                },
            )


def from_option(value: Any) -> dict[str, Registry]:
    """maestro.ng.container's ``registries`` (the model's section, or written by hand) in the
    model's form. Raises ValueError ``registries.NAME.KEY: message``, never showing a value."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ValueError("registries: must be a map of registry name to registry")
    result: dict[str, Registry] = {}
    for name, reg in value.items():
        path = "registries.%s" % name
        if not isinstance(reg, dict):
            raise ValueError("%s: must be a map (%s)" % (path, ", ".join(_OPTION_KEYS[1:])))
        _known(reg, _OPTION_KEYS, path, "registry")
        url = reg.get("registry")
        if not isinstance(url, str) or not url.strip():
            raise ValueError(
                "%s.registry: required: the registry's URL, like https://registry.example.com:5000/v2/" % path
            )
        if "@" in (url.split("://", 1)[1] if "://" in url else url).split("/", 1)[0]:
            # The value is not shown: it holds credentials.
            raise ValueError(
                "%s.registry: must be a registry URL like https://registry.example.com:5000/v1/ "
                "(scheme, host, port, path; credentials go in username and password)" % path
            )
        for key in ("name", "username", "password", "email"):
            if reg.get(key) is not None and not isinstance(reg[key], str):
                raise ValueError("%s.%s: must be a string" % (path, key))
        retry = reg.get("retry") or {}
        if not isinstance(retry, dict):
            raise ValueError("%s.retry: must be a map (attempts, when)" % path)
        _known(retry, ("attempts", "when"), path + ".retry", "retry")
        attempts = 3 if retry.get("attempts") is None else retry["attempts"]
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValueError("%s.retry.attempts: must be a whole number, at least 1" % path)
        when = retry.get("when") or []
        if not isinstance(when, list) or not all(
            isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599 for code in when
        ):
            raise ValueError("%s.retry.when: must be a list of HTTP status codes (100-599)" % path)
        result[str(name)] = {
            "name": reg.get("name") or str(name),
            "registry": url,
            "username": reg.get("username"),
            "password": reg.get("password"),
            "email": reg.get("email"),
            "retry": {"attempts": attempts, "when": list(when)},
        }
    return result


def _known(mapping, known, path, what):
    for key in mapping:
        if key not in known:
            raise ValueError(
                "%s.%s: unknown %s key %r (known: %s)" % (path, key, what, str(key), ", ".join(sorted(known)))
            )


def for_image(image: str, registries: Optional[Mapping[str, Registry]]) -> dict[str, Registry]:
    """Only the registry ``image`` comes from ({} if none): what a pull of it needs."""
    registry = find(image, registries) if image else None
    return {name: reg for name, reg in (registries or {}).items() if reg is registry}


def _docker_registry(image):
    """Where Docker pulls ``image`` from (``docker.io`` for Docker Hub)."""
    return resolve_repository_name(image)[0]


def credentials(image: str, registry: Optional[Registry]) -> Optional[dict[str, str]]:
    """The auth_config to send with the pull of ``image``, or None (Docker's own config applies)."""
    if not registry or not registry["username"]:
        return None
    if resolve_index_name(host_of(registry["registry"])) != _docker_registry(image):
        return None
    auth: dict[str, str] = {
        "username": registry["username"],
        "password": registry["password"] or "",
        "serveraddress": registry["registry"],
    }
    if registry["email"]:
        auth["email"] = registry["email"]
    return auth


def policy(registry: Optional[Registry]) -> tuple[int, frozenset]:
    """(attempts, codes): MaestroNG's ``retry`` of a registry; no registry or no codes = one attempt."""
    if registry is None:
        return 1, frozenset()
    codes = frozenset(registry["retry"]["when"] or ())
    return (int(registry["retry"]["attempts"] or 1) if codes else 1), codes


def status_codes(exc: Exception) -> set[int]:
    """The HTTP statuses of a failed pull: the Docker API's answer, and the registry's as dockerd reports it."""
    codes = set()
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None):
        codes.add(int(response.status_code))
    for match in _REGISTRY_STATUS.finditer(error_text(exc)):
        codes.add(int(next(group for group in match.groups() if group)))
    return codes


class _StreamError(DockerException):
    """An error the daemon put in the stream of a 200 answer."""


def hide(text: str, registries: Optional[Mapping[str, Registry]]) -> str:
    """``text`` without any registry password in it."""
    return secrets.hide(
        text, [registry["password"] for registry in (registries or {}).values() if registry["password"]]
    )


def pull(
    client: APIClient,
    image: str,
    registries: Optional[Mapping[str, Registry]] = None,
    on_retry: Optional[Callable[[str], None]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Pull ``image`` through ``client`` (a docker.APIClient) with the credentials and
    retry policy of its registry; returns the retries made (texts, empty if none).

    An attempt is retried when one of its HTTP statuses (see status_codes) is listed in the
    registry's ``retry.when``, at most ``retry.attempts`` attempts in all, RETRY_DELAY apart.
    Refused credentials are never retried. Raises PullFailed.
    """
    registry = find(image, registries)
    auth = credentials(image, registry)
    attempts, when = policy(registry)
    retries: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            # The daemon reports most pull errors inside a 200 answer's stream.
            for event in client.pull(image, stream=True, decode=True, auth_config=auth):
                if isinstance(event, dict) and event.get("error"):
                    raise _StreamError(event["error"])
            return retries
        except (APIError, _StreamError) as exc:
            text, codes = error_text(exc), status_codes(exc)
            denied = bool(_DENIED.search(text))
            matched = sorted(codes & when)
            if registry is not None and attempt < attempts and matched and not denied:
                note = "registry %s: HTTP %s on attempt %d/%d, retrying in %gs" % (
                    registry["name"],
                    matched[0],
                    attempt,
                    attempts,
                    RETRY_DELAY,
                )
                retries.append(note)
                if on_retry:
                    on_retry(note)
                sleep(RETRY_DELAY)
                continue
            raise PullFailed(hide(_failure(registry, auth, text, denied, attempt), registries)) from None
    return retries  # not reached: the last attempt returns or raises


def failed_pull(image: str, ship: str, missing: bool) -> str:
    """What a failed pull of ``image`` on ``ship`` was (``missing``: the ship did not have it)."""
    if missing:
        return "image %s not found on ship %s and pull failed" % (image, ship)
    return "pulling image %s on ship %s failed" % (image, ship)


def retries_detail(retries: list[str]) -> str:
    """The retries a pull made, as the detail of its ``pulled image`` action."""
    return " (%s)" % "; ".join(retries) if retries else ""


def _failure(registry, auth, text, denied, attempts):
    """What went wrong, naming the registry (the caller names image and ship)."""
    if registry:
        where = "registry %s (%s%s)" % (
            registry["name"],
            registry["registry"],
            ", user %s" % auth["username"] if auth else "",
        )
        if denied and auth:
            text = "%s refused the credentials: %s" % (where, text)
        elif denied:
            text = "%s wants credentials, and the environment gives none for this image: %s" % (where, text)
        else:
            text = "%s: %s" % (where, text)
    if attempts > 1:
        text += " (after %d attempts)" % attempts
    return text
