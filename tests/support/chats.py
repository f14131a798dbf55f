"""Web chats as a visitor starts them, and an agent team that takes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from contactcenter.accounts.models import User
from contactcenter.acd.models import Queue, QueueMembership
from contactcenter.chat import services as chats
from contactcenter.chat.models import Chat
from tests.support.factories import gen_agent, gen_queue


def visitor_chat(session: Session, **overrides: Any) -> Chat:
    values: dict[str, Any] = {
        "name": "Ada Visitor",
        "email": "ada@example.com",
        "question": "Where is my order?",
        "queue": "support",
    }
    values.update(overrides)
    return chats.start(session, **values)


def chat_team(session: Session, queue_name: str = "support") -> tuple[Queue, User]:
    """A queue with one agent in it who may take its chats."""
    queue = gen_queue(session, queue_name)
    agent = gen_agent(session, "alice", display_name="Alice", skills={queue_name: 5})
    session.add(QueueMembership(queue_id=queue.id, user_id=agent.id))
    session.flush()
    return queue, agent


class HostSite:
    """A company's site on another origin than the app, carrying the chat widget's one tag."""

    def __init__(self, port: int, app_base: str = "", queue: str = "support") -> None:
        self.port = port
        self.app_base = app_base
        self.queue = queue
        self._server: Any = None

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def page(self) -> bytes:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Shop</title>"
            "<style>button{background:hotpink!important;font-size:30px} body{font:20px serif}</style></head>"
            "<body><main><h1>Our shop</h1><p>Questions? Use the chat.</p></main>"
            f"<script src='{self.app_base}/chat/widget.js' data-queue='{self.queue}' async></script>"
            "</body></html>"
        ).encode()

    def start(self) -> HostSite:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                body = site.page()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
