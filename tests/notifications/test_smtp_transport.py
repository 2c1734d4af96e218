"""The SMTP connection the outbox opens sends each write at once (no Nagle delay).

SMTPMailer sends a message's body and, after confirming it in the database, the final
"." on its own; with Nagle's algorithm that small write waits for the server's delayed
ACK, about 40 ms a message (docs/PERFORMANCE.md, notifications).
"""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from app.notifications.mail import connect_smtp
from tests.integration.harness import free_port


class _Accept:
    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        return "250 OK"


@pytest.fixture
def smtp_server():
    controller = Controller(_Accept(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def test_outbox_smtp_connection_disables_nagle(app, smtp_server):
    config = {
        **app.config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_USE_SSL": False,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
    }

    connection = connect_smtp(config)
    try:
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        connection.quit()
