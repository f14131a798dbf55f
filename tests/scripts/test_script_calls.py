"""Scripts on a call: which one is chosen, its text for the caller, the answers and branches."""

from __future__ import annotations

import pytest

from contactcenter.scripts.definition import ScriptInvalid
from contactcenter.scripts.services import (
    AnswerRefused,
    ScriptFields,
    choose_script,
    record_answer,
    save_script,
    script_view,
)
from tests.support.factories import gen_agent, gen_customer, gen_queue
from tests.support.scripts import definition, gen_call, gen_campaign, gen_dialed_call, gen_script

# ------------------------------------------------------------------------------- choosing


def test_no_script_applies_without_a_default(db):
    gen_script(db, "billing", intents=["billing"])
    assert choose_script(db, gen_call(db, intent="returns")) is None


def test_the_default_script_serves_any_call(db):
    gen_script(db, "welcome", is_default=True)
    assert choose_script(db, gen_call(db)).name == "welcome"


def test_intent_beats_default(db):
    gen_script(db, "welcome", is_default=True)
    gen_script(db, "billing", intents=["Billing"])
    chosen = choose_script(db, gen_call(db, intent="billing"))
    assert (chosen.name, chosen.reason) == ("billing", "intent")


def test_queue_beats_intent(db):
    support = gen_queue(db, "support")
    gen_script(db, "billing", intents=["billing"])
    gen_script(db, "support-line", queue_id=support.id)
    chosen = choose_script(db, gen_call(db, intent="billing", queue_id=support.id))
    assert (chosen.name, chosen.reason) == ("support-line", "queue")


def test_a_campaign_bound_script_beats_the_queue(db):
    sales = gen_queue(db, "sales")
    campaign = gen_campaign(db, queue_id=sales.id)
    gen_script(db, "sales-line", queue_id=sales.id)
    gen_script(db, "renewals", campaign_id=campaign.id)
    chosen = choose_script(db, gen_dialed_call(db, campaign, queue_id=sales.id))
    assert (chosen.name, chosen.reason) == ("renewals", "campaign")


def test_the_campaign_script_field_names_a_script(db):
    gen_script(db, "renewals")
    gen_script(db, "welcome", is_default=True)
    campaign = gen_campaign(db, script="renewals")
    assert choose_script(db, gen_dialed_call(db, campaign)).name == "renewals"


def test_a_campaign_free_text_script_is_shown_with_its_variables(db):
    campaign = gen_campaign(db, script="Hi {customer.first_name}, calling from {campaign.name}.")
    grace = gen_customer(db, "Grace Hopper")
    view = script_view(db, gen_dialed_call(db, campaign, customer_id=grace.id))
    assert view.steps[view.start]["say"] == "Hi Grace, calling from Spring renewals."


def test_an_inactive_script_is_not_chosen(db):
    gen_script(db, "welcome", is_default=True, active=False)
    assert choose_script(db, gen_call(db)) is None


def test_a_call_keeps_the_script_it_was_answered_in(db):
    agent = gen_agent(db)
    gen_script(db, "welcome", is_default=True)
    call = gen_call(db, agent_id=agent.id)
    record_answer(db, call, "greet", "no", agent)
    gen_script(db, "billing", intents=["billing"])
    call.intent = "billing"
    assert choose_script(db, call).name == "welcome"


# ------------------------------------------------------------------------------- rendering


def test_variables_are_filled_in_for_the_caller(db):
    agent = gen_agent(db, display_name="Alice Adams")
    grace = gen_customer(db, "Grace Brewster Hopper")
    gen_script(db, "welcome", is_default=True)
    call = gen_call(db, customer_id=grace.id, agent_id=agent.id, ivr_variables={"account_number": "A-77"})
    view = script_view(db, call)
    assert view.steps["greet"]["say"] == "Hello Grace, this is Alice."
    assert view.steps["order"]["say"] == "Account A-77 on file."
    assert view.steps["close"]["say"] == "Thank you, Grace Brewster Hopper!"


def test_a_missing_value_is_shown_as_missing(db):
    gen_script(db, "welcome", is_default=True)
    view = script_view(db, gen_call(db))
    assert view.steps["order"]["say"] == "Account [not given: ivr.account_number] on file."


def test_markup_in_a_customer_name_is_kept_as_plain_text(db):
    hostile = "<img src=x onerror=alert(1)>"
    gen_script(db, "welcome", is_default=True)
    view = script_view(db, gen_call(db, customer_id=gen_customer(db, hostile).id))
    # Rendering yields the text as given; the desktop and the templates escape it on output.
    assert view.steps["close"]["say"] == f"Thank you, {hostile}!"


