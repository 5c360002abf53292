"""A real, authenticating Docker registry on the lab bridge, for the registry tests.

    reg = Registry(port=5443, user="maestro", password="...")
    reg.start()                  # https://10.250.0.1:5443, htpasswd (bcrypt) auth, TLS
    reg.host                     # '10.250.0.1:5443'
    proxy = FlakyProxy(reg, port=5444)
    proxy.start()                # the same registry behind https://10.250.0.1:5444 ...
    proxy.fail(2, 503)           # ... whose next 2 manifest requests answer 503
    proxy.stop(); reg.stop()

The registry is Debian's `docker-registry` binary (`docker-registry serve config.yml`).
Its TLS certificate is signed by a CA made here with openssl; the CA goes to
/etc/docker/certs.d/HOST:PORT/ca.crt, which every lab dockerd reads at pull time (they
all share this host's file system), so the ships trust it without any daemon setting.

Everything lives in /var/tmp/maestro-registry-PORT/. start() is idempotent: a registry
left by an earlier run is stopped first, found only through the pidfile written here.
"""

import http.client
import http.server
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

from .certs import make_ca, sign

BRIDGE_IP = "10.250.0.1"  # mbr0: the ships reach the host there
CERTS_D = Path("/etc/docker/certs.d")
REGISTRY_BIN = "docker-registry"
REQUIRED_TOOLS = (REGISTRY_BIN, "htpasswd", "openssl")

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: %(data)s}
  delete: {enabled: true}
http:
  addr: %(addr)s
  tls: {certificate: %(cert)s, key: %(key)s}
auth:
  htpasswd: {realm: maestro-test, path: %(htpasswd)s}
"""


def missing_tools():
    """The tools this module needs that are not installed (a list)."""
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def _run(*argv, **kwargs):
    return subprocess.run(
        [str(a) for a in argv],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        **kwargs,
    )


def _alive(pid, name):
    """pid runs a program whose command line holds ``name`` (not a reused pid)."""
    try:
        return name.encode() in Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        return False


def _stop_pid(pidfile, name):
    try:
        pid = int(Path(pidfile).read_text().strip())
    except (OSError, ValueError):
        return
    if _alive(pid, name):
        os.kill(pid, signal.SIGTERM)
        for dummy in range(50):
            if not _alive(pid, name):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    Path(pidfile).unlink(missing_ok=True)


def trust(host, ca_crt):
    """Make every dockerd of this host trust ``ca_crt`` for the registry at ``host``."""
    folder = CERTS_D / host
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "ca.crt.tmp"
    shutil.copyfile(ca_crt, tmp)
    os.replace(tmp, folder / "ca.crt")


def untrust(host):
    shutil.rmtree(CERTS_D / host, ignore_errors=True)


def wait_port(ip, port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Registry:
    """docker-registry with htpasswd auth and TLS on BRIDGE_IP:port."""

    def __init__(self, port, user, password, ip=BRIDGE_IP, root="/var/tmp"):
        self.ip, self.port, self.user, self.password = ip, port, user, password
        self.host = "%s:%d" % (ip, port)
        self.url = "https://%s" % self.host
        self.folder = Path(root) / ("maestro-registry-%d" % port)
        self.pidfile = self.folder / "registry.pid"
        self.ca = self.folder / "ca.pem"
        self.cert = self.folder / "server-cert.pem"
        self.key = self.folder / "server-key.pem"

    def start(self):
        _stop_pid(self.pidfile, REGISTRY_BIN)  # a leftover from an earlier run
        shutil.rmtree(self.folder, ignore_errors=True)
        (self.folder / "data").mkdir(parents=True)
        make_ca(self.folder, "maestro-test registry CA")
        sign(
            self.folder,
            self.folder,
            "server",
            self.ip,
            "subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth" % self.ip,
        )
        htpasswd = self.folder / "htpasswd"
        htpasswd.write_text(_run("htpasswd", "-Bbn", self.user, self.password).stdout)
        config = self.folder / "config.yml"
        config.write_text(
            CONFIG
            % {
                "data": self.folder / "data",
                "addr": self.host,
                "cert": self.cert,
                "key": self.key,
                "htpasswd": htpasswd,
            }
        )
        with open(self.folder / "registry.log", "ab") as log:
            proc = subprocess.Popen(
                [REGISTRY_BIN, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.pidfile.write_text("%d\n" % proc.pid)
        self._proc = proc
        try:
            wait_port(self.ip, self.port)
        except OSError:
            raise RuntimeError(
                "docker-registry did not listen on %s: %s"
                % (self.host, (self.folder / "registry.log").read_text()[-2000:])
            ) from None
        trust(self.host, self.ca)
        return self

    def stop(self):
        _stop_pid(self.pidfile, REGISTRY_BIN)
        if getattr(self, "_proc", None) is not None:
            self._proc.wait(timeout=10)
        untrust(self.host)
        shutil.rmtree(self.folder, ignore_errors=True)

    def ssl_context(self):
        return ssl.create_default_context(cafile=str(self.ca))


class FlakyProxy:
    """An HTTPS proxy in front of a Registry that can fail the next N pull attempts with
    an HTTP error (what a registry behind a busy load balancer does), and logs them.

    dockerd starts each pull attempt with a HEAD of the manifest (then tries a GET when
    that fails), so an attempt is counted at each manifest HEAD, and `attempts` holds the
    status each attempt got; the GET that follows a failed HEAD fails too. What an attempt
    got is kept per client (ship) address, since several ships pull at once. The proxy serves with the registry's own certificate (same
    IP), and its host gets the same CA in certs.d. It runs in threads of the test process.
    """

    def __init__(self, registry, port):
        self.registry = registry
        self.port = port
        self.host = "%s:%d" % (registry.ip, port)
        self.lock = threading.Lock()
        self.to_fail = 0
        self.status = 503
        self.failing = {}  # client address -> whether its current attempt is failed
        self.attempts = []

    def fail(self, count, status=503):
        """Answer ``status`` to the next ``count`` pull attempts; forget earlier attempts."""
        with self.lock:
            self.to_fail, self.status, self.failing, self.attempts = count, status, {}, []

    def _decide(self, method, client):
        """The error status to answer this manifest request of ``client`` with, or None to relay it."""
        with self.lock:
            if method == "HEAD":
                self.failing[client] = self.to_fail > 0
                if self.failing[client]:
                    self.to_fail -= 1
                self.attempts.append(self.status if self.failing[client] else "relayed")
            return self.status if self.failing.get(client) else None

    def start(self):
        proxy = self
        registry = self.registry

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status, headers, data):
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if "/manifests/" in self.path:
                    status = proxy._decide(self.command, self.client_address[0])
                    if status is not None:
                        self._answer(status, [("Content-Type", "text/plain")], b"try again later\n")
                        return
                upstream = http.client.HTTPSConnection(
                    registry.ip, registry.port, timeout=30, context=registry.ssl_context()
                )
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                upstream.putheader("Host", registry.host)
                for key, value in self.headers.items():  # repeated headers (Accept) kept
                    if key.lower() not in ("host", "connection"):
                        upstream.putheader(key, value)
                upstream.endheaders(body)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                # Redirects and auth realms name the registry: keep the client on the proxy.
                headers = [
                    (k, v.replace(registry.host, proxy.host))
                    for k, v in answer.getheaders()
                    if k.lower() not in ("connection", "transfer-encoding", "content-length")
                ]
                self._answer(answer.status, headers, data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

        server = http.server.ThreadingHTTPServer((registry.ip, self.port), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(registry.cert), str(registry.key))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        trust(self.host, registry.ca)
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        untrust(self.host)
