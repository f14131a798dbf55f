"""The production shape, started the way docker-compose.yml starts it: `contactcenter db upgrade`,
then `contactcenter web` and `contactcenter worker` with the compose file's own arguments, on
PostgreSQL and a Redis server of their own.

A signed call from the carrier simulator must pop an offer on an agent's socket and move a
supervisor's board, over sockets that talk to the real server processes (a Socket.IO client, then
Chromium). Tests that build the app in-process cannot see what goes wrong when the command forks.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import select

from contactcenter.accounts.models import Role
from contactcenter.acd.models import QueueMembership
from contactcenter.contacts.models import Interaction
from contactcenter.db import make_engine, make_sessionmaker, transaction
from tests.support.browser import log_in, log_in_over_http, open_desktop, open_socket
from tests.support.factories import gen_agent, gen_queue
from tests.support.faults import RedisServer, free_port, fresh_schema, postgres_base_url, wait_for

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CENTER = "+18005550100"
COMMAND = Path(sys.executable).with_name("contactcenter")  # the console script pip installed


def compose_command(service: str, port: int) -> list[str]:
    """The service's command from docker-compose.yml, on a loopback port instead of 0.0.0.0:8000."""
    command = [str(part) for part in yaml.safe_load(COMPOSE.read_text())["services"][service]["command"]]
    assert command[0] == "contactcenter", f"the compose file's {service} runs {command[0]!r}"
    swapped = {"0.0.0.0": "127.0.0.1", "8000": str(port)}
    return [str(COMMAND), *(swapped.get(part, part) for part in command[1:])]


class Server:
    """A command of the product in its own process group, its output kept for the failure report."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self.process = subprocess.Popen(
            args,
            env=env,
            cwd=str(logs),
            stdout=open(self.log_path, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Center:
    """What the compose file runs, plus the carrier simulator standing in for Twilio."""

    def __init__(self, base: str, database_url: str, carrier: Any, web: Server, worker: Server) -> None:
        self.base, self.database_url, self.carrier = base, database_url, carrier
        self.web, self.worker = web, worker

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.output()}" for s in (self.web, self.worker))


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Center]:
    from contactcenter.telephony.simulator import Callee, HttpTransport, SimulatedCarrier, SimulatorServer

    logs = tmp_path_factory.mktemp("production")
    schema = f"production_cmd_{os.getpid()}"
    base_url = postgres_base_url()
    redis_server = RedisServer(logs).start()
    transport = HttpTransport()
    carrier = SimulatedCarrier(transport)
    servers: list[Server] = []
    with fresh_schema(base_url, schema), SimulatorServer(carrier) as api:
        database_url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_server.url,
            "CARRIER": "simulator",
            "SIMULATOR_URL": api.url,
            "SECRET_KEY": secrets.token_hex(32),
            "PUBLIC_BASE_URL": base,
            "LOG_FORMAT": "json",
            "TRUSTED_PROXY_HOPS": "1",
            "IVR_FLOW": "",
        }
        env.pop("CONTACTCENTER_ENV", None)  # production also demands https and real Twilio secrets
        migrate = subprocess.run(
            compose_command("migrate", port), env=env, cwd=str(logs), capture_output=True, text=True, timeout=120
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr

        engine = make_engine(database_url)
        with transaction(make_sessionmaker(engine)) as session:
            support = gen_queue(session, "support", display_name="Support")
            alice = gen_agent(session, "alice", skills={"support": 5}, display_name="Alice")
            gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam")
            session.flush()
            session.add(QueueMembership(queue_id=support.id, user_id=alice.id))
        engine.dispose()

        try:
            web = Server("web", compose_command("web", port), env, logs)
            servers.append(web)
            worker = Server("worker", compose_command("worker", port), env, logs)
            servers.append(worker)
            wait_for(lambda: _answers(base, web), timeout=60, interval=0.2, what="contactcenter web to answer")
            carrier.set_callee("client:alice", Callee(answer="human", ring_s=0.5))
            carrier.add_number(CENTER, f"{base}/hooks/voice", f"{base}/hooks/status")
            carrier.start()
            yield Center(base, database_url, carrier, web, worker)
        finally:
            for call in carrier.calls():
                if not call.ended:
                    call.hang_up()
            carrier.stop()
            for server in servers:
                server.stop()
            transport.close()
            redis_server.kill()


def _answers(base: str, web: Server) -> bool:
    if web.process.poll() is not None:
        raise AssertionError(f"contactcenter web exited (code {web.process.returncode}):\n{web.output()}")
    try:
        return requests.get(base + "/readyz", timeout=2).ok
    except requests.RequestException:
        return False


class Browserless:
    """A person's browser without the page: logs in, then opens the page's socket with its cookie."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.http = log_in_over_http(base, username)
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.socket = open_socket(self.http, base, on_any=self._heard)
        self.snapshot = self.socket.call("snapshot.request", {}, timeout=10)  # as the pages do on connect

    def _heard(self, event: str, data: Any = None) -> None:
        with self._lock:
            self.events.append((event, data))

    def heard(self, name: str) -> list[Any]:
        with self._lock:
            return [data for event, data in self.events if event == name]

    def post_json(self, path: str, body: dict[str, Any]) -> requests.Response:
        page = self.http.get(self.base + "/desktop", timeout=10)
        token = re.search(r'window.CSRF_TOKEN = "([^"]+)"', page.text)
        headers = {"X-CSRFToken": token.group(1)} if token else {}
        return self.http.post(self.base + path, json=body, headers=headers, timeout=10)

    def close(self) -> None:
        self.socket.disconnect()


