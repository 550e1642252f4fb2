"""The process of the shared extraction workers (`tasks.running.shared_workers`): it runs `tasks.running.pool`'s
pool for the runs that connect to it, and stops when idle or on SIGTERM, its workers with it.

Started as `python -P -m tasks.running.workers_server HOME KEY FD IDLE_S` by `shared_workers.SharedWorkers`. Each
connection is served by a thread of its own: its chunks scheduled on the pool (their calls stay pickled until a
worker runs them, so this process never imports extraction), their outcomes sent back as they end; when the
connection closes (the run ended, stopped or died), the chunks it left are cancelled, and pebble kills the
workers running them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import sys
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from pathlib import Path

from tasks.running import pool
from tasks.running.service import stop_when_idle
from tasks.running.shared_workers import AUTHKEY_ENV, SharedWorkers


def run_pickled(blob: bytes) -> bytes:
    """In a worker: the pickled call, its result pickled (the service relays bytes; it never imports extraction)."""
    call, args = pickle.loads(blob)
    return pickle.dumps(call(*args), protocol=5)


def _serve_connection(connection: Connection, authkey: bytes) -> None:
    """One run's connection: its chunks on the pool, their outcomes back; its pending chunks cancelled when it goes."""
    futures: dict[int, Future] = {}
    send_lock = threading.Lock()

    def answer(task_id: int, future: Future, target) -> None:
        futures.pop(task_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, BrokenProcessPool):
            pool.discard(target)
        message = ("result", task_id, future.result()) if error is None else ("error", task_id, _picklable(error))
        with send_lock, contextlib.suppress(OSError):
            connection.send(message)

    try:
        deliver_challenge(connection, authkey)
        answer_challenge(connection, authkey)
        while True:
            message = connection.recv()
            if message[0] == "ping":  # the run checks that this process still answers
                with send_lock:
                    connection.send(("pong", 0, None))
            elif message[0] == "warm":
                pool.warm_up(message[1])
            else:
                _, task_id, workers, languages, blob, timeout = message
                future, target = pool.schedule(workers, languages, run_pickled, (blob,), timeout)
                futures[task_id] = future
                future.add_done_callback(lambda done, task_id=task_id, target=target: answer(task_id, done, target))
    except Exception:  # the run closed its end (EOFError, OSError) or failed the handshake: nothing more to serve
        pass
    finally:
        for future in list(futures.values()):
            future.cancel()  # pebble kills the worker of a chunk under way
        connection.close()


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.dumps(error)
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")


def serve(home: Path, key: str, fd: int, idle_s: float) -> None:
    """The service's process: runs' connections on the listening socket `fd`, until no run has used it for
    `idle_s` seconds or it gets SIGTERM; its workers stop with it."""
    authkey = bytes.fromhex(os.environ.pop(AUTHKEY_ENV))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=stop_when_idle, args=(home, SharedWorkers.name, key, idle_s, stop.is_set, stop.set),
                     daemon=True).start()
    with socket.socket(fileno=fd) as listener:
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                accepted, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.settimeout(None)
            threading.Thread(target=_serve_connection, args=(Connection(accepted.detach()), authkey),
                             daemon=True).start()
    pool.shutdown_pools()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))

