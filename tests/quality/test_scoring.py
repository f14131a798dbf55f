"""The scoring rule: weighted percentage of the applicable questions; N/A leaves a question out;
a scale earns its share of the weight; a failed auto-fail item makes the score 0 and says why."""

from __future__ import annotations

import pytest

from contactcenter.quality.interfaces import InvalidEvaluation, Question, score

YES_NO = Question(1, "Greeted the caller", 10, "yes_no", None, False)
VERIFY = Question(2, "Verified identity", 20, "yes_no", None, True)
EMPATHY = Question(3, "Empathy", 30, "scale", 5, False)
FORM = [YES_NO, VERIFY, EMPATHY]


def test_all_full_marks_score_100():
    assert score(FORM, {1: "yes", 2: "yes", 3: "5"}).score == 100.0


def test_weights_decide_what_a_miss_costs():
    # 20 + 30 earned of 60
    assert score(FORM, {1: "no", 2: "yes", 3: "5"}).score == pytest.approx(83.3)


def test_a_scale_earns_its_share_of_the_weight():
    # 10 + 20 + 30 * 3/5 = 48 of 60
    result = score(FORM, {1: "yes", 2: "yes", 3: "3"})
    assert result.score == 80.0 and result.points[3] == pytest.approx(18.0)


def test_na_takes_the_question_out_of_the_total():
    # 20 + 30 of 50: the missed greeting no longer counts
    result = score(FORM, {1: "na", 2: "yes", 3: "5"})
    assert result.score == 100.0 and result.points[1] is None


def test_a_failed_auto_fail_item_makes_the_score_zero_and_says_which():
    result = score(FORM, {1: "yes", 2: "no", 3: "5"})
    assert (result.score, result.auto_failed) == (0.0, True)
    assert result.reason == "Auto-fail: Verified identity"


def test_an_auto_fail_scale_item_fails_at_zero():
    strict = Question(4, "Followed the script", 10, "scale", 3, True)
    result = score([YES_NO, strict], {1: "yes", 4: "0"})
    assert result.auto_failed and result.score == 0.0


def test_an_auto_fail_item_answered_na_does_not_fail():
    assert not score(FORM, {1: "yes", 2: "na", 3: "5"}).auto_failed


def test_every_question_must_be_answered():
    with pytest.raises(InvalidEvaluation) as refused:
        score(FORM, {1: "yes", 3: "5"})
    assert set(refused.value.errors) == {"answer_2"}


@pytest.mark.parametrize("bad", ["6", "-1", "maybe", "<script>", "1; DROP TABLE evaluations", "9" * 50])
def test_an_answer_off_the_scale_is_refused(bad):
    with pytest.raises(InvalidEvaluation) as refused:
        score(FORM, {1: "yes", 2: "yes", 3: bad})
    assert refused.value.errors == {"answer_3": "Answer from 0 to 5, or N/A."}


def test_a_yes_no_question_takes_only_yes_no_or_na():
    with pytest.raises(InvalidEvaluation):
        score(FORM, {1: "3", 2: "yes", 3: "5"})


def test_all_na_cannot_be_scored():
    with pytest.raises(InvalidEvaluation) as refused:
        score(FORM, {1: "na", 2: "na", 3: "na"})
    assert "answers" in refused.value.errors
