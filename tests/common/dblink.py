"""A database link a test can cut and black-hole: a TCP proxy on 127.0.0.1.

The app connects to the proxy's port; each connection is forwarded to PostgreSQL
until the test says otherwise:

- ``cut()``: every link is closed and new connections are refused, as when the
  server is down;
- ``blackhole()``: bytes are read but nothing is forwarded and nothing answers, as
  when a server or a firewall in between stops responding without closing anything;
- ``restore()``: forwarding again. Links from before are closed: a black-holed link
  lost bytes, so its PostgreSQL protocol stream cannot continue.

Threads, blocking sockets: two pumps per link, one acceptor per listening socket.
"""

from __future__ import annotations

import socket
import threading


class DatabaseLink:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()  # both ends of every open link
        self._threads: list[threading.Thread] = []
        self._blackholed = False
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def cut(self) -> None:
        with self._lock:
            self._close_listener()
            self._shut_links()

    def blackhole(self) -> None:
        with self._lock:
            self._blackholed = True

    def restore(self) -> None:
        with self._lock:
            self._blackholed = False
            self._shut_links()
            if self._listener is None:
                self._listen()

    def close(self) -> None:
        self.cut()
        for thread in self._threads:
            thread.join(timeout=5)

    # What follows runs with the lock held, or in the link's own threads.

    def _listen(self) -> None:
        # The same port after a cut: the app's URL names it. create_server sets
        # SO_REUSEADDR, so the closed links' TIME_WAIT does not block the bind.
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        self._start(self._accept, self._listener)

    def _close_listener(self) -> None:
        if self._listener is not None:
            _shut(self._listener)  # wakes the acceptor's accept() on Linux
            self._listener.close()
            self._listener = None

    def _shut_links(self) -> None:
        # shutdown, not close: it wakes the pumps blocked in recv(), and each pump
        # closes its own socket, so no descriptor is closed under a thread using it.
        for sock in self._sockets:
            _shut(sock)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut() or close()
            with self._lock:
                blackholed = self._blackholed
            server = None
            if not blackholed:
                try:
                    server = socket.create_connection(self.upstream, timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
            with self._lock:
                self._sockets.add(client)
                self._start(self._pump, client, server)
                if server is not None:
                    self._sockets.add(server)
                    self._start(self._pump, server, client)

    def _pump(self, source: socket.socket, target: socket.socket | None) -> None:
        try:
            while data := source.recv(65536):
                if target is not None and not self._blackholed:
                    target.sendall(data)
        except OSError:
            pass  # the link was shut, or the peer went away
        finally:
            with self._lock:
                if target is not None:
                    _shut(target)  # the other direction ends too
                self._sockets.discard(source)
                source.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected, or already closed by its pump
