"""`CarrierUrls.under(base)` (the demo, simulated agents, the load bench) names the same webhook
URLs the web app builds from its routes for a request to that host."""

from __future__ import annotations

from contactcenter.app.services import CarrierUrls
from web.services import carrier_urls


def test_urls_under_a_base_are_the_routes_of_the_web_app(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", base_url="http://cc.example:8080"):
        assert carrier_urls() == CarrierUrls.under("http://cc.example:8080")


def test_urls_under_a_public_base_are_the_routes_of_the_web_app(app, runtime) -> None:  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.with_overrides(public_base_url="https://cc.example.com")
    with app.test_request_context("/", base_url="http://10.0.0.5:5000"):
        assert carrier_urls() == CarrierUrls.under("https://cc.example.com")
