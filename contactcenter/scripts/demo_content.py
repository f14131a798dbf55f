"""Demo call scripts and FAQ articles, matched to the demo IVR flow's queues and intents.

`seed_content` is called by the demo seed (`contactcenter.app.demo_data.seed`) after the queues
exist; it adds only what is missing, so running it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.acd.models import Queue
from contactcenter.scripts import faq
from contactcenter.scripts.models import CallScript, FaqArticle
from contactcenter.scripts.services import ScriptFields, save_script

SCRIPTS: tuple[dict[str, Any], ...] = (
    {
        "name": "welcome",
        "title": "Welcome and identify",
        "is_default": True,
        "definition": {
            "start": "greet",
            "steps": {
                "greet": {
                    "say": "Hello {customer.first_name}, this is {agent.first_name} at Acme Support.",
                    "kind": "choice",
                    "question": "Am I speaking with {customer.name}?",
                    "options": [
                        {"value": "yes", "label": "Yes", "next": "reason"},
                        {"value": "no", "label": "No, someone else", "next": "identify"},
                    ],
                },
                "identify": {
                    "say": "Thank you. For your security I need to confirm who I am speaking with.",
                    "kind": "text",
                    "question": "Caller's name and relation to the account holder",
                    "next": "reason",
                },
                "reason": {
                    "say": "How can I help you today?",
                    "kind": "text",
                    "question": "Reason for the call",
                    "next": "close",
                },
                "close": {
                    "say": "Is there anything else I can help with? Thank you for calling Acme, {customer.first_name}.",
                    "kind": "end",
                },
            },
        },
    },
    {
        "name": "billing",
        "title": "Billing question",
        "intents": ["billing"],
        "queue": "billing",
        "definition": {
            "start": "greet",
            "steps": {
                "greet": {
                    "say": "Hello {customer.first_name}, I see you are calling about billing.",
                    "kind": "choice",
                    "question": "Is it about a charge on the bill or a refund?",
                    "options": [
                        {"value": "charge", "label": "A charge", "next": "charge"},
                        {"value": "refund", "label": "A refund", "next": "refund"},
                        {"value": "other", "label": "Something else", "next": "other"},
                    ],
                },
                "charge": {
                    "say": "Let me open the account {ivr.account_number}.",
                    "kind": "text",
                    "question": "Date and amount of the charge",
                    "next": "resolved",
                },
                "refund": {
                    "say": "Refunds go back to the original payment method within 5 business days.",
                    "kind": "choice",
                    "question": "Was the refund already requested?",
                    "options": [
                        {"value": "yes", "label": "Yes", "next": "refund_status"},
                        {"value": "no", "label": "No", "next": "resolved"},
                    ],
                },
                "refund_status": {
                    "say": "I will check where the refund is.",
                    "kind": "text",
                    "question": "Refund or order reference",
                    "next": "resolved",
                },
                "other": {
                    "say": "Please tell me more.",
                    "kind": "text",
                    "question": "What is the question?",
                    "next": "resolved",
                },
                "resolved": {
                    "say": "Did that answer your question, {customer.first_name}?",
                    "kind": "choice",
                    "question": "Resolved on this call?",
                    "options": [
                        {"value": "yes", "label": "Resolved", "next": "close"},
                        {"value": "no", "label": "Needs a ticket", "next": "ticket"},
                    ],
                },
                "ticket": {
                    "say": "I am opening a ticket; you will hear from us within one business day.",
                    "kind": "info",
                    "next": "close",
                },
                "close": {"say": "Thank you for calling Acme billing.", "kind": "end"},
            },
        },
    },
    {
        "name": "technical",
        "title": "Technical support triage",
        "intents": ["technical support"],
        "queue": "technical",
        "definition": {
            "start": "greet",
            "steps": {
                "greet": {
                    "say": "Hello {customer.first_name}, let's get you connected again.",
                    "kind": "choice",
                    "question": "Have you restarted the router in the last hour?",
                    "options": [
                        {"value": "yes", "label": "Yes", "next": "lights"},
                        {"value": "no", "label": "No", "next": "restart"},
                    ],
                },
                "restart": {
                    "say": "Hold the reset button for 10 seconds, then wait two minutes.",
                    "kind": "info",
                    "next": "lights",
                },
                "lights": {
                    "say": "Look at the lights on the front of the router.",
                    "kind": "choice",
                    "question": "Is the internet light green?",
                    "options": [
                        {"value": "green", "label": "Green", "next": "close"},
                        {"value": "red", "label": "Red or off", "next": "escalate"},
                    ],
                },
                "escalate": {
                    "say": "I will book a technician visit.",
                    "kind": "text",
                    "question": "Preferred day and time for the visit",
                    "next": "close",
                },
                "close": {"say": "Thank you for your patience, {customer.first_name}.", "kind": "end"},
            },
        },
    },
)

ARTICLES: tuple[tuple[str, str, list[str]], ...] = (
    (
        "Changing your billing address",
        "Billing addresses are changed under Account > Billing, or by an agent after confirming the "
        "account holder's identity. The next invoice uses the new address.",
        ["billing", "account"],
    ),
    (
        "Router lights explained",
        "Green internet light: connected. Red: no signal from the network; restart the router. Off: "
        "no power or a faulty unit; book a technician.",
        ["technical support", "technical", "router"],
    ),
    (
        "Placing a new order by phone",
        "Agents can place an order for any catalogue item. Confirm the delivery address and the payment "
        "method before submitting; the customer receives a confirmation e-mail.",
        ["new order", "sales"],
    ),
)


def seed_content(session: Session) -> dict[str, int]:
    """Add the demo scripts and articles that are not there yet; returns how many were added."""
    queues = {q.name: q.id for q in session.scalars(select(Queue))}
    existing = set(session.scalars(select(CallScript.name)))
    scripts = 0
    for spec in SCRIPTS:
        if spec["name"] in existing:
            continue
        save_script(
            session,
            ScriptFields(
                name=spec["name"],
                title=spec["title"],
                definition=spec["definition"],
                queue_id=queues.get(spec.get("queue", "")),
                intents=spec.get("intents", []),
                is_default=spec.get("is_default", False),
            ),
        )
        scripts += 1
    titles = set(session.scalars(select(FaqArticle.title)))
    articles = 0
    for title, body, tags in ARTICLES:
        if title not in titles:
            faq.save_article(session, title, body, [t.replace(" ", "_") for t in tags])
            articles += 1
    return {"scripts": scripts, "faq": articles}
