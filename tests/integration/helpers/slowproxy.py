"""A TCP proxy in front of a ship's Docker API that makes the daemon slow for real, and
logs every request line it forwards (method, path: the path carries the API version).

    with SlowProxy(("10.250.0.2", 2375), delay=6, slow=r"^POST /v[\\d.]+/containers/create") as proxy:
        ship = {"ip": "10.250.0.2", "endpoint": "127.0.0.1", "docker_port": proxy.port}
        ...
        proxy.requests     # [("GET", "/version"), ("POST", "/v1.41/containers/create?name=x"), ...]

Each client connection gets its own upstream connection and two pump threads; a request
whose request line matches ``slow`` is held ``delay`` seconds before it is forwarded, so
the client waits that long for the answer (its read timeout runs). Everything else,
including streams and hijacked attach/exec connections, passes through untouched.
"""

import re
import socket
import threading
import time

REQUEST_LINE = re.compile(rb"^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (\S+) HTTP/1\.[01]\r\n")


class SlowProxy:
    def __init__(self, upstream, delay=0.0, slow=None, listen=("127.0.0.1", 0)):
        self.upstream = upstream
        self.delay = delay
        self.slow = re.compile(slow) if slow else None
        self.requests = []  # (method, path), in arrival order
        self.delayed = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(listen, backlog=128)
        self.port = self._server.getsockname()[1]
        self.host = self._server.getsockname()[0]
        self._closed = False
        self._sockets = set()
        threading.Thread(target=self._accept, daemon=True, name="slowproxy-accept").start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closed = True
        self._server.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass

    def paths(self, method=None):
        with self._lock:
            return [p for m, p in self.requests if method is None or m == method]

    # ------------------------------------------------------------------ plumbing
    def _accept(self):
        while not self._closed:
            try:
                client, dummy = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            pumps = [2]  # the second pump to finish closes both sockets
            threading.Thread(target=self._pump, args=(client, upstream, True, pumps), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False, pumps), daemon=True).start()

    def _pump(self, src, dst, from_client, pumps):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client:
                    self._hold(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # Half-close: the other direction may still carry an answer.
            for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass
            with self._lock:
                pumps[0] -= 1
                last = pumps[0] == 0
                if last:
                    self._sockets.difference_update((src, dst))
            if last:
                src.close()
                dst.close()

    def _hold(self, data):
        match = REQUEST_LINE.match(data)
        if not match:
            return
        method, path = match.group(1).decode(), match.group(2).decode()
        with self._lock:
            self.requests.append((method, path))
        if self.slow and self.slow.search("%s %s" % (method, path)):
            with self._lock:
                self.delayed += 1
            time.sleep(self.delay)
