"""The exchange message's envelope and payloads (renkou/migrants/envelope.py), the
deadlines (deadlines.py) and the signatures (signing.py): each payload type accepted as
written and refused with the field named; the out-of-scope types and fields refused
citing DESIGN.md §2; 15 and 30 calendar days to answer across month ends; 3 working days
to notify an arrival, across the Spring Festival with its make-up working day."""

from __future__ import annotations

import base64
import datetime as dt
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError

from renkou.migrants import signing
from renkou.migrants.deadlines import (
    add_working_days,
    answer_deadline,
    is_working_day,
    notice_deadline,
)
from renkou.migrants.envelope import canonical_bytes, check_payload, refused_scope

PERSON = {"id_number": "340621196601190023", "name": "梁玉", "sex": "F", "birth_date": "1966-01-19"}
PLACE = {"code": "340102001001", "name": "东社区"}



def cites_scope(reason: str) -> bool:
    """Whether a refusal cites DESIGN.md §2 (in English or in Chinese, 第 2 节)."""
    return "DESIGN.md §2" in reason or "DESIGN.md 第 2 节" in reason


#: one valid payload of each type, as an office writes it
VALID = {
    "arrival_notice": {"person": PERSON, "hukou_code": "340621202204", "residence": PLACE,
                       "arrival_date": "2026-09-01", "reason": "work"},
    "departure_notice": {"person": PERSON, "hukou_code": "340621202204",
                         "departure_date": "2026-10-01",
                         "destination": {"code": None, "address": "江苏省苏州市高新区"},
                         "reason": "family"},
    "birth_notice": {"child": {"name": "梁小宝", "sex": "M", "birth_date": "2026-08-02"},
                     "mother": PERSON, "birth_place": PLACE},
    "death_notice": {"person": PERSON, "death_date": "2026-07-07", "death_place": PLACE},
    "verification_request": {"person": PERSON, "subject": "life", "question": "是否健在"},
    "verification_answer": {"found": True, "result": "经核实，本人健在", "alive": True,
                            "as_of": "2026-11-16"},
    "service_referral": {"person": PERSON, "services": ["基本公共卫生服务", "子女入学"]},
    "correction_notice": {"person": PERSON, "changes": {"birth_date": {"old": "1966-01-09",
                                                                       "new": "1966-01-19"}},
                          "reason": "登记时录错"},
}

#: for each type, a broken payload and the field the refusal names
INVALID = {
    "arrival_notice": ({**VALID["arrival_notice"], "arrival_date": "2026-13-01"},
                       "payload.arrival_date"),
    "departure_notice": ({k: v for k, v in VALID["departure_notice"].items() if k != "destination"},
                         "payload.destination"),
    "birth_notice": ({**VALID["birth_notice"], "mother": {**PERSON, "sex": "X"}},
                     "payload.mother.sex"),
    "death_notice": ({**VALID["death_notice"], "cause_of_death": "病故"}, "payload.cause_of_death"),
    "verification_request": ({**VALID["verification_request"], "subject": "income"},
                             "payload.subject"),
    "verification_answer": ({"found": True, "result": ""}, "payload.result"),
    "service_referral": ({**VALID["service_referral"], "services": []}, "payload.services"),
    "correction_notice": ({**VALID["correction_notice"], "changes": {"religion": {"new": "x"}}},
                          "payload.changes.religion.[key]"),
}


@pytest.mark.parametrize("kind", sorted(VALID))
def test_each_payload_type_is_accepted_as_an_office_writes_it(kind):
    checked = check_payload(kind, VALID[kind])
    for key, value in VALID[kind].items():
        if value is not None and not isinstance(value, dict):
            assert checked[key] == value, key
    if "person" in VALID[kind]:
        assert checked["person"] == PERSON
    # what the sender kept is what the receiver checks again: the same payload
    assert check_payload(kind, checked) == checked


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_each_payload_type_refuses_a_broken_payload_naming_the_field(kind):
    payload, field = INVALID[kind]
    with pytest.raises(ValidationError) as refused:
        check_payload(kind, payload)
    assert field in refused.value.message_dict, refused.value.message_dict


@pytest.mark.parametrize("kind", ["pregnancy_check", "contraception_check", "fine_notice",
                                  "marriage_birth_certificate", "procedure_record"])
def test_an_out_of_scope_type_is_refused_citing_design_section_2(kind):
    with pytest.raises(ValidationError) as refused:
        check_payload(kind, {"person": PERSON})
    reason = refused.value.message_dict["type"][0]
    assert cites_scope(reason) and kind in reason


