"""Demo data: a small retailer's contact center, seeded once into an empty store."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter import clock
from contactcenter.accounts.models import Role, User
from contactcenter.accounts.services import create_user, get_or_create_skill
from contactcenter.acd.models import Queue, QueueMembership, QueueSkill
from contactcenter.scripts.demo_content import seed_content
from contactcenter.scripts.models import FaqArticle
from contactcenter.tickets.customers import create_customer
from contactcenter.tickets.models import Interaction
from contactcenter.tickets.services import open_ticket

DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = (
    ("admin", "admin", "Ada Admin"),
    ("supervisor", "supervisor", "Sam Supervisor"),
    ("alice", "agent", "Alice Agent"),
    ("bob", "agent", "Bob Agent"),
    ("carmen", "agent", "Carmen Agent"),
)
QUEUES = (
    ("support", "Customer support", 0, {"support": 1}),
    ("billing", "Billing", 1, {"billing": 3}),
    ("technical", "Technical support", 0, {"technical": 5}),
    ("sales", "Sales", 2, {"sales": 1}),
)
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
    ("Where is my order?", "Order status is available by phone (press 1) or on the website under My orders.", ["orders"]),
    ("How do I get a refund?", "Refunds go back to the original payment method within 5 business days.", ["billing", "refund"]),
    ("Resetting your router", "Hold the reset button for 10 seconds, wait two minutes, then reconnect.", ["technical"]),
    ("Business hours", "Our office is open Monday to Friday, 08:00 to 20:00 Eastern time; the night team answers calls at any other hour, and callers can leave a message (press 8) or ask for a callback (press 3).", ["general"]),
)
DISPOSITIONS = ("resolved", "follow-up", "refund-issued", "escalated")


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
            session, username, DEMO_PASSWORD, role=Role(role), display_name=display,
            email=f"{username}@contactcenter.example", skills=AGENT_SKILLS.get(username, {}),
        )
    for username, skills in AGENT_SKILLS.items():
        for name in queues:
            if name in skills or name == "support":
                session.add(QueueMembership(queue_id=queues[name].id, user_id=users[username].id))
    now = clock.now()
    calls = 0
    for index, (name, number, segment, email) in enumerate(CUSTOMERS):
        customer = create_customer(session, name, [number], email=email, segment=segment,
                                   attributes={"account_number": f"{100000 + index}"})
        for n in range(rng.randint(1, 4)):
            arrived = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
            agent = users[rng.choice(list(AGENT_SKILLS))]
            queue = queues[rng.choice(list(queues))]
            wait, talk = rng.randint(5, 90), rng.randint(60, 900)
            call = Interaction(
                call_sid=f"CA{rng.getrandbits(128):032x}", direction="inbound", from_number=number,
                to_number="+18005550199", customer_id=customer.id, status="completed",
                arrived_at=arrived, queued_at=arrived + timedelta(seconds=20),
                offered_at=arrived + timedelta(seconds=20 + wait),
                answered_at=arrived + timedelta(seconds=22 + wait),
                ended_at=arrived + timedelta(seconds=22 + wait + talk), duration_s=22 + wait + talk,
                queue_id=queue.id, agent_id=agent.id, ivr_path=["welcome", "main_menu"],
                disposition=rng.choice(DISPOSITIONS), notes=f"Call {n + 1} with {name.split()[0]}.",
                outcome="completed",
            )
            session.add(call)
            calls += 1
        session.flush()
        if index % 2 == 0:
            open_ticket(session, f"Follow-up for {name}", description="Customer asked for a call back.",
                        customer_id=customer.id, priority="high" if segment == "vip" else "normal",
                        queue_id=queues["support"].id, actor_id=users["alice"].id)
    for title, body, tags in FAQ:
        session.add(FaqArticle(title=title, body=body, tags=tags))
    session.flush()
    content = seed_content(session)  # call scripts (by queue and intent) and more articles
    return {"queues": len(queues), "users": len(users), "customers": len(CUSTOMERS), "interactions": calls,
            "faq": len(FAQ) + content["faq"], "scripts": content["scripts"]}
