"""Smoke tests of the multi-ship Docker lab itself (files/lab/lab.sh + lab.py)."""

import os
import socket
import time
from pathlib import Path

import pytest
import requests
from helpers.lab import API_VERSION, IMAGE, IMAGE_V2

HTTP_GET = "GET /etc/hostname HTTP/1.0\r\n\r\n"


def _http_get_hostname(ip, port, deadline_s=15):
    """GET /etc/hostname from a busybox httpd (the image's CMD serves /), retrying until
    the server listens. Returns the raw response."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with socket.create_connection((ip, port), timeout=5) as s:
                s.sendall(HTTP_GET.encode())
                chunks = []
                while True:
                    data = s.recv(4096)
                    if not data:
                        break
                    chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_three_ships_answer(lab):
    assert [s["name"] for s in lab.ships] == ["ship%d" % s["number"] for s in lab.ships]
    assert len(lab.ships) == 3
    for k, ship in enumerate(lab.ships, 1):
        assert ship["url"] == "tcp://%s:2375" % ship["ip"]
        api = lab.client(k)
        assert api.ping() is True
        assert api.version()["ApiVersion"] >= API_VERSION


def test_images_on_every_ship(lab):
    for k in range(1, len(lab.ships) + 1):
        api = lab.client(k)
        latest = api.inspect_image(IMAGE)
        v2 = api.inspect_image(IMAGE_V2)
        assert latest["Id"] != v2["Id"]
        assert latest["Config"]["Labels"]["version"] == "1"
        assert v2["Config"]["Labels"]["version"] == "2"


def test_cross_ship_traffic_and_fast_stop(clean_lab):
    lab = clean_lab
    server, client = lab.client(2), lab.client(1)
    server_ip = lab.ships[1]["ip"]

    # ship2: the image's default CMD (httpd on :80 serving /), published on 8080.
    cid = server.create_container(
        IMAGE, name="lab-smoke-httpd", ports=[80], host_config=server.create_host_config(port_bindings={80: 8080})
    )["Id"]
    server.start(cid)
    hostname = server.inspect_container(cid)["Config"]["Hostname"]

    # host -> ship2:8080
    reply = _http_get_hostname(server_ip, 8080)
    assert " 200 " in reply.splitlines()[0], reply
    assert hostname in reply

    # ship1 container -> ship2:8080 (cross-ship traffic over the lab bridge)
    probe = client.create_container(
        IMAGE,
        name="lab-smoke-probe",
        command=["sh", "-c", "printf '%s' | nc -w 5 %s 8080" % (HTTP_GET.replace("\r\n", "\\r\\n"), server_ip)],
    )["Id"]
    client.start(probe)
    assert client.wait(probe, timeout=30)["StatusCode"] == 0
    out = client.logs(probe).decode(errors="replace")
    assert " 200 " in out and hostname in out, out

    # The default CMD handles SIGTERM: `docker stop` does not wait for the kill timeout.
    t0 = time.monotonic()
    server.stop(cid, timeout=10)
    elapsed = time.monotonic() - t0
    assert elapsed < 3, "stop took %.1fs" % elapsed
    assert server.inspect_container(cid)["State"]["ExitCode"] == 0


def test_stop_and_start_ship(clean_lab):
    lab = clean_lab
    k = 3
    ship = lab.ship(k)
    api = lab.client(k)
    cid = api.create_container(IMAGE, name="lab-survivor")["Id"]
    api.start(cid)

    lab.stop_ship(k)
    try:
        assert not lab.api_up(k)
        with pytest.raises(requests.exceptions.ConnectionError):
            lab.client(k, timeout=5).ping()
        with pytest.raises(OSError):
            socket.create_connection((ship["ip"], 2375), timeout=2).close()
        # the other ships are unaffected
        assert lab.client(1).ping()
    finally:
        lab.start_ship(k)

    api = lab.client(k)
    assert api.ping() is True
    # The container is still defined on the ship (stopped by the daemon shutdown).
    state = api.inspect_container(cid)["State"]
    assert state["Running"] is False
    assert api.inspect_image(IMAGE)["Id"]
    api.remove_container(cid, force=True)


def test_a_stale_containerd_pidfile_naming_another_process_does_not_stop_a_ship_starting(clean_lab):
    # dockerd adopts whatever live process its containerd pidfile names; pids are reused, so
    # after a stop the file may name another ship's containerd thread (seen: a lab that never
    # came up, "timeout waiting for containerd to start"). This process stands in for it.
    lab, k = clean_lab, 2
    pidfile = Path(lab.ship(k)["socket"]).parent / "containerd" / "containerd.pid"
    lab.stop_ship(k)
    try:
        pidfile.write_text(str(os.getpid()))
    finally:
        lab.start_ship(k)
    assert lab.client(k).ping() is True
    assert pidfile.read_text().strip() != str(os.getpid())