@pytest.mark.parametrize("field", ["pregnancy_status", "contraceptive_method", "iud_checked",
                                   "fine_amount", "孕情"])
def test_an_out_of_scope_field_in_an_allowed_type_is_refused_naming_it(field):
    payload = {**VALID["arrival_notice"], "person": {**PERSON, field: "x"}}
    with pytest.raises(ValidationError) as refused:
        check_payload("arrival_notice", payload)
    reason = refused.value.message_dict["type"][0]
    assert cites_scope(reason) and field in reason
    assert refused_scope("arrival_notice", VALID["arrival_notice"]) is None


def test_a_type_nobody_knows_is_refused():
    with pytest.raises(ValidationError) as refused:
        check_payload("household_gossip", {})
    assert "household_gossip" in refused.value.message_dict["type"][0]


# ---------------------------------------------------------------- deadlines

def test_an_urgent_request_has_15_days_across_the_month_end():
    assert answer_deadline(dt.date(2026, 1, 20), "urgent") == dt.date(2026, 2, 4)


def test_an_ordinary_request_has_30_days_across_a_short_february():
    assert answer_deadline(dt.date(2026, 1, 31), "ordinary") == dt.date(2026, 3, 2)


def test_the_deadlines_follow_the_setting(settings):
    settings.RENKOU_EXCHANGE_DEADLINE_DAYS = {"urgent": 7}
    assert answer_deadline(dt.date(2026, 1, 20), "urgent") == dt.date(2026, 1, 27)
    assert answer_deadline(dt.date(2026, 1, 20), "ordinary") == dt.date(2026, 2, 19)


def test_an_arrival_on_a_friday_is_notified_within_three_working_days():
    # Friday 6 March 2026: Monday 9, Tuesday 10, Wednesday 11
    assert notice_deadline(dt.date(2026, 3, 6)) == dt.date(2026, 3, 11)


def test_an_arrival_before_the_spring_festival_counts_the_make_up_saturday_not_the_holiday():
    # Friday 13 February 2026: Saturday 14 is worked (调休), 15–23 are the holiday,
    # then Tuesday 24 and Wednesday 25
    assert is_working_day(dt.date(2026, 2, 14)) and not is_working_day(dt.date(2026, 2, 17))
    assert notice_deadline(dt.date(2026, 2, 13)) == dt.date(2026, 2, 25)
    assert add_working_days(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)


# ---------------------------------------------------------------- signatures

def test_a_signature_over_the_canonical_bytes_is_valid_and_breaks_with_one_changed_byte(db):
    key = signing.create_office_key("340621")
    assert key.office_code == "340621000000" and key.public_key.startswith("ed25519:")
    envelope = {"type": "arrival_notice", "payload": VALID["arrival_notice"]}
    data = canonical_bytes(envelope)
    assert data == canonical_bytes(dict(reversed(list(envelope.items()))))  # key order
    signature = signing.sign(data)
    assert signing.verify(key.public_key, data, signature)
    assert not signing.verify(key.public_key, data.replace("梁玉".encode(), "梁王".encode()), signature)
    assert not signing.verify(key.public_key, data, "not base64!")
    assert not signing.verify("ed25519:short", data, signature)


def test_a_pem_public_key_is_read_and_written_as_one_line():
    private = Ed25519PrivateKey.generate()
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert signing.public_key_text(pem) == "ed25519:" + base64.b64encode(raw).decode()
    with pytest.raises(ValidationError):
        signing.parse_public_key("ssh-ed25519 AAAA")


def test_with_a_key_file_the_private_key_is_kept_there_readable_by_its_owner_only(db, settings,
                                                                                   tmp_path):
    settings.RENKOU_EXCHANGE_KEY_FILE = str(tmp_path / "keys" / "office.pem")
    key = signing.create_office_key("340102")
    assert key.private_key == ""
    mode = os.stat(settings.RENKOU_EXCHANGE_KEY_FILE).st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert signing.verify(key.public_key, b"x", signing.sign(b"x"))
    signing.create_office_key("340102")  # a new key replaces the file's; the newest signs
    assert signing.current_key().pk != key.pk
    assert not signing.verify(key.public_key, b"x", signing.sign(b"x"))
    with pytest.raises(ValidationError):  # the old key's private half is gone
        signing.sign(b"x", key)
