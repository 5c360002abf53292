# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections to the Docker daemons of ships.

One low-level ``docker.APIClient`` per set of connection parameters and per process, so
that the threads converging many containers on one ship share one connection pool.
"""

from __future__ import annotations

import os
import re
import threading
import traceback
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, cast
from urllib.parse import urlparse

from ..defaults import DEFAULT_DOCKER_PORT, DEFAULT_TIMEOUT, MAX_THREADS
from . import ssh_tunnel

if TYPE_CHECKING:
    from ..records import Ship

try:
    import docker
    from docker.errors import APIError, DockerException, NotFound
    from requests.exceptions import ConnectionError as _RequestsConnectionError
    from requests.exceptions import Timeout as _RequestsTimeout

    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
    # What requests raises when a daemon does not answer (a read timeout on a unix socket
    # comes as a ConnectionError).
    TRANSPORT_ERRORS = (_RequestsConnectionError, _RequestsTimeout)
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    # Stand-ins so that callers can name these in except clauses without docker.
    class DockerException(Exception):  # type: ignore[no-redef]
        pass

    class APIError(DockerException):  # type: ignore[no-redef]
        pass

    class NotFound(APIError):  # type: ignore[no-redef]
        pass

    class _RequestsConnectionError(Exception):  # type: ignore[no-redef]
        pass

    class _RequestsTimeout(Exception):  # type: ignore[no-redef]
        pass

    TRANSPORT_ERRORS = (_RequestsConnectionError, _RequestsTimeout)

# What callers import from here; NotFound is only re-exported (the stand-in when docker is missing).
__all__ = [
    "APIError",
    "DEFAULT_API_VERSION",
    "DEFAULT_TIMEOUT",
    "DOCKER_IMPORT_ERROR",
    "DockerException",
    "HAS_DOCKER",
    "NotFound",
    "ShipUnreachable",
    "TRANSPORT_ERRORS",
    "connect",
    "connection_errors",
    "containers_by_name",
    "error_text",
    "image_id",
    "image_inspect",
    "ship_at",
    "short_id",
]

# The newest API of Docker 20.10; pinning it saves the version round trip on connect.
DEFAULT_API_VERSION = "1.41"

_clients: dict[Any, Any] = {}
_clients_lock = threading.Lock()


class ShipUnreachable(Exception):
    """The Docker daemon of a ship did not answer, or could not be talked to (TLS, a
    missing certificate file): every instance on it fails (or is skipped) alike."""

    def __init__(self, ship: Optional[str], url: str, reason: str, what: str = "is unreachable"):
        self.ship = ship
        self.url = url
        self.reason = reason
        super().__init__("ship %s (%s) %s: %s" % (ship, url, what, reason))


def _short_reason(exc):
    """(what, the useful tail) of a requests/urllib3 error: ("is unreachable", "[Errno 111]
    Connection refused"), ("did not answer within 5 s", ...), ("failed TLS", ...)."""
    text = str(exc)
    end = r'\s*(?:\(_ssl\.c:\d+\)|[\'"]\)|$)'
    match = re.search(r"\[SSL: \w+\] (.+?)" + end, text) or re.search(r'SSL\w*Error\(\d+, [\'"](.+?)' + end, text)
    if match or "SSLError" in text:
        reason = match.group(1).strip() if match else text
        # With TLS 1.3 the daemon checks our certificate after the handshake: its refusal
        # comes as an alert or, depending on timing, as an EOF.
        if any(alert in reason for alert in ("certificate required", "bad certificate", "unknown ca", "EOF")):
            reason += " (the daemon refused our client certificate: check tls_cert and tls_key)"
        elif "mismatch" in reason:
            reason += " (the daemon's certificate does not name the endpoint)"
        elif "verify failed" in reason:
            reason += " (check tls_ca_cert)"
        return "failed TLS", reason
    match = re.search(r'\[Errno -?\d+\] [^\'")]+', text)
    if match:
        return "is unreachable", match.group(0).strip()
    if "timed out" in text.lower():
        # urllib3 says "Read timed out. (read timeout=5)"; the ship's `timeout` is that.
        seconds = re.search(r"(connect|read) timeout=([\d.]+)", text)
        if seconds and seconds.group(1) == "connect":
            return "is unreachable", "no connection within %s s" % seconds.group(2)
        within = " within %s s" % seconds.group(2) if seconds else ""
        return "did not answer%s" % within, "timed out (raise the ship's timeout for a slow daemon)"
    return "is unreachable", text


@contextmanager
def connection_errors(ship: Optional[str], url: str) -> Iterator[None]:
    """Turn connection failures raised inside the block into ShipUnreachable."""
    try:
        yield
    except TRANSPORT_ERRORS as exc:
        what, reason = _short_reason(exc)
        raise ShipUnreachable(ship, url, reason, what) from exc
    except DockerException as exc:
        # The API version round trip ("auto") wraps connection errors in DockerException.
        if isinstance(exc, APIError) or not isinstance(exc.__context__, TRANSPORT_ERRORS):
            raise
        what, reason = _short_reason(exc.__context__)
        raise ShipUnreachable(ship, url, reason, what) from exc


def _tls_config(ship):
    if not (ship.get("tls") or ship.get("tls_verify")):
        return False
    # Named errors for the ship's files (docker's TLSParameterError names neither).
    for key in ("tls_ca_cert", "tls_cert", "tls_key"):
        path = ship.get(key)
        if path and not os.path.isfile(path):
            raise ShipUnreachable(ship.get("name"), ship["docker_url"], "no such file: %s" % path, "has a bad %s" % key)
    if bool(ship.get("tls_cert")) != bool(ship.get("tls_key")):
        raise ShipUnreachable(
            ship.get("name"), ship["docker_url"], "give both or neither", "has only one of tls_cert and tls_key"
        )
    cert = None
    if ship.get("tls_cert"):
        cert = (ship["tls_cert"], ship["tls_key"])
    return docker.tls.TLSConfig(
        client_cert=cert,
        ca_cert=ship.get("tls_ca_cert"),
        verify=bool(ship.get("tls_verify")),
    )


if HAS_DOCKER:

    class _APIClient(docker.APIClient):
        """docker.APIClient whose TLS verification is the ship's own."""

        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace the session's
            # verify (a CA file, or False) on every request (psf/requests#3829), which
            # would check the ship's certificate against the wrong CAs.
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None:
                settings["verify"] = self.verify
            return settings


def _quiet_unverified(base_url):
    """Silence, for this host only, the warning urllib3 gives on every request to a daemon
    whose certificate is not checked: the ship asked for that (tls without tls_verify)."""
    host = urlparse(base_url).hostname or ""
    warnings.filterwarnings("ignore", message="Unverified HTTPS request is being made to host '%s'" % re.escape(host))


# ---- SSH tunnels (ships with ssh_tunnel; see ssh_tunnel.py) -------------------------------
def _base_url(ship):
    """The URL the client dials: the local end of the ship's SSH tunnel, if it has one."""
    if not ship.get("ssh_tunnel"):
        return ship["docker_url"]
    try:
        return ssh_tunnel.local_url(ship)
    except ssh_tunnel.TunnelError as exc:
        raise ShipUnreachable(ship.get("name"), ssh_tunnel.describe(ship), str(exc)) from None


# ---- end of SSH tunnels -------------------------------------------------------------------


def ship_at(name: str, url: str, **settings: Any) -> Ship:
    """The ship named ``name`` whose Docker API is at ``url``, with ``settings`` (keys of
    records.Ship) over the defaults: a ship that no environment file describes (maestro.ng.container's
    options, the lab's own daemons)."""
    parsed = urlparse(url)
    ship: Ship = {
        "name": name,
        "ip": parsed.hostname or "127.0.0.1",
        "endpoint": parsed.hostname or "",
        "docker_port": parsed.port or DEFAULT_DOCKER_PORT,
        "socket_path": parsed.path if parsed.scheme == "unix" else None,
        "docker_url": url,
        "api_version": None,
        "timeout": DEFAULT_TIMEOUT,
        "ssh_timeout": None,
        "ssh_tunnel": None,
        "tls": False,
        "tls_verify": False,
        "tls_ca_cert": None,
        "tls_cert": None,
        "tls_key": None,
    }
    ship.update(cast("Ship", settings))
    return ship


def connect(ship: Ship) -> docker.APIClient:
    """Return the shared ``docker.APIClient`` for a ship dict.

    ``ship`` keys: name, docker_url, api_version (None = 1.41, "auto" = ask the daemon),
    timeout, tls, tls_verify, tls_ca_cert, tls_cert, tls_key; with ssh_tunnel also
    endpoint, docker_port, socket_path and ssh_timeout (see ssh_tunnel.py). The client gets a
    ``docker_url`` attribute holding the URL as given.
    """
    version = ship.get("api_version") or DEFAULT_API_VERSION
    timeout = ship.get("timeout") or DEFAULT_TIMEOUT
    base_url = _base_url(ship)
    key = (
        base_url,
        version,
        timeout,
        bool(ship.get("tls")),
        bool(ship.get("tls_verify")),
        ship.get("tls_ca_cert"),
        ship.get("tls_cert"),
        ship.get("tls_key"),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            with connection_errors(ship.get("name"), ship["docker_url"]):
                client = _APIClient(
                    base_url=base_url,
                    version=version,
                    timeout=timeout,
                    tls=_tls_config(ship),
                    max_pool_size=MAX_THREADS,
                )
            if client.verify is False:
                _quiet_unverified(client.base_url)
            # base_url is rewritten (tcp:// -> http://); messages show the URL as given.
            client.docker_url = ship["docker_url"]
            _clients[key] = client
        return client


def error_text(exc: Exception) -> str:
    """What the daemon said (a Docker API error's explanation), else the exception's text."""
    explanation = getattr(exc, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return (explanation or str(exc)).strip()


def short_id(value: Any) -> Any:
    """An image or container id as Docker shows it, its first 12 hex digits (no ``sha256:``);
    anything else (a state, a time, None) as it is."""
    if isinstance(value, str):
        digest = value.partition(":")[2] if value.startswith("sha256:") else value
        if len(digest) == 64:
            return digest[:12]
    return value


def image_inspect(client: docker.APIClient, image: str) -> Optional[dict[str, Any]]:
    """The inspect of ``image`` on the client's daemon, or None when it does not have it."""
    try:
        return client.inspect_image(image)
    except NotFound:
        return None


def image_id(client: docker.APIClient, image: str) -> Optional[str]:
    """The id of ``image`` on the client's daemon, or None when it does not have it."""
    found = image_inspect(client, image)
    return found["Id"] if found else None


def containers_by_name(client: docker.APIClient, names: Optional[Iterable[str]] = None) -> dict[str, dict]:
    """{container name: its entry in the ship's container listing}, all containers or those
    whose names match ``names`` (Docker matches them as patterns: look the names up exactly)."""
    entries = client.containers(all=True, filters={"name": list(names)} if names else None)
    return {name.lstrip("/"): entry for entry in entries for name in entry.get("Names") or []}
