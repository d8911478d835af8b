"""A real SMTP server for Backend Dojo's mail delivery tests (aiosmtpd).

Usage: python3 smtp_sink.py DIRECTORY [--user NAME --password SECRET]

Listens on a free loopback port and writes that port to DIRECTORY/port once it accepts
connections. Each mail it receives becomes DIRECTORY/mail-N.json (written to a temporary
name first, then renamed, so a reader never sees half a file) holding the envelope, the
parsed headers, the text body and the login name used, if any. With --user and
--password it advertises AUTH (over plain TCP, which is fine on loopback) and refuses
other credentials. It stops when its standard input closes, so the test process that
started it never leaves it behind.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    """Writes every accepted mail to the directory as JSON."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        self.count += 1
        login = getattr(session.auth_data, "login", None)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "content_type": message.get_content_type(),
            "body": body.get_content() if body is not None else "",
            "login": login.decode() if isinstance(login, bytes) else login,
        }
        write_atomically(
            os.path.join(self.directory, f"mail-{self.count}.json"), json.dumps(record)
        )
        return "250 OK: kept"


def write_atomically(path, text):
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(partial, path)


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", b"")
        secret = getattr(auth_data, "password", b"")
        ok = login == user.encode() and secret == password.encode()
        # `handled=False` lets the server answer a refused login with its 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


async def main():
    # AUTH without TLS is what these tests want, on loopback; no warnings about it.
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    sink = Sink(args.directory)
    options = {}
    if args.user is not None:
        options = {
            "authenticator": authenticator_for(args.user, args.password or ""),
            "auth_require_tls": False,
            "auth_required": True,
        }
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.dojo.test", **options), host="127.0.0.1", port=0
    )
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(args.directory, "port"), str(port))

    # Standard input closing (the test's handle dropped, or the test process gone) is the
    # signal to stop.
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
