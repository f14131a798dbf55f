"""Filling in variables: whitelisted names only, values never read as templates themselves."""

from __future__ import annotations

from hypothesis import given, strategies as st

from contactcenter.scripts.variables import build_context, is_known, render_text, split_name


def test_first_and_last_name_come_from_the_customer_name():
    assert split_name("  Grace   Brewster Hopper ") == ("Grace", "Brewster Hopper")


def test_explicit_first_name_in_the_customer_attributes_wins():
    context = build_context(customer_name="Dr. Grace Hopper", customer_attributes={"first_name": "Grace"})
    assert render_text("{customer.first_name}", context) == "Grace"


def test_an_unknown_variable_renders_visibly():
    assert render_text("Hi {customer.email}", build_context(customer_name="Grace")) == "Hi [unknown: customer.email]"


def test_ivr_variables_must_be_plain_names():
    assert not is_known("ivr.a.b") and not is_known("ivr.") and is_known("ivr.account_number")


def test_non_text_ivr_values_are_not_shown():
    context = build_context(ivr_variables={"account": {"nested": "secret"}, "pin": ["1", "2"]})
    assert render_text("{ivr.account} {ivr.pin}", context) == "[not given: ivr.account] [not given: ivr.pin]"


@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
def test_a_value_is_never_expanded_as_a_template(name):
    context = build_context(customer_name=name, agent_name="Alice Secret")
    rendered = render_text("{customer.name}", context)
    assert rendered == " ".join(name.split())[:200]
    assert "Alice Secret" not in rendered or "Alice Secret" in name


@given(st.text(max_size=200))
def test_rendering_any_text_never_fails_and_keeps_text_outside_placeholders(template):
    rendered = render_text(template, build_context())
    if "{" not in template:
        assert rendered == template
