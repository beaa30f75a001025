"""Scheduler fixtures: the sandbox on 127.0.0.1, an SMTP sink and a webhook sink on 127.0.0.1."""
from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.server import SandboxServer


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(port=0).start() as server:
        yield server


class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP receiver: accepts every message and keeps it in `messages`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Event()


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        server: SmtpSink = self.server  # type: ignore[assignment]
        sender, recipients = "", []
        self.reply("220 sink ESMTP")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif verb.startswith("MAIL FROM:"):
                sender, recipients = line.decode().strip()[10:], []
                self.reply("250 OK")
            elif verb.startswith("RCPT TO:"):
                recipients.append(line.decode().strip()[8:])
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.messages.append(message_from_bytes(data, policy=policy.default))
                server.envelopes.append((sender, recipients))
                server.received.set()
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()


class WebhookSink(ThreadingHTTPServer):
    """Records the JSON body of every POST."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self.posts: list[dict] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        server: WebhookSink = self.server  # type: ignore[assignment]
        server.posts.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                             "body": json.loads(self.rfile.read(length))})
        self.send_response(server.status)
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()
