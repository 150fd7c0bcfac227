"""SMS through a provider. Providers differ, so ``SmsProvider`` is the one thing the delivery
worker calls; ``HttpWebhook`` is the provider refnet ships: it posts the number and the text to
``REFNET_SMS_WEBHOOK_URL`` (JSON ``{"to", "text"}`` or a form), with an optional bearer token.
A 2xx answer means the provider took the message. Failures become ``SendFailed`` codes
(``sms:http-503``, ``sms:timeout``, ``sms:connect``); the number and the text are never in one.
"""

from ..domain.delivery import SendFailed, failure_code

TIMEOUT_SECONDS = 15.0


class SmsProvider:
    """Something that sends a text message to a phone number."""

    def send(self, to: str, text: str) -> None:
        """Hand the message over; return once the provider took it. Raises ``SendFailed``."""
        raise NotImplementedError


class HttpWebhook(SmsProvider):
    """An SMS provider reached with one HTTP POST per message."""

    def __init__(self, url: str, *, form: bool = False, token: str | None = None,
                 timeout: float = TIMEOUT_SECONDS):
        self.url = url
        self.form = form
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_values(cls, values) -> "HttpWebhook | None":
        """The provider of the notify settings; None (SMS is off) without
        ``REFNET_SMS_WEBHOOK_URL``."""
        if not values.sms_webhook_url:
            return None
        return cls(values.sms_webhook_url, form=values.sms_webhook_format == "form",
                   token=values.sms_webhook_token)

    def __repr__(self) -> str:  # never the token
        return f"HttpWebhook(form={self.form})"

    def send(self, to: str, text: str) -> None:
        import requests  # here, not at start: a notify process without SMS never loads it (memory)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        fields = {"to": to, "text": text}
        body = {"data": fields} if self.form else {"json": fields}
        try:
            answer = requests.post(self.url, headers=headers, timeout=self.timeout,
                                   allow_redirects=False, **body)
        except requests.Timeout:
            raise SendFailed(failure_code("sms", "timeout")) from None
        except requests.exceptions.SSLError:
            raise SendFailed(failure_code("sms", "tls")) from None
        except requests.ConnectionError:
            raise SendFailed(failure_code("sms", "connect")) from None
        except requests.RequestException:
            raise SendFailed(failure_code("sms", "error")) from None
        try:
            if not 200 <= answer.status_code < 300:
                # the provider calls this message itself bad (a number it cannot send to):
                # trying again cannot help; anything else (its outage, a wrong token) may pass
                permanent = answer.status_code in (400, 422)
                raise SendFailed(failure_code("sms", f"http-{answer.status_code}"),
                                 permanent=permanent)
        finally:
            answer.close()
