"""Settings read from the environment.

Every knob has an embedded default (SQLite file, in-process Redis substitute, simulated carrier)
so one command runs the whole system with no servers; production sets the variables instead.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

CARRIERS = ("simulator", "twilio")
DEFAULT_SQLITE_PATH = Path("var") / "contactcenter.db"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Empty means "use the in-process Redis substitute" (fakeredis).
    redis_url: str = ""
    carrier: str = "simulator"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    # The URL the carrier calls us on, e.g. https://cc.example.com; signatures are computed over it.
    public_base_url: str = ""
    secret_key: str = ""
    # Where the simulated carrier's REST API listens; empty means "in this process".
    simulator_url: str = ""
    default_region: str = "US"
    # Largest webhook body we accept; Twilio's own webhooks are a few kilobytes.
    max_webhook_bytes: int = 64 * 1024
    # IVR flows (YAML files) and the one inbound calls start in; empty flow name: no IVR.
    ivr_flows_dir: str = str(Path(__file__).parent / "ivr" / "flows")
    ivr_flow: str = "acme-support"
    # Callers who hang up within this many seconds of joining a queue are short abandons.
    short_abandon_s: float = 5.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    def with_overrides(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]


SIMULATOR_ACCOUNT_SID = "AC" + "5" * 32
SIMULATOR_AUTH_TOKEN = "simulator-auth-token-not-secret"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment, failing loudly on values we cannot use."""
    env = os.environ if environ is None else environ
    carrier = env.get("CARRIER", "simulator").strip().lower() or "simulator"
    if carrier not in CARRIERS:
        raise ConfigError(f"CARRIER must be one of {', '.join(CARRIERS)}, not {carrier!r}")
    sid = env.get("TWILIO_ACCOUNT_SID", "").strip()
    token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    if carrier == "twilio":
        if not (sid.startswith("AC") and len(sid) == 34):
            raise ConfigError("CARRIER=twilio needs TWILIO_ACCOUNT_SID (AC followed by 32 characters)")
        if not token:
            raise ConfigError("CARRIER=twilio needs TWILIO_AUTH_TOKEN")
        if not env.get("PUBLIC_BASE_URL", "").strip():
            raise ConfigError("CARRIER=twilio needs PUBLIC_BASE_URL, the https URL Twilio calls")
    else:
        sid = sid or SIMULATOR_ACCOUNT_SID
        token = token or SIMULATOR_AUTH_TOKEN
    public_base_url = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if public_base_url and not public_base_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")
    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        # A random key per process start is safe (sessions just expire on restart) but several
        # web processes must share one: docker-compose and the README set it.
        secret_key = secrets.token_hex(32)
    try:
        max_webhook_bytes = int(env.get("MAX_WEBHOOK_BYTES", str(64 * 1024)))
    except ValueError as exc:
        raise ConfigError("MAX_WEBHOOK_BYTES must be a whole number of bytes") from exc
    try:
        short_abandon_s = float(env.get("SHORT_ABANDON_S", "5"))
    except ValueError as exc:
        raise ConfigError("SHORT_ABANDON_S must be a number of seconds") from exc
    if not 0 <= short_abandon_s <= 600:
        raise ConfigError("SHORT_ABANDON_S must be between 0 and 600 seconds")
    return Settings(
        short_abandon_s=short_abandon_s,
        database_url=env.get("DATABASE_URL", "").strip() or Settings.database_url,
        redis_url=env.get("REDIS_URL", "").strip(),
        carrier=carrier,
        twilio_account_sid=sid,
        twilio_auth_token=token,
        public_base_url=public_base_url,
        secret_key=secret_key,
        simulator_url=env.get("SIMULATOR_URL", "").strip().rstrip("/"),
        default_region=(env.get("DEFAULT_REGION", "US").strip().upper() or "US"),
        max_webhook_bytes=max_webhook_bytes,
        ivr_flows_dir=env.get("IVR_FLOWS_DIR", "").strip() or Settings.ivr_flows_dir,
        ivr_flow=env.get("IVR_FLOW", Settings.ivr_flow).strip(),
    )
