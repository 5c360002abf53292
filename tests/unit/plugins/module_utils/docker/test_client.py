"""How plugins/module_utils/docker/client.py words a lost, slow or refused ship, from the
texts requests and urllib3 really produce (captured against the lab's daemons; the real
thing is in tests/integration/test_ship_connections.py), and its checks of TLS files."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.docker import client
from ansible_collections.maestro.ng.plugins.module_utils.docker.client import ShipUnreachable, _short_reason

POOL = "HTTPSConnectionPool(host='10.250.0.41', port=2376): Max retries exceeded with url: /v1.41/containers/json "

CASES = [
    (
        POOL + "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: "
        "Failed to establish a new connection: [Errno 111] Connection refused'))",
        "is unreachable",
        "[Errno 111] Connection refused",
    ),
    (
        "HTTPConnectionPool(host='127.0.0.1', port=41233): Read timed out. (read timeout=5)",
        "did not answer within 5 s",
        "timed out (raise the ship's timeout for a slow daemon)",
    ),
    (
        POOL + "(Caused by ConnectTimeoutError(<urllib3.connection.HTTPConnection object at 0x7f>, "
        "'Connection to 10.250.0.250 timed out. (connect timeout=2)'))",
        "is unreachable",
        "no connection within 2 s",
    ),
    (
        POOL + "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: unable to get local issuer certificate (_ssl.c:1006)')))",
        "failed TLS",
        "certificate verify failed: unable to get local issuer certificate (check tls_ca_cert)",
    ),
    (
        POOL + '(Caused by SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate '
        "verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'. (_ssl.c:1006)\")))",
        "failed TLS",
        "certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'. "
        "(the daemon's certificate does not name the endpoint)",
    ),
    (
        POOL + "(Caused by SSLError(SSLError(1, '[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate "
        "(_ssl.c:2580)')))",
        "failed TLS",
        "sslv3 alert bad certificate (the daemon refused our client certificate: check tls_cert and tls_key)",
    ),
    (
        POOL + "(Caused by SSLError(SSLEOFError(8, 'EOF occurred in violation of protocol (_ssl.c:2427)')))",
        "failed TLS",
        "EOF occurred in violation of protocol (the daemon refused our client certificate: check tls_cert and tls_key)",
    ),
]


@pytest.mark.parametrize("text, what, reason", CASES)
def test_short_reason(text, what, reason):
    assert _short_reason(Exception(text)) == (what, reason)


def test_message_names_the_ship():
    exc = ShipUnreachable("vm1", "tcp://10.0.0.1:2375", "timed out", "did not answer within 5 s")
    assert str(exc) == "ship vm1 (tcp://10.0.0.1:2375) did not answer within 5 s: timed out"
    assert str(ShipUnreachable("vm1", "u", "x")) == "ship vm1 (u) is unreachable: x"


@pytest.mark.skipif(not client.HAS_DOCKER, reason="needs the docker SDK")
def test_tls_files_are_checked(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("not read here")
    ship = {"name": "vm1", "docker_url": "tcp://10.0.0.1:2376", "tls": True}
    with pytest.raises(
        ShipUnreachable, match=r"^ship vm1 \(tcp://10.0.0.1:2376\) has a bad tls_ca_cert: no such file: /nope$"
    ):
        client._tls_config(dict(ship, tls_verify=True, tls_ca_cert="/nope"))
    with pytest.raises(ShipUnreachable, match=r"has only one of tls_cert and tls_key: give both or neither$"):
        client._tls_config(dict(ship, tls_cert=str(cert)))
    assert client._tls_config({"name": "vm1", "docker_url": "tcp://10.0.0.1:2375"}) is False
    config = client._tls_config(dict(ship, tls_cert=str(cert), tls_key=str(cert)))
    assert config.cert == (str(cert), str(cert)) and config.verify is False
