"""Demo data: a small retailer's contact center, seeded once into an empty store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import Role, User
from contactcenter.accounts.services import create_user, get_or_create_skill
from contactcenter.acd.models import Queue, QueueMembership, QueueSkill
from contactcenter.contacts.customers import create_customer
from contactcenter.contacts.models import Customer, Interaction
from contactcenter.quality.interfaces import FormDraft, QuestionDraft
from contactcenter.quality.services import QualityService
from contactcenter.recordings.services import RecordingService
from contactcenter.scripts.demo_content import seed_content
from contactcenter.scripts.models import FaqArticle
from contactcenter.tickets import sla
from contactcenter.tickets.services import add_comment, change_status, open_ticket

NEW_YORK = ZoneInfo("America/New_York")
DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = (
    ("admin", "admin", "Ada Admin"),
    ("supervisor", "supervisor", "Sam Supervisor"),
    ("alice", "agent", "Alice Agent"),
    ("bob", "agent", "Bob Agent"),
    ("carmen", "agent", "Carmen Agent"),
)
QUEUES: tuple[tuple[str, str, int, dict[str, int]], ...] = (
    ("support", "Customer support", 0, {"support": 1}),
    ("billing", "Billing", 1, {"billing": 3}),
    ("technical", "Technical support", 0, {"technical": 5}),
    ("sales", "Sales", 2, {"sales": 1}),
    ("chat", "Web chat", 0, {}),
)
# Who answers the web chat: the people at a desktop (the simulated agents take calls only).
CHAT_AGENTS = ("alice",)
AGENT_SKILLS = {
    "alice": {"support": 8, "billing": 6, "spanish": 9},
    "bob": {"support": 5, "technical": 9},
    "carmen": {"support": 6, "sales": 8, "billing": 4},
}
# Callers the simulator uses; the first ones are known customers, the rest are strangers.
CUSTOMERS = (
    ("Grace Hopper", "+14155550100", "vip", "grace@example.com"),
    ("Alan Turing", "+14155550101", "gold", "alan@example.com"),
    ("Katherine Johnson", "+14155550102", "standard", "katherine@example.com"),
    ("Edsger Dijkstra", "+14155550103", "standard", None),
    ("Barbara Liskov", "+14155550104", "silver", "barbara@example.com"),
    ("Donald Knuth", "+14155550105", "standard", "don@example.com"),
)
UNKNOWN_CALLERS = ("+14155550180", "+14155550181", "+12125550182")
FAQ = (
    (
        "Where is my order?",
        "Order status is available by phone (press 1) or on the website under My orders.",
        ["orders"],
    ),
    (
        "How do I get a refund?",
        "Refunds go back to the original payment method within 5 business days.",
        ["billing", "refund"],
    ),
    ("Resetting your router", "Hold the reset button for 10 seconds, wait two minutes, then reconnect.", ["technical"]),
    (
        "Business hours",
        "Our office is open Monday to Friday, 08:00 to 20:00 Eastern time; the night team answers calls "
        "at any other hour, and callers can leave a message (press 8) or ask for a callback (press 3).",
        ["general"],
    ),
)
DISPOSITIONS = ("resolved", "follow-up", "refund-issued", "escalated")
# Ticket SLAs are measured in office hours: a ticket opened on Friday evening is not late on Monday.
OFFICE_CALENDAR = (
    "Acme office hours",
    {
        "time_zone": "America/New_York",
        "hours": {day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-12-25", "2027-01-01"],
    },
)
HOUR = 3600
# First-reply targets per written channel, counted on office hours.
CHANNEL_POLICIES = (
    ("Chat: reply in 30 seconds", "chat", 30),
    ("Texts: reply in 15 minutes", "sms", 15 * 60),
    ("E-mail: reply in 4 hours", "email", 4 * HOUR),
)
SLA_POLICY = (
    "Acme standard support",
    {
        "first_response": {"urgent": 1 * HOUR, "high": 2 * HOUR, "*": 8 * HOUR},
        "resolution": {"urgent": 8 * HOUR, "high": 24 * HOUR, "*": 36 * HOUR},
    },
)
# Past tickets (subject, priority, hours to the first answer, hours more to solve; None: still
# waiting), so `contactcenter report sla` has met and breached clocks on a fresh demo.
TICKET_HISTORY = (
    ("Parcel arrived damaged", "high", 1.0, 20.0),
    ("Charged twice for one order", "high", 5.0, 30.0),
    ("Router keeps dropping the connection", "normal", 3.0, 12.0),
    ("Wrong size delivered", "normal", 30.0, 40.0),
    ("Refund not received", "urgent", 0.5, 6.0),
    ("Cannot log in to my account", "normal", 2.0, 4.0),
    ("Invoice shows the old address", "low", 6.0, None),
    ("Order stuck in the warehouse", "normal", None, None),
)


def is_seeded(session: Session) -> bool:
    return (session.scalar(select(func.count(User.id))) or 0) > 0


def seed(session: Session, *, seed: int = 7) -> dict[str, int]:
    """Insert the demo data unless users already exist; returns what was created."""
    if is_seeded(session):
        return {}
    rng = random.Random(seed)
    queues: dict[str, Queue] = {}
    for name, display, priority, skills in QUEUES:
        queue = Queue(name=name, display_name=display, priority=priority)
        for skill, level in skills.items():
            queue.required_skills.append(QueueSkill(skill=get_or_create_skill(session, skill), min_level=level))
        session.add(queue)
        queues[name] = queue
    session.flush()
    users: dict[str, User] = {}
    for username, role, display in DEMO_LOGINS:
        users[username] = create_user(
            session,
            username,
            DEMO_PASSWORD,
            role=Role(role),
            display_name=display,
            email=f"{username}@contactcenter.example",
            skills=AGENT_SKILLS.get(username, {}),
        )
    for username, skills in AGENT_SKILLS.items():
        for name in queues:
            if name in skills or name == "support" or (name == "chat" and username in CHAT_AGENTS):
                session.add(QueueMembership(queue_id=queues[name].id, user_id=users[username].id))
    calendar = sla.create_calendar(session, *OFFICE_CALENDAR)
    for name, channel, target_s in CHANNEL_POLICIES:
        # Matched before the standard policy: each written channel has its own first-reply target.
        sla.create_policy(
            session,
            name,
            targets={"first_response": target_s, "resolution": SLA_POLICY[1]["resolution"]},
            calendar_id=calendar.id,
            channels=[channel],
            position=10,
        )
    sla.create_policy(
        session,
        SLA_POLICY[0],
        targets=SLA_POLICY[1],
        calendar_id=calendar.id,
        queue_ids=[queue.id for queue in queues.values()],
    )
    now = clock.now()
    calls = tickets = 0
    for index, (name, number, segment, email) in enumerate(CUSTOMERS):
        customer = create_customer(
            session, name, [number], email=email, segment=segment, attributes={"account_number": f"{100000 + index}"}
        )
        for n in range(rng.randint(1, 4)):
            arrived = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            agent = users[rng.choice(list(AGENT_SKILLS))]
            queue = queues[rng.choice(list(queues))]
            wait, talk = rng.randint(5, 90), rng.randint(60, 900)
            call = Interaction(
                call_sid=f"CA{rng.getrandbits(128):032x}",
                direction="inbound",
                from_number=number,
                to_number="+18005550199",
                customer_id=customer.id,
                status="completed",
                arrived_at=arrived,
                queued_at=arrived + timedelta(seconds=20),
                offered_at=arrived + timedelta(seconds=20 + wait),
                answered_at=arrived + timedelta(seconds=22 + wait),
                ended_at=arrived + timedelta(seconds=22 + wait + talk),
                duration_s=22 + wait + talk,
                queue_id=queue.id,
                agent_id=agent.id,
                ivr_path=["welcome", "main_menu"],
                disposition=rng.choice(DISPOSITIONS),
                notes=f"Call {n + 1} with {name.split()[0]}.",
                outcome="completed",
            )
            session.add(call)
            calls += 1
        session.flush()
        if index % 2 == 0:
            open_ticket(
                session,
                f"Follow-up for {name}",
                description="Customer asked for a call back.",
                customer_id=customer.id,
                priority="high" if segment == "vip" else "normal",
                queue_id=queues["support"].id,
                actor_id=users["alice"].id,
            )
            tickets += 1
    tickets += _ticket_history(session, rng, now, queues, users)
    tickets += _mail_conversations(session)
    _text_number(session)
    sla.recompute_open(session, now=now)
    for title, body, tags in FAQ:
        session.add(FaqArticle(title=title, body=body, tags=tags))
    session.flush()
    content = seed_content(session)  # call scripts (by queue and intent) and more articles
    QualityService(session).create_form(DEMO_SCORECARD, users["admin"].id)
    _recording_rule(session, queues[RECORDED_QUEUE])
    shop = seed_shop(session)
    return {
        "queues": len(queues),
        "users": len(users),
        "customers": len(CUSTOMERS),
        "interactions": calls,
        "tickets": tickets,
        "sla_policies": 1 + len(CHANNEL_POLICIES),
        "mailboxes": 1,
        "text_numbers": 1,
        "faq": len(FAQ) + content["faq"],
        "scripts": content["scripts"],
        "scorecard_forms": 1,
        "recording_rules": 1,
        "shoppers": shop["shoppers"],
        "orders": shop["orders"],
    }


# One queue's calls are recorded, so a new user finds recordings to listen to and to score: the
# billing queue, whose calls carmen answers, kept for a day. The simulator's WAV is 8 kHz 16-bit in
# two channels (32 kB a second); at the demo's 6 calls a minute that measured about 14 MB an hour,
# so at most about 330 MB stay stored before retention deletes them (bench/demo_recordings.py).
RECORDED_QUEUE = "billing"
DEMO_RECORDING_RETENTION_DAYS = 1


def _recording_rule(session: Session, queue: Queue) -> None:
    RecordingService(session).set_rule("queue", str(queue.id), "record", retention_days=DEMO_RECORDING_RETENTION_DAYS)


# A support call's scorecard: what supervisors score recorded calls against in the demo.
DEMO_SCORECARD = FormDraft(
    "Support call",
    "How a support call should go: greeting, identity check, solving it, and closing.",
    True,
    (
        QuestionDraft("Opening", "Greeted the caller and gave their own name", 10),
        QuestionDraft("Opening", "Verified the caller's identity before discussing the account", 20, auto_fail=True),
        QuestionDraft("Resolution", "Understood the problem (asked, listened, confirmed)", 20, "scale", 5),
        QuestionDraft("Resolution", "Solved it or set a clear next step", 25, "scale", 5),
        QuestionDraft("Closing", "Offered further help and summarised the outcome", 10),
        QuestionDraft("Closing", "Polite and patient throughout", 15, "scale", 5),
    ),
)


SHOPPERS = 240  # customers known only from the shop, besides the demo callers
SHOP_FIRST = ("Ada", "Boris", "Chiara", "Dev", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Luis")
SHOP_LAST = ("Adler", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad", "Ivanova", "Jensen")


def seed_shop(session: Session, *, seed: int = 7) -> dict[str, int]:
    """Two years of orders for the demo customers and some shoppers, drawn from the lifetime-value
    models (contactcenter.analytics.synthetic, shoppers favouring a category), then the figures
    computed, so the screen pop and the customer page show a segment, a value tier, P(alive), a
    churn risk and next-best offers from the first call."""
    from sqlalchemy import insert

    from contactcenter.analytics import risk_and_offers, services as analytics_services, synthetic

    now = clock.now()
    rows = [
        {
            "name": f"{SHOP_FIRST[i % len(SHOP_FIRST)]} {SHOP_LAST[(i // len(SHOP_FIRST)) % len(SHOP_LAST)]}",
            "email": f"shopper{i + 1}@example.com",
            "segment": "standard",
            "attributes": {"source": "shop"},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(SHOPPERS)
    ]
    session.execute(insert(Customer), rows)
    ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
    history = synthetic.generate(len(ids), end=now, weeks=104, seasonality=0.3, category_affinity=0.7, seed=seed)
    orders = analytics_services.store_history(session, history, ids, currency="USD", prefix="DEMO")
    # A year of month-end segment snapshots, so the segment report shows customers moving
    # between segments from the first start (snapshots otherwise begin with today's recompute).
    known = analytics_services.order_rows(session, until=now)
    analytics_services.backfill_segments(session, analytics_services.month_ends(12, today=now.date()), orders=known)
    analytics_services.recompute(session, as_of=now, orders=known)
    risk_and_offers.recompute(session, as_of=now, orders=known)
    return {"shoppers": SHOPPERS, "orders": orders}


DEMO_MAILBOX = "support@acme.example"
# (sender, subject, text, answers the previous message)
DEMO_MAIL = (
    (
        "Alan Turing <alan@example.com>",
        "Invoice shows the wrong address",
        "Hello,\n\nmy last invoice still "
        "shows my old address in Manchester. Could you update it to 2 Hampton Road?\n\nThanks,\nAlan",
        False,
    ),
    (
        "Alan Turing <alan@example.com>",
        "Re: Invoice shows the wrong address",
        "Also, could you send me a "
        "corrected copy of the November invoice?\n\nOn Monday, support wrote:\n> We are looking into it.",
        True,
    ),
    (
        "Barbara Liskov <barbara@example.com>",
        "Router keeps dropping the connection",
        "Since Tuesday my router "
        "drops the connection every evening around 8 pm. I already restarted it twice.\n\n-- \nBarbara",
        False,
    ),
)


DEMO_TEXT_NUMBER = "+18005550123"
DEMO_TEXT_HELP = "Acme Support: we answer texts 8am-8pm ET. Reply STOP to opt out."
# (customer's mobile, text) sent through the simulated carrier once the demo runs
DEMO_TEXTS = (
    ("+14155550102", "Hi, can I change the delivery address for order 1187? I moved last week."),
    ("+14155550103", "My router's light is blinking orange again"),
)


def _text_number(session: Session) -> None:
    """The number customers text; the demo's customers text it once it runs (demo.py). Support's
    callers get a satisfaction question texted from it after an agent answered them."""
    from contactcenter.sms.numbers import add_number

    add_number(session, DEMO_TEXT_NUMBER, queue="support", help_text=DEMO_TEXT_HELP)
    support = session.scalar(select(Queue).where(Queue.name == "support"))
    if support is not None:
        support.survey_after_call = True


def _mail_conversations(session: Session) -> int:
    """A support mailbox and a few customers' e-mails on it, so the ticket pages show the channel."""
    from email.message import EmailMessage
    from email.utils import make_msgid

    from contactcenter.mail.inbound import deliver
    from contactcenter.mail.mailboxes import add_mailbox

    add_mailbox(
        session,
        DEMO_MAILBOX,
        display_name="Acme Support",
        queue="support",
        signature="Acme Support\n+1 800 555 0199 · support@acme.example",
    )
    previous, opened = None, 0
    for sender, subject, text, answers in DEMO_MAIL:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, DEMO_MAILBOX, subject
        message["Message-ID"] = make_msgid(domain="example.com")
        if answers and previous:
            message["In-Reply-To"] = previous
        message.set_content(text)
        opened += deliver(session, message.as_bytes(), [DEMO_MAILBOX]).created
        previous = message["Message-ID"]
    return opened