def _alice_on_the_board(supervisor: Browserless, state: str) -> bool:
    return any(
        row["name"] == "Alice" and row["state"] == state
        for update in supervisor.heard("board.update")
        for row in update["agents"]
    )


def test_a_signed_call_pops_an_offer_on_the_agents_socket_and_moves_the_board(center: Center) -> None:
    agent = Browserless(center.base, "alice")
    supervisor = Browserless(center.base, "sam")
    try:
        answer = agent.post_json("/desktop/state", {"state": "available"})
        assert answer.status_code == 200, answer.text

        handle = center.carrier.place_inbound_call("+14155550100", CENTER, "hang up after 60")

        offers = wait_for(
            lambda: agent.heard("offer.created"), timeout=20, what=f"the offer on alice's socket\n{center.logs()}"
        )
        assert offers[0]["call_sid"] == handle.sid
        wait_for(
            lambda: _alice_on_the_board(supervisor, "reserved"),
            timeout=10,
            what=f"the board to show alice holding the offer\n{center.logs()}",
        )

        accepted = agent.post_json(f"/desktop/offers/{offers[0]['offer_id']}/accept", {})
        assert accepted.status_code == 200, accepted.text
        wait_for(
            lambda: _alice_on_the_board(supervisor, "on_call"),
            timeout=20,
            what=f"the board to show alice on the call\n{center.logs()}",
        )
        engine = make_engine(center.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                call = session.scalars(select(Interaction).where(Interaction.call_sid == handle.sid)).one()
                assert call.answered_at is not None and call.agent_id is not None
        finally:
            engine.dispose()
        handle.hang_up()
        wait_for(
            lambda: _alice_on_the_board(supervisor, "wrap_up"),
            timeout=20,
            what=f"the board to show alice in wrap-up once the caller hung up\n{center.logs()}",
        )
        wrapped = agent.post_json(f"/desktop/calls/{handle.sid}/wrapup", {"disposition": "resolved", "notes": "ok"})
        assert wrapped.status_code == 200, wrapped.text
        assert agent.post_json("/desktop/state", {"state": "offline"}).status_code == 200  # end of shift
    finally:
        agent.close()
        supervisor.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.browser
def test_an_agent_in_chromium_takes_the_call_while_the_board_follows(center: Center, browser: Any) -> None:
    desk = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    board = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    for page in (desk, board):
        page.set_default_timeout(20_000)
    alice_state = (
        "[...document.querySelectorAll('#agents tr')].some(r => r.textContent.includes('Alice')"
        " && r.querySelector('td.state') && r.querySelector('td.state').dataset.state === '{}')"
    )
    answered = 'document.querySelector(\'[data-queue="support"] [data-field="answered"]\')'
    try:
        log_in(board, center.base, "sam")
        board.goto(center.base + "/board")
        board.wait_for_function("document.getElementById('connection').textContent === 'live'")
        open_desktop(desk, center.base, "alice")
        board.wait_for_function(alice_state.format("available"))

        handle = center.carrier.place_inbound_call("+14155550123", CENTER, "hang up after 60")

        desk.wait_for_selector("#offer:not([hidden])")
        board.wait_for_function(alice_state.format("reserved"))
        _shot(desk, "production-offer")
        desk.click("#accept")
        desk.wait_for_function("document.getElementById('state').dataset.state === 'on_call'")
        board.wait_for_function(alice_state.format("on_call"))
        board.wait_for_function(f"{answered} && {answered}.textContent !== '0'")
        _shot(board, "production-board")
        assert board.url.endswith("/board")  # the board moved over its socket, without a reload
        handle.hang_up()
    finally:
        desk.context.close()
        board.context.close()


@pytest.mark.browser
def test_the_wallboard_and_board_follow_a_waiting_caller_and_an_acknowledgement(center: Center, browser: Any) -> None:
    """Served by `contactcenter web`: a caller waits past the queue's warning threshold, the
    wallboard's tile turns to warning (with its word), a supervisor acknowledges the alert on the
    board, and the wallboard stops flashing it — all over the real server's sockets."""
    from contactcenter.acd.models import Queue
    from contactcenter.board import services as board_settings

    engine = make_engine(center.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            support = session.scalars(select(Queue).where(Queue.name == "support")).one()
            board_settings.save_thresholds(session, support.id, {"waiting": (1, 3)})
    finally:
        engine.dispose()
    agent = Browserless(center.base, "alice")
    wall = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    board = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    for page in (wall, board):
        page.set_default_timeout(25_000)
    alert = "#alerts .alert[data-key='support:waiting.warn']"
    try:
        wait_for(
            lambda: agent.post_json("/desktop/state", {"state": "offline"}).status_code == 200,
            timeout=40,
            what="alice to log off, so the caller waits",
        )
        for page, path in ((wall, "/board/wall"), (board, "/board")):
            log_in(page, center.base, "sam")
            page.goto(center.base + path)
            page.wait_for_function("document.getElementById('connection').textContent === 'live'")

        handle = center.carrier.place_inbound_call("+14155550177", CENTER, "hang up after 60")

        wall.wait_for_selector('[data-queue="support"][data-level=warn]')
        assert "Warning" in wall.text_content('[data-queue="support"] .badge')
        wall.wait_for_selector(f"{alert}.flashing")
        board.wait_for_selector(f"{alert} button.ack")
        board.click(f"{alert} button.ack")
        wall.wait_for_selector(f"{alert}.acknowledged")
        assert "Acknowledged by Sam" in wall.text_content(alert)
        _shot(wall, "production-wallboard")
        _shot(board, "production-board-acknowledged")
        assert wall.url.endswith("/board/wall")  # moved over its socket, without a reload
        handle.hang_up()
    finally:
        agent.close()
        wall.context.close()
        board.context.close()
