"""What the hall's notices reach, started by a test on 127.0.0.1: a webhook receiver (an HTTP
server recording each POST and answering the status the test sets) and an SMTP server
(Python's own smtpd) recording each message; and the sample hall configured to tell them."""
from __future__ import annotations

import shutil
import threading
import warnings
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import ROOT, SAMPLE_HALL

with warnings.catch_warnings():  # deprecated, and still Python's own SMTP server in 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore
    import smtpd

SECRET = "a webhook key of the hall, 32 characters at least"
CITIZENS_MAIL = "sms-gateway@chengguan.example.cn"


class WebhookReceiver:
    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[int, dict, bytes]] = []   # (status answered, headers, body)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.status
                receiver.received.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notices"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def taken(self) -> list[tuple[dict, bytes]]:
        return [(headers, body) for status, headers, body in self.received if status == 200]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver(smtpd.SMTPServer):
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.map: dict = {}
        super().__init__(("127.0.0.1", 0), None, map=self.map, decode_data=False)
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05, "map": self.map}, daemon=True)
        self.thread.start()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs) -> None:
        self.messages.append(message_from_bytes(data, policy=policy.default))

    def stop(self) -> None:
        self.close()
        self.thread.join(timeout=10)


def supervised_hall_file(folder: Path, webhook: WebhookReceiver, mail: MailReceiver) -> Path:
    """The sample hall and its matters in `folder`, its supervision.toml telling the webhook
    (signed with SECRET) and the mail of lights and of citizens' notices; its hall.toml."""
    folder.mkdir()
    shutil.copy(SAMPLE_HALL, folder / "hall.toml")
    shutil.copytree(ROOT / "config" / "matters", folder / "matters")
    secret = folder / "webhook.key"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    (folder / "supervision.toml").write_text(f"""
yellow_days = 1
hall_leader = "中心主任 李华"

[webhook]
url = "{webhook.url}"
secret_file = "{secret}"
citizens = true

[mail]
host = "127.0.0.1"
port = {mail.port}
sender = "hall@chengguan.example.cn"
to = ["leaders@chengguan.example.cn"]
citizen_to = ["{CITIZENS_MAIL}"]
""", encoding="utf-8")
    return folder / "hall.toml"
