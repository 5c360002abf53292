# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections to the Docker daemons of ships.

One low-level ``docker.APIClient`` per set of connection parameters and per process, so
that the threads converging many containers on one ship share one connection pool.
"""

from __future__ import annotations

import re
import threading
import traceback
from contextlib import contextmanager

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
    class DockerException(Exception):
        pass

    class APIError(DockerException):
        pass

    class NotFound(APIError):
        pass

    class _RequestsConnectionError(Exception):
        pass

    class _RequestsTimeout(Exception):
        pass

    TRANSPORT_ERRORS = (_RequestsConnectionError, _RequestsTimeout)

# What callers import from here; NotFound is only re-exported (the stand-in when docker is missing).
__all__ = [
    'APIError', 'DEFAULT_API_VERSION', 'DEFAULT_TIMEOUT', 'DOCKER_IMPORT_ERROR', 'DockerException', 'HAS_DOCKER',
    'MAX_POOL_SIZE', 'NotFound', 'ShipUnreachable', 'TRANSPORT_ERRORS', 'connect', 'connection_errors',
]

# The newest API of Docker 20.10; pinning it saves the version round trip on connect.
DEFAULT_API_VERSION = '1.41'
DEFAULT_TIMEOUT = 60
# Enough connections for a thread per container of a ship plus its lifecycle checks.
MAX_POOL_SIZE = 32

_clients = {}
_clients_lock = threading.Lock()


class ShipUnreachable(Exception):
    """The Docker daemon of a ship did not answer."""

    def __init__(self, ship, url, reason):
        self.ship = ship
        self.url = url
        self.reason = reason
        super().__init__('ship %s (%s) is unreachable: %s' % (ship, url, reason))


def _short_reason(exc):
    """The useful tail of a requests/urllib3 error ("[Errno 111] Connection refused")."""
    text = str(exc)
    match = re.search(r'\[Errno -?\d+\] [^\'")]+', text)
    if match:
        return match.group(0).strip()
    if 'timed out' in text.lower():
        return 'timed out'
    return text


@contextmanager
def connection_errors(ship, url):
    """Turn connection failures raised inside the block into ShipUnreachable."""
    try:
        yield
    except TRANSPORT_ERRORS as exc:
        raise ShipUnreachable(ship, url, _short_reason(exc)) from exc
    except DockerException as exc:
        # The API version round trip ("auto") wraps connection errors in DockerException.
        if isinstance(exc, APIError) or not isinstance(exc.__context__, TRANSPORT_ERRORS):
            raise
        raise ShipUnreachable(ship, url, _short_reason(exc.__context__)) from exc


def _tls_config(ship):
    if not (ship.get('tls') or ship.get('tls_verify')):
        return False
    cert = None
    if ship.get('tls_cert') and ship.get('tls_key'):
        cert = (ship['tls_cert'], ship['tls_key'])
    return docker.tls.TLSConfig(
        client_cert=cert,
        ca_cert=ship.get('tls_ca_cert'),
        verify=bool(ship.get('tls_verify')),
    )


def connect(ship):
    """Return the shared ``docker.APIClient`` for a ship dict.

    ``ship`` keys: name, docker_url, api_version (None = 1.41, "auto" = ask the daemon),
    timeout, tls, tls_verify, tls_ca_cert, tls_cert, tls_key. The client gets a
    ``docker_url`` attribute holding the URL as given.
    """
    version = ship.get('api_version') or DEFAULT_API_VERSION
    timeout = ship.get('timeout') or DEFAULT_TIMEOUT
    key = (
        ship['docker_url'], version, timeout,
        bool(ship.get('tls')), bool(ship.get('tls_verify')),
        ship.get('tls_ca_cert'), ship.get('tls_cert'), ship.get('tls_key'),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            with connection_errors(ship.get('name'), ship['docker_url']):
                client = docker.APIClient(
                    base_url=ship['docker_url'],
                    version=version,
                    timeout=timeout,
                    tls=_tls_config(ship),
                    max_pool_size=MAX_POOL_SIZE,
                )
            # base_url is rewritten (tcp:// -> http://); messages show the URL as given.
            client.docker_url = ship['docker_url']
            _clients[key] = client
        return client