def test_a_template_cannot_reach_model_attributes(db):
    campaign = gen_campaign(db, script="{customer.password_hash} {call.__class__} {agent.password_hash}")
    view = script_view(db, gen_dialed_call(db, campaign, customer_id=gen_customer(db).id))
    assert view.steps[view.start]["say"] == (
        "[unknown: customer.password_hash] [unknown: call.__class__] [unknown: agent.password_hash]"
    )


# ------------------------------------------------------------------------------- answering


@pytest.fixture
def on_call(db):  # type: ignore[no-untyped-def]
    agent = gen_agent(db)
    gen_script(db, "welcome", is_default=True)
    return agent, gen_call(db, agent_id=agent.id, customer_id=gen_customer(db).id)


def test_the_first_step_is_current_before_any_answer(db, on_call):
    _, call = on_call
    view = script_view(db, call)
    assert (view.path, view.current) == ([], "greet")


def test_a_choice_branches_to_its_option(db, on_call):
    agent, call = on_call
    assert record_answer(db, call, "greet", "yes", agent).current == "order"


def test_the_other_choice_takes_the_other_branch(db, on_call):
    agent, call = on_call
    assert record_answer(db, call, "greet", "no", agent).current == "general"


def test_answers_are_stored_on_the_interaction(db, on_call):
    agent, call = on_call
    record_answer(db, call, "greet", "yes", agent)
    record_answer(db, call, "order", "  SO-1234 ", agent)
    db.expire_all()
    stored = call.script_answers
    assert stored["script"] == "welcome"
    assert {k: v["answer"] for k, v in stored["answers"].items()} == {"greet": "yes", "order": "SO-1234"}


def test_an_answer_not_among_the_options_is_refused(db, on_call):
    agent, call = on_call
    with pytest.raises(AnswerRefused) as err:
        record_answer(db, call, "greet", "maybe", agent)
    assert err.value.code == "bad_answer"


def test_a_step_off_the_path_cannot_be_answered(db, on_call):
    agent, call = on_call
    record_answer(db, call, "greet", "yes", agent)
    with pytest.raises(AnswerRefused) as err:
        record_answer(db, call, "general", "", agent)
    assert err.value.code == "not_on_path"


def test_answering_an_earlier_step_again_drops_the_old_branch(db, on_call):
    agent, call = on_call
    record_answer(db, call, "greet", "yes", agent)
    record_answer(db, call, "order", "SO-1", agent)
    view = record_answer(db, call, "greet", "no", agent)
    assert ([p["step"] for p in view.path], view.current) == (["greet"], "general")
    assert set(call.script_answers["answers"]) == {"greet"}


def test_the_script_ends_after_the_last_step(db, on_call):
    agent, call = on_call
    record_answer(db, call, "greet", "no", agent)
    assert record_answer(db, call, "general", "", agent).current == "close"
    with pytest.raises(AnswerRefused):
        record_answer(db, call, "close", "", agent)


def test_an_oversized_text_answer_is_refused(db, on_call):
    agent, call = on_call
    record_answer(db, call, "greet", "yes", agent)
    with pytest.raises(AnswerRefused):
        record_answer(db, call, "order", "x" * 1001, agent)


# ------------------------------------------------------------------------------- saving


def test_an_invalid_script_is_not_saved(db):
    with pytest.raises(ScriptInvalid) as err:
        save_script(
            db,
            ScriptFields(
                name="broken",
                title="Broken",
                definition=definition(general={"say": "x", "kind": "info", "next": "void"}),
            ),
        )
    assert [p.code for p in err.value.problems] == ["dangling"]


def test_two_scripts_cannot_share_a_name(db):
    gen_script(db, "welcome")
    with pytest.raises(ScriptInvalid) as err:
        gen_script(db, "welcome")
    assert err.value.problems[0].code == "duplicate-name"


def test_a_hostile_name_is_refused(db):
    with pytest.raises(ScriptInvalid) as err:
        gen_script(db, "x'; DROP TABLE call_scripts; --")
    assert err.value.problems[0].code == "bad-name"


def test_an_answered_choice_shows_its_label_filled_in(db):
    agent = gen_agent(db)
    greet = {
        "say": "Hi",
        "kind": "choice",
        "question": "Who?",
        "options": [
            {"value": "self", "label": "{customer.first_name} in person", "next": "close"},
            {"value": "other", "label": "Someone else", "next": "close"},
        ],
    }
    gen_script(db, "welcome", is_default=True, definition=definition(greet=greet, order=None, general=None))
    call = gen_call(db, agent_id=agent.id, customer_id=gen_customer(db).id)
    assert record_answer(db, call, "greet", "self", agent).path[0]["label"] == "Grace in person"
