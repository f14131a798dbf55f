"""The web layer: Flask app factory, blueprints, templates. Thin: parse, authorize, call the domain, render."""

from web.app import create_app, create_serving_app

__all__ = ["create_app", "create_serving_app"]
