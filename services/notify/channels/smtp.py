"""Email through an SMTP server (``REFNET_SMTP_*``): one message per connection.

Connect (with a timeout), EHLO, STARTTLS when required (a server that does not offer it is
refused: the message is not sent in clear), the certificate checked against
``REFNET_SMTP_CA_FILE`` or the system's store, LOGIN when a username is set, then the message.
Every failure becomes ``SendFailed`` with a code (``smtp:connect``, ``smtp:535``, ...): the
server's words can quote the address, so they are never kept.
"""

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from ..domain.delivery import SendFailed, failure_code

TIMEOUT_SECONDS = 20.0


def build_email(*, sender: str, to: str, subject: str, text: str, message_id: str,
                at: datetime) -> EmailMessage:
    """A plain-text UTF-8 email, marked as sent by a machine (``Auto-Submitted``: no
    out-of-office replies) with a Message-ID that is the same on every try."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    return message


def code_of(error: BaseException) -> SendFailed:
    """The ``SendFailed`` of an error raised while talking to the server."""
    if isinstance(error, SendFailed):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [reply[0] for reply in error.recipients.values()]
        code = codes[0] if codes else 0
        return SendFailed(failure_code("smtp", f"rcpt-{code}"), permanent=500 <= code < 600)
    if isinstance(error, smtplib.SMTPResponseException):  # auth, sender, data, helo: their code
        return SendFailed(failure_code("smtp", int(error.smtp_code)))
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendFailed(failure_code("smtp", "not-supported"))
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendFailed(failure_code("smtp", "disconnected"))
    if isinstance(error, smtplib.SMTPException):
        return SendFailed(failure_code("smtp", "protocol"))
    if isinstance(error, ssl.SSLCertVerificationError):
        return SendFailed(failure_code("smtp", "tls-verify"))
    if isinstance(error, ssl.SSLError):
        return SendFailed(failure_code("smtp", "tls"))
    if isinstance(error, (socket.timeout, TimeoutError)):
        return SendFailed(failure_code("smtp", "timeout"))
    if isinstance(error, OSError):
        return SendFailed(failure_code("smtp", "connect"))
    return SendFailed(failure_code("smtp", "error"))


@dataclass(frozen=True)
class SmtpChannel:
    """The network's SMTP server and how refnet signs in to it."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    ca_file: str | None = None
    username: str | None = None
    password: str | None = None
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_values(cls, values) -> "SmtpChannel | None":
        """The channel of the notify settings; None (email is off) without ``REFNET_SMTP_HOST``."""
        if not values.smtp_host:
            return None
        return cls(host=values.smtp_host, port=values.smtp_port, sender=values.smtp_from,
                   starttls=values.smtp_starttls, ca_file=values.smtp_ca_file,
                   username=values.smtp_username, password=values.smtp_password)

    def __repr__(self) -> str:  # never the password
        return f"SmtpChannel({self.host}:{self.port}, starttls={self.starttls})"

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; returns once the server accepted it (250).
        Raises ``SendFailed``."""
        client = None
        accepted = False
        try:
            # connects; given the host here, STARTTLS checks the certificate against it
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            client.ehlo()
            if self.starttls:
                if not client.has_extn("starttls"):
                    raise SendFailed(failure_code("smtp", "starttls-missing"))
                context = ssl.create_default_context(cafile=self.ca_file)
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
            accepted = True
        except Exception as error:  # noqa: BLE001 - every failure becomes a code
            raise code_of(error) from None  # the cause's text may quote the address
        finally:
            if client is not None:
                _close(client, polite=accepted)


def _close(client: smtplib.SMTP, *, polite: bool) -> None:
    """QUIT after a sent message (its failure changes nothing: the server accepted it), else
    just close."""
    try:
        if polite:
            client.quit()
    except Exception:  # noqa: BLE001 - the message is already accepted
        pass
    finally:
        client.close()