def _ticket_history(
    session: Session, rng: random.Random, now: datetime, queues: dict[str, Queue], users: dict[str, User]
) -> int:
    """Tickets of the past weeks, worked through under the demo SLA policy; returns how many.

    Each ticket's trail (opened, answered, solved) is written on a `ManualClock` set to that
    ticket's past, since SLA clocks are derived from the trail's timestamps. Seeding runs before
    the demo starts its threads, so nothing else reads the clock meanwhile.
    """
    customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    agents = [users[name] for name in AGENT_SKILLS]
    for index, (subject, priority, answer_h, solve_h) in enumerate(TICKET_HISTORY):
        # A weekday morning or afternoon 3 to 20 days ago, in New York.
        day = (
            (now - timedelta(days=3 + index * 2))
            .astimezone(NEW_YORK)
            .replace(hour=rng.choice((9, 10, 11, 14, 15)), minute=rng.randint(0, 59), second=0, microsecond=0)
        )
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        agent, customer = agents[index % len(agents)], customers[index % len(customers)]
        queue = queues[("support", "billing", "technical", "support")[index % 4]]
        with clock.using(clock.ManualClock(day.astimezone(UTC))) as past:
            ticket = open_ticket(
                session,
                subject,
                customer_id=customer.id,
                priority=priority,
                queue_id=queue.id,
                assignee_id=agent.id,
                channel="phone",
                actor_id=agent.id,
                description=f"{customer.name} called about this.",
            )
            change_status(session, ticket, "open", actor_id=agent.id)
            if answer_h is not None:
                past.advance(answer_h * HOUR)
                add_comment(
                    session,
                    ticket,
                    "Thanks for your patience, we are looking into it.",
                    public=True,
                    author_id=agent.id,
                )
            if solve_h is not None:
                past.advance(solve_h * HOUR)
                add_comment(
                    session,
                    ticket,
                    "This is sorted now; we will be glad to help again.",
                    public=True,
                    author_id=agent.id,
                )
                change_status(session, ticket, "solved", actor_id=agent.id)
    return len(TICKET_HISTORY)


