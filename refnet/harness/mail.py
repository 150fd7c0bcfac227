"""The notify service's outside world, real, for the end-to-end tests: an SMTP server (aiosmtpd)
that offers STARTTLS with a certificate of a CA made here, requires AUTH after it, and keeps
every message it accepted; and an HTTP receiver standing in for the SMS provider's webhook,
keeping every body posted to it.

``SmtpServer`` can be stopped and started again on the same port (an outage the notify service
must ride out); ``settings()`` of each is what a ``Network`` is given (``extra_env``) for the
notify service to reach it. Both listen on 127.0.0.1 only, on a port the system picks the first
time. Test-only: the image leaves refnet/harness out (deploy/Dockerfile.dockerignore).
"""

import datetime
import email
import email.policy
import ipaddress
import json
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"


# --- a CA and the server's certificate ------------------------------------------------------------

def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (``ca.pem``) and a server certificate it signed for 127.0.0.1 and localhost
    (``server.pem``, key ``server-key.pem``), valid for a day. The notify service trusts the CA
    (``REFNET_SMTP_CA_FILE``) and checks the server's name against the certificate, as it
    would a real server's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "refnet test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))

    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
              .issuer_name(ca_name).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False,
                                           key_agreement=True, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False,
                                           decipher_only=False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .add_extension(x509.SubjectAlternativeName([
                  x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
                  critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                             critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))

    pem = serialization.Encoding.PEM
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(server.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- SMTP -------------------------------------------------------------------------------------------

@dataclass
class Received:
    """One message the SMTP server accepted, and how its client got there."""

    mail_from: str
    recipients: list[str]
    raw: bytes
    tls: bool              # the session was upgraded with STARTTLS before the message
    login: str | None      # the user it authenticated as

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"] or "")

    @property
    def text(self) -> str:
        """The plain-text body, decoded."""
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


class _Recorder:
    """aiosmtpd's handler: keeps every message (the server has already required TLS and AUTH)."""

    def __init__(self, received: list, lock: threading.Lock):
        self.received, self.lock = received, lock

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if session.auth_data is not None else None
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content),
                                          session.ssl is not None, login))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1: STARTTLS required before anything is accepted, AUTH
    (PLAIN or LOGIN, one user) required before MAIL; every accepted message kept in
    ``received``. ``stop()`` and ``start()`` again keep the port and the messages."""

    def __init__(self, folder: Path, username: str = "refnet-notify"):
        self.folder = Path(folder)
        self.ca_file, self.cert_file, self.key_file = make_certificates(self.folder)
        self.username, self.password = username, secrets.token_urlsafe(18)
        self.port = _free_port()
        self.received: list[Received] = []
        self.refused_logins = 0
        self._lock = threading.Lock()
        self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.username
              and secrets.compare_digest(auth_data.password.decode(), self.password))
        if not ok:
            with self._lock:
                self.refused_logins += 1
        # handled=False: aiosmtpd answers a refusal with 535 itself
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> "SmtpServer":
        """Listen (again) on the server's port."""
        import logging
        import ssl

        from aiosmtpd.controller import Controller
        if self._controller is not None:
            return self
        logging.getLogger("mail.log").setLevel(logging.ERROR)  # its own deprecation notes
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        controller = Controller(
            _Recorder(self.received, self._lock), hostname=HOST, port=self.port,
            server_hostname="localhost", tls_context=context, require_starttls=True,
            auth_required=True, auth_require_tls=True, authenticator=self._authenticate,
            decode_data=False)
        deadline = time.time() + 10
        while True:  # the port of the last run may still be closing
            try:
                controller.start()
                break
            except (OSError, RuntimeError):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until ``start()``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def settings(self, sender: str = "refnet@notify.test") -> dict[str, str]:
        """The notify service's variables to send through this server."""
        return {"REFNET_SMTP_HOST": HOST, "REFNET_SMTP_PORT": str(self.port),
                "REFNET_SMTP_STARTTLS": "yes", "REFNET_SMTP_CA_FILE": str(self.ca_file),
                "REFNET_SMTP_USERNAME": self.username, "REFNET_SMTP_PASSWORD": self.password,
                "REFNET_SMTP_FROM": sender}

    def messages(self, to: str | None = None) -> list[Received]:
        """What was accepted so far (to one address, if given), oldest first."""
        with self._lock:
            return [m for m in self.received if to is None or to in m.recipients]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- the SMS provider's webhook -------------------------------------------------------------------

@dataclass
class Posted:
    """One request the webhook receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    fields: dict = field(default_factory=dict)  # the JSON object, or the form's fields


class SmsReceiver:
    """An HTTP server on 127.0.0.1 standing in for an SMS provider: answers every POST with
    ``status`` (200 unless changed) and keeps the request in ``posted``."""

    def __init__(self, path: str = "/sms", fmt: str = "json"):
        self.path, self.format = path, fmt
        self.token = secrets.token_urlsafe(18)
        self.status = 200
        self.posted: list[Posted] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                kind = self.headers.get("Content-Type", "")
                try:
                    fields = (json.loads(body) if "json" in kind else
                              dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)))
                except ValueError:
                    fields = {}
                with receiver._lock:
                    receiver.posted.append(Posted(self.path, dict(self.headers.items()), body,
                                                  fields if isinstance(fields, dict) else {}))
                    status = receiver.status
                answer = json.dumps({"accepted": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # quiet: a test's output is its own
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = None

    def start(self) -> "SmsReceiver":
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(10)
            self._thread = None
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"

    def settings(self) -> dict[str, str]:
        """The notify service's variables to post SMS here."""
        return {"REFNET_SMS_WEBHOOK_URL": self.url, "REFNET_SMS_WEBHOOK_FORMAT": self.format,
                "REFNET_SMS_WEBHOOK_TOKEN": self.token}

    def requests(self) -> list[Posted]:
        with self._lock:
            return list(self.posted)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
