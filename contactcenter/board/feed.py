"""The board feed: many events in, at most a few board updates per second out.

However busy the center, a supervisor's page must not receive every agent-state change and call
milestone as its own message: at 50 events a second the page would spend its time redrawing and
the socket its bandwidth on figures a human cannot read that fast. The feed therefore

* hears every event (`notify`) and only marks the board dirty;
* at most once per `min_interval_s` (leading edge: an idle board reacts at once) reads the live
  state — one `queue_stats` script, and the agents the events named (all of them every
  `full_every_s`) — and emits a single `board.update` with every queue row, only the agents whose
  row changed since the last update, the alerts, and the few other events heard meanwhile (capped);
* refreshes from the SQL store in a second thread, at most every `today_min_s` and at least every
  `today_max_s`, so a slow query never delays a state change on its way to the board: the light
  part (names, teams, thresholds, calls in progress, acknowledgements) each time, today's figures
  (service level, ASA, AHT, intervals, dialer) only after a call moved or every `figures_every_s`
  — agent-state changes do not change them, and their computation holds the interpreter long
  enough to delay the updates of a busy floor if it ran after each of those;
* refreshes even without events every `idle_s` while callers wait, so waits and the long-wait
  alert move on a quiet floor.

A page that connects asks for `snapshot()` (every agent), then applies updates on top; an
agent row carries `since`, and a page keeps the newer of two rows, so an update computed just
before a snapshot can never roll a row back.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from contactcenter import clock
from contactcenter.acd.realtime import RealtimeACD
from contactcenter.board import alerts, services as board_settings, stats
from contactcenter.board.calls import current_calls
from contactcenter.board.channel_stats import channel_rows
from contactcenter.board.dialer_stats import campaign_stats
from contactcenter.board.thresholds import Threshold, levels, worst

log = logging.getLogger("contactcenter.board")

UPDATE = "board.update"
MAX_EVENTS_PER_UPDATE = 50
# Past this many changed agents between two updates, one read of all agents is cheaper.
MAX_DIRTY_AGENTS = 200
# Events the feed folds into figures; any other event heard is passed along inside an update.
FOLDED_PREFIXES = ("agent.", "call.", "offer.", "queue.")
# Events after which today's figures (offered, answered, service level…) may have moved.
CALL_PREFIXES = ("call.", "queue.")


class Throttle:
    """Leading-and-trailing-edge rate limit: fire at once when idle, else once the interval passed.

    Pure bookkeeping on the times it is given, so the rule is tested without sleeping.
    """

    def __init__(self, min_interval_s: float) -> None:
        if min_interval_s <= 0:
            raise ValueError("the interval must be positive")
        self.min_interval_s = min_interval_s
        self.last_fired = -math.inf
        self.pending = False

    def notice(self) -> None:
        self.pending = True

    def wait_s(self, now: float) -> float | None:
        """None: nothing to send; 0: send now; else seconds until sending is allowed."""
        if not self.pending:
            return None
        return max(0.0, self.last_fired + self.min_interval_s - now)

    def fired(self, now: float) -> None:
        self.last_fired = now
        self.pending = False


class AgentDiff:
    """Remembers the agent rows last sent, and says which changed (or left) since."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def changes(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        fresh = {r["agent_id"]: r for r in rows}
        changed = [r for aid, r in fresh.items() if self.rows.get(aid) != r]
        removed = [aid for aid in self.rows if aid not in fresh]
        self.rows = fresh
        return changed, removed

    def merge(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        """Like `changes`, for a few agents' rows read on their own (nobody is removed)."""
        changed = [r for r in rows if self.rows.get(r["agent_id"]) != r]
        self.rows.update((r["agent_id"], r) for r in changed)
        return changed, []


@dataclass
class TodayCache:
    """The SQL half of the board, as last computed."""

    settings: dict[str, stats.QueueSettings] = field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    dialer: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, dict[str, Threshold]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    acks: dict[str, board_settings.Ack] = field(default_factory=dict)
    computed_at: float | None = None


class BoardSource:
    """Reads the board's figures: live from the ACD, today's from the store."""

    def __init__(self, session_factory: sessionmaker[Session], acd: RealtimeACD) -> None:
        self.session_factory = session_factory
        self.acd = acd
        self._lock = threading.Lock()
        self.cache = TodayCache()

    def refresh_today(self, session: Session | None = None, *, figures: bool = True) -> TodayCache:
        """Read today's figures; with `session` (a request's own) in it, else in a short one.

        `figures=False` re-reads only the light part (names, teams, thresholds, calls in progress,
        acknowledgements: a few indexed queries) and keeps the day's figures and the dialer's,
        whose computation holds the interpreter for a tenth of a second at 5,000 calls a day.

        A request must pass its session: on SQLite every transaction takes the write lock, so a
        second session opened in the same thread would wait for the first one forever.
        """
        if session is None:
            with self.session_factory() as own:
                try:
                    return self.refresh_today(own, figures=figures)
                finally:
                    own.rollback()
        previous = self.today()
        if figures or previous.computed_at is None:
            settings = stats.queue_settings(session)
            queues = stats.today_figures(session, settings)
            dialer = campaign_stats(session, self.acd.agents())
            channels = channel_rows(session)
            computed_at = clock.timestamp()
        else:
            settings, queues, dialer, channels, computed_at = (
                previous.settings,
                previous.queues,
                previous.dialer,
                previous.channels,
                previous.computed_at,
            )
        cache = TodayCache(
            settings=settings,
            queues=queues,
            dialer=dialer,
            channels=channels,
            names=stats.agent_names(session),
            teams=board_settings.agent_teams(session),
            thresholds=board_settings.thresholds_by_queue(session),
            calls=current_calls(session),
            acks=board_settings.active_acks(session),
            computed_at=computed_at,
        )
        with self._lock:
            self.cache = cache
        return cache

    def note_ack(self, ack: board_settings.Ack) -> None:
        """An acknowledgement heard from another process (or this one): shown at once."""
        with self._lock:
            self.cache.acks = {**self.cache.acks, ack.key: ack}

    def clear_stale_acks(self) -> None:
        """Close the acknowledgements of alerts that stopped holding (their next start flashes)."""
        cache = self.today()
        if not cache.acks:
            return
        _rows, current = self.queues(cache)
        holding = {a.key for a in current}
        if not set(cache.acks) - holding:
            return
        with self.session_factory() as session:
            board_settings.clear_acks(session, holding)
            session.commit()
        with self._lock:
            self.cache.acks = {k: v for k, v in self.cache.acks.items() if k in holding}

    def holding(self, session: Session | None = None, *, fresh_s: float = 2.0) -> set[str]:
        """Keys of the alerts that hold now (today's figures re-read, in the caller's `session`
        when given, unless younger than `fresh_s`)."""
        cache = self.today()
        if cache.computed_at is None or clock.timestamp() - cache.computed_at >= fresh_s:
            cache = self.refresh_today(session)
        _rows, current = self.queues(cache)
        return {a.key for a in current}

    def alert_dicts(self, cache: TodayCache, current: list[alerts.Alert]) -> list[dict[str, Any]]:
        out = []
        for a in current:
            ack = cache.acks.get(a.key)
            out.append({**a.as_dict(), "acknowledged": ack.as_dict() if ack else None})
        return out

    def today(self) -> TodayCache:
        with self._lock:
            return self.cache

    def agent_rows(self, cache: TodayCache, agent_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """Rows of every agent (`agent_ids` None: one pipelined read of all) or of just those."""
        if agent_ids is None:
            rows = [stats.agent_row(a, cache.names, cache.teams, cache.calls) for a in self.acd.agents()]
            seen = {r["agent_id"] for r in rows}
            # Agents the router has not heard of since its last rebuild are simply logged out.
            return rows + [
                stats.offline_row(aid, name, cache.teams.get(aid))
                for aid, name in cache.names.items()
                if aid not in seen
            ]
        rows = []
        snapshots = self.acd.agent_snapshots(agent_ids) if agent_ids else {}
        for aid in sorted(agent_ids):
            snapshot = snapshots.get(aid)
            if snapshot is not None:
                rows.append(stats.agent_row(snapshot, cache.names, cache.teams, cache.calls))
            elif aid in cache.names:
                rows.append(stats.offline_row(aid, cache.names[aid], cache.teams.get(aid)))
        return rows

    def queues(self, cache: TodayCache) -> tuple[list[dict[str, Any]], list[alerts.Alert]]:
        """Queue rows (live state joined with today's figures) and the alerts they raise."""
        settings = dict(cache.settings)
        live = self.acd.queue_stats()
        for q in live:  # a queue the router knows but the cache has not seen yet
            if q.queue not in settings:
                settings[q.queue] = stats.QueueSettings(q.queue, q.queue, 0.8, 20, 60, "offered", "UTC")
        rows = stats.queue_rows(settings, live, cache.queues)
        for row in rows:
            own = cache.thresholds.get(row["queue"], {})
            row["thresholds"] = {m: t.as_dict() for m, t in own.items()}
            row["levels"] = levels(row, own)
            row["level"] = worst(row["levels"])
        current = alerts.evaluate(rows)
        for row in rows:
            row["alerts"] = [a.kind for a in current if a.queue == row["queue"]]
        return rows, current

    def snapshot(self, session: Session | None = None, *, fresh_s: float = 2.0) -> dict[str, Any]:
        """The whole board now (every agent); today's figures are recomputed (in the caller's
        `session` when given) unless the cached ones are younger than `fresh_s`."""
        cache = self.today()
        if cache.computed_at is None or clock.timestamp() - cache.computed_at >= fresh_s:
            cache = self.refresh_today(session)
        agents = self.agent_rows(cache)
        queues, current = self.queues(cache)
        return {
            "queues": queues,
            "agents": agents,
            "alerts": self.alert_dicts(cache, current),
            "dialer": cache.dialer,
            "channels": cache.channels,
            "totals": stats.agent_totals(agents),
            "server_time": clock.timestamp(),
            "today_at": cache.computed_at,
        }


class BoardFeed:
    """Coalesces events into `board.update`s for one process's supervisors (see module doc)."""

    def __init__(
        self,
        source: BoardSource,
        emit: Callable[[str, dict[str, Any]], None],
        *,
        listeners: Callable[[], int] = lambda: 1,
        min_interval_s: float = 0.1,
        today_min_s: float = 3.0,
        today_max_s: float = 15.0,
        figures_every_s: float = 15.0,
        idle_s: float = 5.0,
        full_every_s: float = 10.0,
        sql_in_background: bool = True,
    ) -> None:
        self.source = source
        self.emit = emit
        self.listeners = listeners
        self.throttle = Throttle(min_interval_s)
        self.today_min_s = today_min_s
        self.today_max_s = today_max_s
        self.figures_every_s = figures_every_s
        self._figures_at = -math.inf
        self._calls_moved = False
        self.idle_s = idle_s
        self.sql_in_background = sql_in_background
        self.seq = 0
        self.sent = 0
        self._diff = AgentDiff()
        self.full_every_s = full_every_s
        self._full_at = -math.inf
        self._dirty_agents: set[str] | None = None  # None: read every agent next time
        self._alert_keys: set[str] = set()
        self._acks_changed = False
        self._last_figures = ""
        self._today_sent: float | None = None
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS_PER_UPDATE)
        self._dropped = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._today_wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- input ---------------------------------------------------------------------------------
    def notify(self, event: Mapping[str, Any] | None = None) -> None:
        """Something changed (an event heard on Redis): the board is dirty."""
        if event is not None and event.get("type") == board_settings.ACKNOWLEDGED:
            try:
                ack = board_settings.Ack(str(event["key"]), str(event["by"]), float(event["at"]))
            except (KeyError, TypeError, ValueError):
                ack = None
            if ack is not None:
                self.source.note_ack(ack)
                with self._lock:
                    self._acks_changed = True
        with self._lock:
            self.throttle.notice()
            if event is None or str(event.get("type", "")).startswith(CALL_PREFIXES):
                self._calls_moved = True  # today's figures count calls: recompute them
            agent = event.get("agent_id") if event is not None else None
            if self._dirty_agents is not None:
                if event is None or (agent in (None, "") and str(event.get("type", "")).startswith("agent.")):
                    self._dirty_agents = None  # a change we cannot pin on one agent: read them all
                elif agent not in (None, ""):
                    self._dirty_agents.add(str(agent))
                    if len(self._dirty_agents) > MAX_DIRTY_AGENTS:
                        self._dirty_agents = None
            if event is not None and not str(event.get("type", "")).startswith(FOLDED_PREFIXES):
                if len(self._events) == self._events.maxlen:
                    self._dropped += 1
                self._events.append(dict(event))
        self._wake.set()
        self._today_wake.set()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> BoardFeed:
        if not self._threads:
            self._threads = [threading.Thread(target=self._run_live, name="board-feed", daemon=True)]
            if self.sql_in_background:
                self._threads.append(threading.Thread(target=self._run_today, name="board-today", daemon=True))
            for thread in self._threads:
                thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._today_wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    # -- the update ----------------------------------------------------------------------------
    def build_update(self) -> dict[str, Any] | None:
        """The next `board.update` (None when nothing a page shows has changed).

        Only the agents named by the events heard since the last update are read (a handful,
        not the whole floor); every `full_every_s`, and whenever too many changed to name, all
        of them are, which also catches anything no event announced.
        """
        cache = self.source.today()
        now = time.monotonic()
        with self._lock:
            dirty, self._dirty_agents = self._dirty_agents, set()
            events, dropped = list(self._events), self._dropped
            self._events.clear()
            self._dropped = 0
            acks_changed, self._acks_changed = self._acks_changed, False
        full = dirty is None or now - self._full_at >= self.full_every_s or cache.names.keys() - self._diff.rows.keys()
        if full:
            changed, removed = self._diff.changes(self.source.agent_rows(cache))
            self._full_at = now
        else:
            changed, removed = self._diff.merge(self.source.agent_rows(cache, dirty or set()))
        queues, current = self.source.queues(cache)
        board: dict[str, Any] = {
            "queues": queues,
            "dialer": cache.dialer,
            "channels": cache.channels,
            "today_at": cache.computed_at,
            "totals": stats.agent_totals(self._diff.rows.values()),
        }
        new_alerts = alerts.started(current, self._alert_keys)
        self._alert_keys = {a.key for a in current}
        figures = json.dumps([board["queues"], board["dialer"], board["channels"]], sort_keys=True, default=str)
        quiet = not changed and not removed and not events and not new_alerts and not acks_changed
        if quiet and figures == self._last_figures:
            return None
        self._last_figures = figures
        queues = board["queues"]
        if board["today_at"] is not None and board["today_at"] == self._today_sent:
            # Today's figures (with up to 96 intervals a queue) only travel when they changed;
            # a page keeps the last ones it got for a row that comes without them.
            queues = [{k: v for k, v in row.items() if k != "today"} for row in queues]
        self._today_sent = board["today_at"]
        self.seq += 1
        return {
            "seq": self.seq,
            "server_time": clock.timestamp(),
            "queues": queues,
            "agents": changed,
            "removed": removed,
            "totals": board["totals"],
            "alerts": self.source.alert_dicts(cache, current),
            "new_alerts": [a.as_dict() for a in new_alerts],
            "dialer": board["dialer"],
            "channels": board["channels"],
            "events": events,
            "events_dropped": dropped,
        }

    def pump(self) -> bool:
        """Build and emit one update now; True when one was sent."""
        update = self.build_update()
        if update is None:
            return False
        self.emit(UPDATE, update)
        self.sent += 1
        return True

    def _run_live(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                wait = self.throttle.wait_s(time.monotonic())
            if wait is None:
                self._wake.wait(self.idle_s)
                self._wake.clear()
                with self._lock:
                    if self.throttle.wait_s(time.monotonic()) is None:
                        self.throttle.notice()  # quiet floor: refresh waits and alerts anyway
                continue
            if wait > 0:
                self._stop.wait(wait)
                continue
            with self._lock:
                self.throttle.fired(time.monotonic())
            if self._stop.is_set() or self.listeners() <= 0:
                continue
            try:
                self.pump()
            except Exception:  # noqa: BLE001 - a Redis hiccup must not end the feed
                log.exception("board update failed")
                self._stop.wait(1.0)

    def figures_due(self, now: float) -> bool:
        """Whether the next refresh recomputes today's figures: a call moved since the last one,
        or `figures_every_s` passed (agent-state changes alone do not move them)."""
        with self._lock:
            return self._calls_moved or now - self._figures_at >= self.figures_every_s

    def refresh_from_store(self, now: float) -> TodayCache:
        """One refresh of the store's half: the light part always, today's figures when due."""
        heavy = self.figures_due(now)
        with self._lock:
            self._calls_moved = False
        cache = self.source.refresh_today(figures=heavy)
        if heavy:
            self._figures_at = now
        return cache

    def _run_today(self) -> None:
        while not self._stop.is_set():
            if self.listeners() > 0:
                try:
                    before = self.source.today()
                    cache = self.refresh_from_store(time.monotonic())
                    self.source.clear_stale_acks()
                    with self._lock:
                        if cache.calls != before.calls or cache.teams != before.teams:
                            self._dirty_agents = None  # call details or teams came: re-read the rows
                        if cache.acks != before.acks:
                            self._acks_changed = True
                        self.throttle.notice()
                    self._wake.set()
                except Exception:  # noqa: BLE001 - a database hiccup must not end the feed
                    log.exception("board figures for today failed")
            self._stop.wait(self.today_min_s)
            self._today_wake.wait(max(0.0, self.today_max_s - self.today_min_s))
            self._today_wake.clear()