# The outbound demo: a small progressive campaign worked by two agents the machine plays. Its
# leads live around the world so that, whatever the hour, some are inside their 08:00-21:00
# calling window and the pacer has someone to dial.
OUTBOUND_CAMPAIGN = "Winter renewals"
OUTBOUND_QUEUE = ("outbound", "Outbound renewals", "outbound")
OUTBOUND_AGENTS = (("dave", "Dave Dialer"), ("erin", "Erin Dialer"))
# A number per region, its last two digits varied for each lead.
OUTBOUND_NUMBER_STEMS = (
    "+121255501",  # New York
    "+141555501",  # San Francisco
    "+180855501",  # Honolulu
    "+4420794601",  # London
    "+4930123456",  # Berlin
    "+65623456",  # Singapore
    "+612912345",  # Sydney
    "+813123456",  # Tokyo
    "+55119876543",  # São Paulo
)
OUTBOUND_REGIONS = ["US", "+44", "+49", "+65", "+61", "+81", "+55"]
OUTBOUND_LEADS_PER_STEM = 20
# Two leads whose numbers go on the do-not-call list after import: the gate refuses them when
# their turn comes, and the lead page says why.
OUTBOUND_DNC = ("+12125550105", "+442079460107")
FIRST_NAMES = ("Ada", "Bea", "Cy", "Dot", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Noether", "Curie", "Franklin", "Shannon")


def outbound_lead_numbers() -> list[str]:
    return [f"{stem}{n:02d}" for stem in OUTBOUND_NUMBER_STEMS for n in range(OUTBOUND_LEADS_PER_STEM)]


def seed_outbound(session: Session) -> dict[str, int]:
    """The outbound team, queue and campaign (running, with leads), unless the campaign exists.

    Run on every demo start, so a store seeded before the campaign existed gets it too.
    """
    import io

    from contactcenter.dialer import campaigns, dnc
    from contactcenter.dialer.leads_import import import_leads
    from contactcenter.dialer.models import Campaign

    if session.scalars(select(Campaign.id).where(Campaign.name == OUTBOUND_CAMPAIGN)).first() is not None:
        return {}
    name, display, skill = OUTBOUND_QUEUE
    queue = session.scalars(select(Queue).where(Queue.name == name)).first()
    if queue is None:
        queue = Queue(name=name, display_name=display, priority=2, wrap_up_s=5)
        queue.required_skills.append(QueueSkill(skill=get_or_create_skill(session, skill), min_level=1))
        session.add(queue)
        session.flush()
    for username, full_name in OUTBOUND_AGENTS:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = create_user(
                session,
                username,
                DEMO_PASSWORD,
                role=Role.AGENT,
                display_name=full_name,
                email=f"{username}@contactcenter.example",
                skills={skill: 5},
            )
            session.add(QueueMembership(queue_id=queue.id, user_id=user.id))
    session.flush()
    campaign = campaigns.create_campaign(
        session,
        name=OUTBOUND_CAMPAIGN,
        caller_id="+18005550100",
        company_name="Acme",
        callback_number="+18005550199",
        description="The demo's outbound campaign: renewal calls, worked by Dave and Erin (played by the machine).",
        dial_mode="progressive",
        rule_set="US",
        queue_id=queue.id,
        calling_window={"start": "08:00", "end": "21:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        allowed_regions=list(OUTBOUND_REGIONS),
        ring_timeout_s=15,
        max_attempts=3,
        retry_delays={"busy": 120, "no-answer": 300, "machine": 600, "failed": 300, "canceled": 300, "abandoned": 600},
        script="Hello {name}, this is Acme calling about renewing your plan before the winter.",
    )
    rows = ["name,phone"] + [
        f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]},{number}"
        for i, number in enumerate(outbound_lead_numbers())
    ]
    report = import_leads(session, campaign, io.StringIO("\n".join(rows) + "\n", newline=""), source="demo")
    for number in OUTBOUND_DNC:
        dnc.add(session, number, source="national", reason="demo national register")
    campaigns.start_campaign(session, campaign)
    session.flush()
    return {"campaign": 1, "leads": report.imported}
