"""Servers the app runs behind in the tests: waitress in a thread (as ``make run`` and
production.ini serve it), nginx terminating TLS in front (``docs/nginx.conf.example``),
and the certificate the clients trust.

waitress gets production.ini's ``[server:main]`` settings (trusted proxy, the
X-Forwarded-* it trusts, its body limit) with only the listening address changed, and
nginx runs ``docs/nginx.conf.example`` with only its addresses and certificate changed:
the production tests prove the shipped configuration, not a copy of it. The certificate
is made for 127.0.0.1, and clients trust exactly that certificate.

nginx is Debian's (``.ci/run`` installs it); tests that need it skip, saying so, without it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import plaster
import pytest
from waitress.server import create_server

from . import ROOT

PRODUCTION_INI = os.path.join(ROOT, "production.ini")
NGINX_EXAMPLE = Path(ROOT, "docs", "nginx.conf.example")
# Debian puts nginx in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")

needs_nginx = pytest.mark.skipif(
    not NGINX, reason="no nginx here: apt-get install nginx (.ci/run does)"
)


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    #: base64 SHA-256 of the public key, what Chromium's --ignore-certificate-errors-spki-list takes.
    spki_sha256: str

    def client_context(self) -> ssl.SSLContext:
        """Verifies the server against this certificate alone (hostname checks included)."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for the IP address 127.0.0.1 (an IP SAN: no name to resolve)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # fast to make, unlike RSA
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Certificate(cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode())


def production_server_settings() -> dict:
    """production.ini's ``[server:main]`` for waitress, listening on a free local port."""
    settings = dict(plaster.get_settings(PRODUCTION_INI, "server:main"))
    settings.pop("use")  # the entry point: we call waitress ourselves
    settings["listen"] = "127.0.0.1:0"
    return settings


@contextlib.contextmanager
def waitress_in_thread(app, **settings):
    """waitress serving ``app`` with these settings from a thread; yields the server.

    The serving loop runs in slices so the thread can stop it and close the sockets
    itself: closing them from outside races the loop's select().
    """
    server = create_server(app, **settings)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.asyncore.close_all(server._map)  # the listening socket and every connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()


@contextlib.contextmanager
def waitress_serving(app):
    """waitress with production.ini's settings in a thread; yields its port."""
    with waitress_in_thread(app, **production_server_settings()) as server:
        yield server.effective_port


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _substitute(text: str, old: str, new: str) -> str:
    # Exactly once: if the example changes shape, this fails loudly instead of testing less.
    assert text.count(old) == 1, f"docs/nginx.conf.example no longer has exactly one {old!r}"
    return text.replace(old, new)


def nginx_config(directory: Path, port: int, upstream_port: int, certificate: Certificate) -> str:
    """nginx.conf: a foreground nginx whose files all live in ``directory``, serving
    docs/nginx.conf.example on 127.0.0.1:``port``."""
    site = NGINX_EXAMPLE.read_text()
    site = _substitute(site, "server 127.0.0.1:6543;", f"server 127.0.0.1:{upstream_port};")
    site = _substitute(site, "listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = _substitute(site, "/etc/ssl/certs/hq.example.com.pem", str(certificate.cert_path))
    site = _substitute(site, "/etc/ssl/private/hq.example.com.key", str(certificate.key_path))
    temp_paths = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Started as root, nginx's workers would become "nobody", who cannot enter pytest's
    # private temporary directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    access_log {directory / "access.log"};
{temp_paths}
{site}
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen, error_log: Path, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{error_log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within {timeout} s:\n{error_log.read_text()}")


@contextlib.contextmanager
def nginx_proxy(directory: Path, port: int, upstream_port: int, certificate: Certificate):
    """nginx in the foreground, terminating TLS on 127.0.0.1:``port``; yields its https URL."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nginx.conf"
    config.write_text(nginx_config(directory, port, upstream_port, certificate))
    error_log = directory / "error.log"
    with open(directory / "stderr.log", "wb") as stderr:
        # -e: errors before the config is read go here too, not to /var/log/nginx.
        # A session of its own, so teardown can end the master and its worker together.
        process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(config), "-e", str(error_log)],
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, process, error_log)
        yield f"https://127.0.0.1:{port}"
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown, workers included
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextlib.contextmanager
def deployed(app, directory: Path, certificate: Certificate, port: int | None = None):
    """``app`` behind waitress behind nginx; yields the public https URL."""
    with waitress_serving(app) as upstream_port, nginx_proxy(
        directory, port or free_port(), upstream_port, certificate
    ) as url:
        yield url
