"""A real SMTP server for the notify delivery tests (aiosmtpd), run as its own process so it can
be stopped and started again on the same port like a mail server that goes away, and so its
asyncio loop stays out of the test process's eventlet hub.

    python tests/integration/smtp_receiver.py --dir D [--port N] [--cert C --key K]
        [--user U --password P]

Prints its port on the first line of standard output, then serves until terminated. With a
certificate it offers STARTTLS and requires it; with a user it requires AUTH (LOGIN or PLAIN,
over TLS) and refuses any other login with 535. Each accepted message is written whole to
``D/<n>.eml`` (written aside, then renamed: a reader never sees half a message).
"""

import argparse
import asyncio
import os
import ssl
import uuid

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Maildrop:
    def __init__(self, folder: str):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        aside = os.path.join(self.folder, f".{name}.tmp")
        with open(aside, "wb") as f:
            f.write(envelope.original_content)
        os.rename(aside, os.path.join(self.folder, f"{name}.eml"))
        return "250 2.0.0 accepted"


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        good = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                and auth_data.password == password.encode())
        return AuthResult(success=good, handled=False)  # False: the server answers 535
    return check


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    handler = Maildrop(args.dir)
    options = dict(hostname="refnet-test-smtp", tls_context=context,
                   require_starttls=context is not None)
    if args.user:
        options.update(authenticator=authenticator(args.user, args.password or ""),
                       auth_required=True, auth_require_tls=context is not None)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, **options), host="127.0.0.1", port=args.port))
    print(server.sockets[0].getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
