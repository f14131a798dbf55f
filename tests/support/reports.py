"""A week at a small centre for the report pages' browser test: calls in two queues with IVR
flows and CSAT scores, the agents' state trail, SLA clocks met and breached, and a dialer
campaign with its attempts, all in the days up to `now` (the live server runs on real time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun import freeze_time
from sqlalchemy.orm import Session

from contactcenter.accounts.models import Role
from contactcenter.tickets import sla
from contactcenter.tickets.services import add_comment, change_status, open_ticket
from tests.support.dialer import gen_attempt, gen_campaign
from tests.support.factories import gen_agent, gen_queue
from tests.support.intervals import add_call, trail


def sample_centre(session: Session, now: datetime) -> None:
    gen_agent(session, "sam", role=Role.SUPERVISOR, display_name="Sam Supervisor")
    support = gen_queue(session, "support", sl_threshold_s=20)
    billing = gen_queue(session, "billing", sl_threshold_s=30)
    alice, bob = gen_agent(session, "alice"), gen_agent(session, "bob")
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(1, 6):
        day = today - timedelta(days=back)
        for agent, first, last in ((alice, 9, 13), (bob, 9, 12)):
            rows = [(day + timedelta(hours=first - 1, minutes=55), "available")]
            for minute in range(0, (last - first) * 60, 20):
                start = day + timedelta(hours=first, minutes=minute + (5 if agent is bob else 0))
                rows += [
                    (start, "on_call"),
                    (start + timedelta(minutes=8 + back), "wrap_up"),
                    (start + timedelta(minutes=10 + back), "available"),
                ]
            rows.append((day + timedelta(hours=last), "offline"))
            trail(session, agent, *rows)
        for n in range(12 + back * 2):
            queued = day + timedelta(hours=9, minutes=(n * 13 + back * 7) % 180)
            queue = support if n % 3 else billing
            wait = (n * 7 + back * 5) % 60
            abandoned = n % 5 == 4
            add_call(
                session,
                queue,
                queued,
                wait,
                "abandoned" if abandoned else "completed",
                talk=None if abandoned else 60 + n * 11 % 240,
                agent=None if abandoned else (alice if n % 2 else bob),
                short=abandoned and wait < 5,
                csat=None if abandoned or n % 4 else 2 + (n + back) % 4,
                ivr_flow="main" if n % 2 else "billing-menu",
                ivr_exit="completed" if n % 3 == 0 else "transferred",
            )
    policy_targets = {"first_response": 3600, "resolution": 4 * 3600}
    sla.create_policy(session, "Standard", targets=policy_targets)
    with freeze_time(today - timedelta(days=2, hours=-9)) as frozen:
        fast = open_ticket(session, "Answered fast", queue_id=support.id)
        slow = open_ticket(session, "Answered late", queue_id=billing.id)
        for ticket in (fast, slow):
            change_status(session, ticket, "open")
        frozen.tick(timedelta(minutes=20))
        add_comment(session, fast, "On it", public=True)
        frozen.tick(timedelta(hours=2))
        add_comment(session, slow, "Sorry for the wait", public=True)
        change_status(session, fast, "solved")
    with freeze_time(today - timedelta(days=3)):
        renewals = gen_campaign(session, "Spring renewals")
        gen_campaign(session, "Winback")
    for back in range(0, 3):
        for n in range(20):
            placed = today - timedelta(days=back) + timedelta(hours=14, minutes=n * 3)
            if placed > now:
                continue
            machine = n % 7 == 0
            answered = n % 3 != 0 and not machine
            gen_attempt(
                session,
                renewals,
                placed,
                answered=answered,
                connected=answered and n not in (5, 11),
                abandoned=n in (5, 11) and back == 1,
                machine=machine,
            )
