"""The webhook URLs handed to the carrier (`CarrierUrls.under`, used by the web app for each host,
the demo, simulated agents and the load bench) are the web app's own routes."""

from __future__ import annotations

from dataclasses import fields

import pytest

from contactcenter.app.services import CarrierUrls
from web.services import carrier_urls, external_url

# Each URL of CarrierUrls and the endpoint of web/hooks.py (or dialer_hooks.py) that serves it.
ROUTES = {
    ("hooks", "voice"): "hooks.voice",
    ("hooks", "status"): "hooks.status",
    ("hooks", "wait"): "hooks.wait",
    ("hooks", "queue_key"): "hooks.queue_key",
    ("hooks", "hold"): "hooks.hold",
    ("hooks", "overflow_recording"): "hooks.overflow_recording",
    ("ivr", "gather"): "hooks.ivr_gather",
    ("ivr", "recording"): "hooks.ivr_recording",
    ("ivr", "dial"): "hooks.ivr_dial",
    ("connect", "connect"): "hooks.connect",
    ("connect", "agent_status"): "hooks.agent_leg",
    ("connect", "callback_answer"): "hooks.callback_answer",
    ("control", "wait"): "hooks.wait",
    ("control", "agent_status"): "hooks.agent_leg",
    ("dialer", "answer"): "dialer_hooks.answer",
    ("dialer", "status"): "dialer_hooks.status",
    ("dialer", "hold"): "dialer_hooks.hold",
    ("recordings", "status"): "recording_hooks.recording_status",
}

# URLs in CarrierUrls that are not webhooks of ours.
NOT_ROUTES = {("control", "hold_music")}


def _urls(urls: CarrierUrls) -> dict[tuple[str, str], str]:
    return {
        (group.name, item.name): getattr(getattr(urls, group.name), item.name)
        for group in fields(urls)
        for item in fields(getattr(urls, group.name))
        if (group.name, item.name) not in NOT_ROUTES
    }


def test_every_carrier_url_has_its_route() -> None:
    assert set(_urls(CarrierUrls.under("http://x"))) == set(ROUTES)


@pytest.mark.parametrize(
    ("public_base", "request_base", "root"),
    [
        ("", "http://cc.example:8080", "http://cc.example:8080"),
        ("https://cc.example.com", "http://10.0.0.5:5000", "https://cc.example.com"),
    ],
)
def test_a_requests_carrier_urls_are_the_routes_of_the_web_app(app, runtime, public_base, request_base, root) -> None:  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(public_base_url=public_base)
    with app.test_request_context("/", base_url=request_base):
        given = carrier_urls()
        assert given == CarrierUrls.under(root)
        assert _urls(given) == {key: external_url(endpoint) for key, endpoint in ROUTES.items()}
