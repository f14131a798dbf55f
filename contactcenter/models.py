"""Imports every model so the metadata (Alembic, create_all) sees the whole schema."""

from contactcenter.accounts.models import AgentSkill, Role, Skill, User
from contactcenter.acd.models import AgentStateChange, CallbackRequest, Queue, QueueMembership, QueueSkill
from contactcenter.analytics import (
    models as analytics_models,  # noqa: F401  (orders, per-customer scores)
    segments as analytics_segments,  # noqa: F401  (segment history)
)
from contactcenter.audit.models import AuditEntry  # noqa: F401  (security and CRM-activity log)
from contactcenter.board import models as board_models  # noqa: F401  (teams, thresholds, alert acks)
from contactcenter.calls.models import (
    CallAction,  # noqa: F401  (call control trail)
    Supervision,  # noqa: F401  (supervision trail)
)
from contactcenter.chat import models as chat_models  # noqa: F401  (web chats and their messages)
from contactcenter.contacts.models import CarrierEvent, Customer, CustomerPhone, Interaction
from contactcenter.db import Base
from contactcenter.dialer import models as dialer_models  # noqa: F401  (campaigns, leads, DNC, attempts)
from contactcenter.mail import models as mail_models  # noqa: F401  (mailboxes, e-mail messages)
from contactcenter.portal import models as portal_models  # noqa: F401  (portal sign-in links, uploads)
from contactcenter.quality import models as quality_models  # noqa: F401  (scorecard forms, evaluations)
from contactcenter.recordings import models as recording_models  # noqa: F401  (call recordings, consent rules)
from contactcenter.scripts.models import FaqArticle
from contactcenter.sms import models as sms_models  # noqa: F401  (numbers that take texts, text messages)
from contactcenter.tickets.models import Ticket, TicketEvent, TicketInteraction

__all__ = [
    "AgentSkill",
    "AgentStateChange",
    "Base",
    "CallbackRequest",
    "CarrierEvent",
    "FaqArticle",
    "Customer",
    "CustomerPhone",
    "Interaction",
    "Queue",
    "QueueMembership",
    "QueueSkill",
    "Role",
    "Skill",
    "Ticket",
    "TicketEvent",
    "TicketInteraction",
    "User",
]
