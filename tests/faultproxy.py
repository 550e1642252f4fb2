"""A fault-injecting HTTP proxy between Pagefold and an S3 server, for tests and the fault benchmark.

Every request is forwarded to the upstream server (moto's, in the tests),
except that a seeded share of them fail the way networks and S3 fail:

- `drop_before`: the connection closes before the request reaches the server;
- `drop_after`: the server did the work (a PUT is stored), then the
  connection closes before the response: the client retries a request that
  already succeeded, which is what trips a conditional PUT;
- `reset`: as `drop_after`, but with a TCP reset;
- `truncate`: status and headers arrive, the body is cut in the middle;
- `error_500`, `slow_down_503`: S3's InternalError and SlowDown answers.

Rules aim a fault at particular requests (method and a regular expression on
the path, for N matches after skipping some), so that a test can make sure
the lock's PUT response is lost or the release's GET is cut; paths matching
`exempt` get no random faults, only their rules', so that rules on them hit
the request they mean. Counters say what happened. Standard library only;
one thread per client connection.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

FAULTS = ("drop_before", "drop_after", "reset", "truncate", "error_500", "slow_down_503")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "expect", "te", "trailer",
               "upgrade", "content-length"}
_ERROR_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
               '</Error>')


@dataclass
class Rule:
    """Give the first `times` requests matching `method` and `path` (a regular expression on the URL-decoded path,
    with the query) the fault `fault`."""

    method: str
    path: str
    fault: str
    times: int = 1
    skip: int = 0  # matching requests to let through first


class FaultProxy:
    """`FaultProxy(upstream, rate, seed)`; `.endpoint` is the URL to give the product; use as a context manager."""

    def __init__(self, upstream: str, rate: float = 0.0, seed: int = 0, faults: tuple[str, ...] = FAULTS,
                 rules: list[Rule] | None = None, exempt: str | None = None):
        self.upstream = urlsplit(upstream)
        self.rate, self.faults, self.exempt = rate, faults, exempt
        self.rules = list(rules or [])
        self.counts: Counter = Counter()  # requests, faults by kind, retries, rules fired
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._faulted: set[tuple] = set()  # requests that met a fault, to count their retries
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def report(self) -> str:
        kinds = ", ".join(f"{kind} {self.counts[kind]}" for kind in FAULTS if self.counts[kind])
        return (f"{self.counts['requests']} requests, {self.counts['faults']} faults ({kinds or 'none'}), "
                f"{self.counts['retries']} retried requests")

    def _decide(self, method: str, path: str, identity: tuple) -> str | None:
        with self._lock:
            self.counts["requests"] += 1
            if identity in self._faulted:  # the same request again after a fault: a retry (counted once per fault)
                self._faulted.discard(identity)
                self.counts["retries"] += 1
            fault, path = None, unquote(path)
            for rule in self.rules:
                if rule.times > 0 and rule.method == method and re.search(rule.path, path):
                    if rule.skip:
                        rule.skip -= 1
                        continue
                    rule.times -= 1
                    fault = rule.fault
                    self.counts[f"rule {rule.method} {rule.path} {rule.fault}"] += 1
                    break
            exempt = self.exempt is not None and re.search(self.exempt, path)
            if fault is None and not exempt and self.rate and self._random.random() < self.rate:
                fault = self._random.choice(self.faults)
            if fault == "truncate" and method == "HEAD":
                fault = "drop_after"  # a HEAD answer has no body to cut
            if fault:
                self.counts["faults"] += 1
                self.counts[fault] += 1
                self._faulted.add(identity)
            return fault


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive, as S3 clients expect; also answers `Expect: 100-continue`

    def log_message(self, *args) -> None:  # quiet: the counters say what happened
        pass

    def do_GET(self) -> None:
        self._proxy()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def _proxy(self) -> None:
        body = self._request_body()
        identity = (self.command, self.path, hash(body))  # a resumed read (a Range GET) counts as a retry too
        fault = self.owner._decide(self.command, self.path, identity)
        if fault == "drop_before":
            return self._close()
        if fault in ("error_500", "slow_down_503"):
            return self._error(fault)
        try:
            status, reason, headers, payload = self._forward(body)
        except OSError:
            return self._close()
        if fault == "drop_after":
            return self._close()
        if fault == "reset":
            return self._close(reset=True)
        self.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
        self.send_header("Content-Length", length if self.command == "HEAD" else str(len(payload)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            return self._close()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.owner.upstream.hostname, self.owner.upstream.port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST")
                               else None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.reason, response.getheaders(), payload
        finally:
            connection.close()

    def _error(self, fault: str) -> None:
        code, message, status = (("InternalError", "We encountered an internal error. Please try again.", 500)
                                 if fault == "error_500" else ("SlowDown", "Please reduce your request rate.", 503))
        payload = _ERROR_BODY.format(code=code, message=message).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _close(self, reset: bool = False) -> None:
        if reset:  # SO_LINGER with a zero timeout: close() sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR) if not reset else None
        except OSError:
            pass
