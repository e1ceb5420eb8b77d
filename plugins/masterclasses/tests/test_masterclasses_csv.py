"""The host's participant list as CSV never hands a spreadsheet a formula typed by a user
(names, emails and school names are typed by people; OWASP CSV injection)."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.models import School
from core.testing import CSV_FORMULA_PAYLOADS, assert_formulas_neutralised, read_csv
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event


@pytest.mark.parametrize("payload", CSV_FORMULA_PAYLOADS)
def test_participants_csv_neutralises_typed_formulas(client, factory, login, payload):
    region = factory.region()
    school = School(name=payload, region_id=region.id)
    db.session.add(school)
    db.session.commit()
    assoc = factory.association(region_id=region.id)
    host = factory.member(assoc)
    ev = make_event(assoc, hosts=[host], capacity=1)
    registered = factory.user(full_name=payload, email=payload, school_id=school.id)
    waiting = factory.user(full_name=payload, school_id=school.id)
    for person in (registered, waiting):  # co-members: the host may see their schools
        factory.member(assoc, person)
    db.session.add_all(
        [
            Registration(event_id=ev.id, user_id=registered.id, status="registered"),
            Registration(event_id=ev.id, user_id=waiting.id, status="waitlisted", queue_seq=1),
        ]
    )
    db.session.commit()
    login(client, host)

    rows = read_csv(client.get(f"/masterclasses/{ev.id}/participants.csv"))

    # two names, one email, two school names
    assert_formulas_neutralised(rows, payload, expected=5)
    assert rows[2][4] == "1"  # the waitlist place, a number, stays a number
