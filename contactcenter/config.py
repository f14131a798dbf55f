"""Settings read from the environment.

Every knob has an embedded default (SQLite file, in-process Redis substitute, simulated carrier)
so one command runs the whole system with no servers; production sets the variables instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from contactcenter.errors import DomainError

CARRIERS = ("simulator", "twilio")
DEFAULT_SQLITE_PATH = Path("var") / "contactcenter.db"


class ConfigError(DomainError, ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Empty means "use the in-process Redis substitute" (fakeredis).
    redis_url: str = ""
    carrier: str = "simulator"
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)  # never in logs or tracebacks
    # The browser softphone (Voice SDK): an API key signs its access tokens; the TwiML app
    # carries its outgoing calls. Tokens live voice_token_ttl_s; the page renews them.
    twilio_api_key_sid: str = ""
    twilio_api_key_secret: str = field(default="", repr=False)  # never in logs or tracebacks
    twilio_twiml_app_sid: str = ""
    voice_token_ttl_s: int = 3600
    # The URL the carrier calls us on, e.g. https://cc.example.com; signatures are computed over it.
    public_base_url: str = ""
    secret_key: str = field(default="", repr=False)  # never in logs or tracebacks
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
    # An agent whose desktop lost its connection this long goes not ready (its offer re-offered).
    presence_grace_s: float = 10.0
    # A web process that has not renewed its lease this long is taken for dead with its sockets.
    presence_lease_s: float = 15.0
    # "production" refuses to start web processes with defaulted secrets (see production_problems).
    environment: str = "development"
    secret_key_generated: bool = False  # no SECRET_KEY given: a random one for this process only
    # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host we believe (0: none).
    trusted_proxy_hops: int = 0
    # Rate limits (0 disables one): login attempts per client address and failed logins per
    # account in login_window_s; webhook requests per client address per minute.
    login_attempts_per_ip: int = 30
    login_failures_per_account: int = 10
    login_window_s: int = 900
    webhooks_per_ip_per_minute: int = 6000
    # Sites whose pages may carry the web chat widget (scheme://host[:port]; our own always may).
    chat_allowed_origins: tuple[str, ...] = ()
    # Logs as JSON lines (one object per line) instead of plain text.
    log_json: bool = False
    # The outgoing mail server for e-mail replies from tickets (empty host: replies are not mailed).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)  # never in logs or tracebacks
    smtp_security: str = "starttls"  # starttls, ssl or none
    # Analytical CRM: the currencies orders may be in (ISO 4217; amounts are not converted, so a
    # company that sells in several lists them knowing the figures add them up as they are), whether
    # the RFM recompute sets customers' hand-set service tier, and the company's own RFM segment
    # rules as JSON (empty: the built-in rules; see contactcenter.analytics.rfm).
    analytics_currencies: tuple[str, ...] = ("USD",)
    analytics_sets_segment: bool = False
    analytics_segment_rules: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


SIMULATOR_ACCOUNT_SID = "AC" + "5" * 32
SIMULATOR_AUTH_TOKEN = "simulator-auth-token-not-secret"
ENVIRONMENTS = ("development", "production")
# Values seen in examples and compose files that must never sign a real session.
PLACEHOLDER_SECRETS = {"", "ci", "changeme", "change-me", "secret", "dev", "development", "test", "test-secret-key"}
MIN_SECRET_KEY_LENGTH = 32


def production_problems(settings: Settings) -> list[str]:
    """Why these settings must not serve real traffic; empty when they may.

    Checked by `contactcenter web` and the WSGI entry point in production
    (CONTACTCENTER_ENV=production): secrets must come from the environment, and the embedded
    defaults that serve one process (random session key, in-process Redis) cannot serve several.
    """
    problems = []
    if settings.secret_key_generated or settings.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
        problems.append("SECRET_KEY must be set to a long random value shared by every web process")
    elif len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
    if settings.twilio_auth_token == SIMULATOR_AUTH_TOKEN or settings.twilio_account_sid == SIMULATOR_ACCOUNT_SID:
        problems.append("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be your account's, not the simulator's defaults")
    if settings.uses_embedded_redis:
        problems.append("REDIS_URL must point at a Redis server (the embedded substitute serves one process)")
    if settings.database_url.startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL (SQLite serves one machine, one writer)")
    if not settings.public_base_url.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be the https:// address the carrier and browsers use")
    return problems


def check_production(settings: Settings) -> None:
    """Raise ConfigError naming every problem when production settings are unsafe."""
    if settings.environment != "production":
        return
    problems = production_problems(settings)
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    """A duration setting in seconds, between `low` and `high` (a bad one names the variable)."""
    try:
        value = float(env.get(name, str(default)))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} seconds")
    return value


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
    short_abandon_s = _seconds(env, "SHORT_ABANDON_S", 5, 0, 600)
    environment = env.get("CONTACTCENTER_ENV", "development").strip().lower() or "development"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"CONTACTCENTER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    whole = {}
    for name, default in (
        ("TRUSTED_PROXY_HOPS", 0),
        ("LOGIN_ATTEMPTS_PER_IP", 30),
        ("LOGIN_FAILURES_PER_ACCOUNT", 10),
        ("LOGIN_WINDOW_S", 900),
        ("WEBHOOKS_PER_IP_PER_MINUTE", 6000),
    ):
        raw = env.get(name, "").strip() or str(default)
        if not raw.isdigit() or int(raw) > 10**7:
            raise ConfigError(f"{name} must be a whole number")
        whole[name] = int(raw)
    if whole["TRUSTED_PROXY_HOPS"] > 5:
        raise ConfigError("TRUSTED_PROXY_HOPS must be between 0 and 5")
    log_json = env.get("LOG_FORMAT", "").strip().lower() == "json" or (
        environment == "production" and env.get("LOG_FORMAT", "").strip().lower() != "text"
    )
    smtp_security = env.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if smtp_security not in ("starttls", "ssl", "none"):
        raise ConfigError("SMTP_SECURITY must be one of starttls, ssl, none")
    smtp_port_raw = env.get("SMTP_PORT", "").strip() or ("465" if smtp_security == "ssl" else "587")
    if not smtp_port_raw.isdigit() or not 0 < int(smtp_port_raw) < 65536:
        raise ConfigError("SMTP_PORT must be a port number")
    presence_grace_s = _seconds(env, "PRESENCE_GRACE_S", 10, 0, 3600)
    chat_allowed_origins = chat_origins(env.get("CHAT_ALLOWED_ORIGINS", ""))
    api_key_sid = env.get("TWILIO_API_KEY_SID", "").strip()
    if api_key_sid and not (api_key_sid.startswith("SK") and len(api_key_sid) == 34):
        raise ConfigError("TWILIO_API_KEY_SID must be an API key SID (SK followed by 32 characters)")
    twiml_app_sid = env.get("TWILIO_TWIML_APP_SID", "").strip()
    if twiml_app_sid and not (twiml_app_sid.startswith("AP") and len(twiml_app_sid) == 34):
        raise ConfigError("TWILIO_TWIML_APP_SID must be a TwiML app SID (AP followed by 32 characters)")
    api_key_secret = env.get("TWILIO_API_KEY_SECRET", "").strip()
    if bool(api_key_sid) != bool(api_key_secret):
        raise ConfigError("TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET go together: set both or neither")
    presence_lease_s = _seconds(env, "PRESENCE_LEASE_S", 15, 1, 300)
    currencies = tuple(
        code.strip().upper() for code in env.get("ANALYTICS_CURRENCIES", "USD").split(",") if code.strip()
    )
    if not currencies or not all(len(code) == 3 and code.isalpha() and code.isascii() for code in currencies):
        raise ConfigError("ANALYTICS_CURRENCIES must be ISO 4217 codes separated by commas, e.g. USD,EUR")
    sets_segment = env.get("ANALYTICS_SETS_SEGMENT", "").strip().lower()
    if sets_segment not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError("ANALYTICS_SETS_SEGMENT must be true or false")
    return Settings(
        analytics_currencies=currencies,
        analytics_sets_segment=sets_segment in ("1", "true", "yes"),
        analytics_segment_rules=env.get("ANALYTICS_SEGMENT_RULES", "").strip(),
        environment=environment,
        secret_key_generated=not env.get("SECRET_KEY", "").strip(),
        trusted_proxy_hops=whole["TRUSTED_PROXY_HOPS"],
        login_attempts_per_ip=whole["LOGIN_ATTEMPTS_PER_IP"],
        login_failures_per_account=whole["LOGIN_FAILURES_PER_ACCOUNT"],
        login_window_s=max(1, whole["LOGIN_WINDOW_S"]),
        webhooks_per_ip_per_minute=whole["WEBHOOKS_PER_IP_PER_MINUTE"],
        log_json=log_json,
        smtp_host=env.get("SMTP_HOST", "").strip(),
        smtp_port=int(smtp_port_raw),
        smtp_username=env.get("SMTP_USERNAME", "").strip(),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_security=smtp_security,
        presence_grace_s=presence_grace_s,
        chat_allowed_origins=chat_allowed_origins,
        twilio_api_key_sid=api_key_sid,
        twilio_api_key_secret=api_key_secret,
        twilio_twiml_app_sid=twiml_app_sid,
        presence_lease_s=presence_lease_s,
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


def chat_origins(raw: str) -> tuple[str, ...]:
    """CHAT_ALLOWED_ORIGINS: comma-separated origins exactly as browsers send them
    (`https://www.example.com`, `http://localhost:8080`), no paths and no wildcard."""
    origins = []
    for part in raw.split(","):
        origin = part.strip().rstrip("/")
        if not origin:
            continue
        scheme, sep, host = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not host or any(c in host for c in "/?#*@ "):
            raise ConfigError(f"CHAT_ALLOWED_ORIGINS: {origin!r} is not an origin such as https://www.example.com")
        origins.append(origin.lower())
    return tuple(origins)
