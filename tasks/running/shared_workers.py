"""Warm extraction workers shared by the runs of one machine and home: a command's first page waits for no import.

A fresh extraction process pays 2.5-3 s of CPU before its first page (Python, trafilatura, spaCy and the English
model, the language identifier, dateparser's tables, datasketch), and 2-5 s more for each other language's model:
more than a small run's pages cost. So runs started by the `pagefold` command line (and the tests' own flow runs)
hand their chunks to a service that keeps `tasks.running.pool`'s pool alive between runs, with every model it has
loaded: the first run starts it (`SharedWorkers`, a `service.SharedService`: its files in the home, its lock, its
idle stop), the next ones find it warm. It stops after no run has used it for PAGEFOLD_WORKERS_IDLE_S seconds
(default 600); 0 gives each run a pool of its own, in its own process, as a deployed or Dask run has.

Each chunk keeps its deadlines: the service schedules it on its pool with the time-out the run gave (pebble counts
it from the chunk's start in a worker, so a chunk queued behind another run's waits for free), and sends back its
result or what ended it (a time-out, a dead worker, a model not loaded, an error of its own), which the run's
`pool.results` handles as it does for a pool of its own. A run that stops, or dies, cancels its chunks: the
service kills the workers running them (pebble replaces them), so a stop still stops the work at once.

A service serves only runs of its key: the Python environment, its installed packages (the folder's time of
change), Pagefold's code (every file's size and time of change) and the settings that change what a worker does
(PAGEFOLD_NER_MODELS). Runs of another key start a service of their own; an unused one stops when idle.

The protocol, over `multiprocessing.connection` (its authentication key in the state file, which only the
home's owner can read; the service gets it in its environment): the run sends ("warm", workers) and ("run", id,
workers, languages, call and arguments pickled, time-out); the service (`tasks.running.workers_server`) answers
("result", id, the result pickled) or ("error", id, exception).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import secrets
import socket
import sys
import struct
import sysconfig
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from importlib.metadata import version
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from pathlib import Path

from tasks.entities import MODELS_ENV
from tasks.running.service import SharedService, digest

IDLE_ENV = "PAGEFOLD_WORKERS_IDLE_S"
AUTHKEY_ENV = "PAGEFOLD_WORKERS_AUTHKEY"
# A service that does not answer within these is taken for gone (stopped with SIGSTOP, swapped out, wedged): the
# handshake, and a ping sent once no answer has come for PING_EVERY_S while chunks are pending.
ANSWER_WITHIN_S = 30.0
PING_EVERY_S = 10.0
CODE = Path(__file__).resolve().parents[2]  # the folder of the packages a worker imports (tasks, schemas)


def enabled() -> bool:
    """Whether runs of this process should use the shared workers (PAGEFOLD_WORKERS_IDLE_S is not 0)."""
    return float(os.environ.get(IDLE_ENV) or SharedWorkers.idle_s) > 0


class SharedWorkers(SharedService):
    """The home's extraction service for this environment (see `SharedService`)."""

    name = "workers"
    module = "tasks.running.workers_server"
    idle_env = IDLE_ENV
    idle_s = 600.0  # an operator's commands minutes apart find their models loaded; idle workers cost memory only

    @classmethod
    def environment_key(cls) -> str:
        code = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for package in ("tasks", "schemas")
                for p in sorted((CODE / package).rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
        # Set and empty (no entity recognition) is not unset (the registry's models).
        models = os.environ.get(MODELS_ENV)
        return digest(sys.prefix, Path(sysconfig.get_paths()["purelib"]).stat().st_mtime_ns, version("pagefold"),
                      "unset" if models is None else f"set:{models}", code)

    def _secrets(self) -> dict[str, str]:
        return {AUTHKEY_ENV: secrets.token_hex(32)}


class WorkersClient:
    """This process's connection to the service: chunks scheduled there, their futures resolved as answers come.

    Raises OSError (or multiprocessing's AuthenticationError) when the service cannot be reached, does not answer
    within ANSWER_WITHIN_S, or its state file is damaged.
    """

    def __init__(self, home: Path):
        self.service = SharedWorkers(home)
        try:
            self.connection = _connect(self.service.port, self.service.state.get(AUTHKEY_ENV))
        except BaseException:
            self.service.release()
            raise
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()  # the futures pending, and whether answers can still come
        self._futures: dict[int, Future] = {}
        self._gone = False
        self._ids = itertools.count()
        self._reader = threading.Thread(target=self._read, name="pagefold-workers-client", daemon=True)
        self._reader.start()

    def warm_up(self, workers: int) -> None:
        """Have the service start its pool of `workers` now (a service that is gone fails the first chunk instead)."""
        with contextlib.suppress(OSError):
            self._send(("warm", workers))

    def schedule(self, workers: int, languages: tuple[str, ...], call: Callable, args: tuple,
                 timeout: float) -> Future:
        """`call(*args)` on the service's pool of `workers` processes, within `timeout` seconds of its start; pools
        it starts from now on load the NER models of `languages` too. Raises BrokenProcessPool, and the future
        ends so, when the service is gone."""
        future: Future = Future()
        task_id = next(self._ids)
        with self._lock:
            if self._gone:
                raise BrokenProcessPool("the shared extraction workers are gone")
            self._futures[task_id] = future
        try:
            self._send(("run", task_id, workers, languages, pickle.dumps((call, args), protocol=5), timeout))
        except OSError as exc:
            with self._lock:
                self._futures.pop(task_id, None)
            raise BrokenProcessPool(f"the shared extraction workers are gone ({exc})") from None
        return future

    def close(self) -> None:
        """Disconnect: the service cancels what this process had scheduled there, and this process no longer
        counts as its user."""
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(self.connection.fileno())) as end:
            end.shutdown(socket.SHUT_RDWR)  # the reader's recv returns (a close alone would not wake it)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self.connection.close()
        self.service.release()

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            self.connection.send(message)

    def _read(self) -> None:
        """Resolve each future as its answer comes; once none can come (the connection closed, or the service has
        not answered a ping within ANSWER_WITHIN_S), fail those still pending."""
        pinged = None  # when the ping still unanswered was sent
        while True:
            try:
                if not self.connection.poll(PING_EVERY_S):
                    if pinged is not None and time.monotonic() - pinged > ANSWER_WITHIN_S:
                        break
                    if pinged is None and self._futures:
                        pinged = time.monotonic()
                        if not self._send_lock.acquire(timeout=ANSWER_WITHIN_S):
                            break  # a send has been blocked that long: the service reads nothing
                        try:
                            self.connection.send(("ping",))
                        finally:
                            self._send_lock.release()
                    continue
                kind, task_id, value = self.connection.recv()
            except (EOFError, OSError, TypeError):  # closed here (TypeError: by another thread, mid-read), or there
                break
            pinged = None
            if kind == "pong":
                continue
            with self._lock:
                future = self._futures.pop(task_id, None)
            if future is None:
                continue
            if kind == "result":
                future.set_result(pickle.loads(value))
            else:
                future.set_exception(value)
        with self._lock:
            self._gone = True
            pending, self._futures = list(self._futures.values()), {}
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(self.connection.fileno())) as end:
            end.shutdown(socket.SHUT_RDWR)  # a send blocked on a service that stopped reading returns
        for future in pending:
            future.set_exception(BrokenProcessPool("the shared extraction workers are gone"))


def _connect(port: int, authkey: str | None) -> Connection:
    """A connection to the service on `port`, both ends authenticated (as `multiprocessing.connection.Client`
    does), the handshake within ANSWER_WITHIN_S. OSError when it cannot be made."""
    try:
        key = bytes.fromhex(authkey or "")
    except ValueError:
        raise OSError("its state file is damaged") from None
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_WITHIN_S) as sock:
        sock.settimeout(None)  # a blocking descriptor, as Connection reads it; the kernel's time-outs instead:
        _time_outs(sock, ANSWER_WITHIN_S)  # a read or write blocked that long fails (EAGAIN)
        connection = Connection(sock.detach())
    try:
        answer_challenge(connection, key)
        deliver_challenge(connection, key)
        with socket.socket(fileno=os.dup(connection.fileno())) as sock:
            _time_outs(sock, 0)  # none from now on: the reader's pings watch the service
    except BaseException:
        connection.close()
        raise
    return connection


def _time_outs(sock: socket.socket, seconds: float) -> None:
    value = struct.pack("ll", int(seconds), 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
