"""Demo content: the ШЫҢ network's cyclogram as two series, a master class with a waitlist,
a past seminar with attendance, feedback and certificates, and an online webinar.

Dates are relative to today, so the demo always shows something coming up and something past.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.api import db, from_local, row_choices, row_or_none, site_date, utcnow
from plugins.masterclasses import services
from plugins.masterclasses.models import Event, Host, Registration, RegStatus, Status


def _school_year(today: dt.date) -> tuple[dt.date, dt.date]:
    start_year = today.year if today.month >= 9 else today.year - 1
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 5, 31)


def _first_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _event(association, creator, **kw) -> Event:
    kw.setdefault("status", Status.PUBLISHED.value)
    ev = Event(
        association_id=association.id,
        created_by_id=creator.id,
        checkin_code=services.new_checkin_code(),
        sequence=0,
        **kw,
    )
    ev.association = association
    return ev


def _mark_past_occurrences(events: list[Event], now: dt.datetime) -> None:
    for ev in events:
        if ev.ends_at < now:
            ev.status = Status.HELD.value


def _link_plan_rows(association, meetings: list[Event], visits: list[Event], day) -> None:
    """Link the cyclogram's events to the rows of the network's activity plan that they
    realise: an online meeting to its month's "online meeting" row, a face-to-face meeting to
    the row of its date (by topic and date; rows the core demo made)."""
    rows = [row_or_none(association, rid) for rid, _label in row_choices(association, around=day)]
    online = {r.month: r.id for r in rows if r and r.month and r.topic.startswith("Онлайн")}
    face = {r.on_date: r.id for r in rows if r and r.on_date and r.topic.startswith("Бетпе-бет")}
    for ev in meetings:
        ev.plan_row_id = online.get(site_date(ev.starts_at).month)
    for ev in visits:
        ev.plan_row_id = face.get(site_date(ev.starts_at))


def build(ctx) -> None:
    now = utcnow()
    today = site_date(now)
    year_start, year_end = _school_year(today)
    users = ctx.users
    shyn = ctx.associations["shyn-network"]
    km = ctx.associations["kostanay-math"]
    damu = ctx.associations["damu-ma"]
    yta = ctx.associations["young-teachers-almaty"]

    # 1. The ШЫҢ cyclogram: an online meeting every two weeks (Thursday 18:00) and a
    #    face-to-face meeting on the last Friday of every second month, all school year.
    first_thursday = dt.datetime.combine(_first_weekday(year_start, 3), dt.time(18, 0))
    online = _event(
        shyn,
        users["shyn_coordinator"],
        title="ШЫҢ желісінің онлайн кездесуі / Онлайн-встреча сети ШЫҢ",
        form="network_meeting",
        description=(
            "Екі апта сайынғы онлайн кездесу: апта тәжірибесі, сабаққа бірлескен жоспарлау, "
            "рефлексиялық эсселерді талқылау.\n\n"
            "Онлайн-встреча раз в две недели: опыт недели, совместное планирование уроков, "
            "обсуждение рефлексивных эссе."
        ),
        delivery="online",
        meeting_url="https://meet.example.kz/shyn-network",
        starts_at=from_local(first_thursday),
        ends_at=from_local(first_thursday) + dt.timedelta(hours=1),
        capacity=None,
        credit_hours=1.0,
        visibility="subtree",
    )
    online.hosts = [Host(user_id=users["shyn_coordinator"].id)]
    meetings = services.create_series(
        online, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", year_end, first_thursday
    )

    first_friday = dt.datetime.combine(year_start, dt.time(15, 0))
    face = _event(
        shyn,
        users["shyn_leader"],
        title="ШЫҢ желісінің бетпе-бет кездесуі / Очная встреча сети ШЫҢ",
        form="network_meeting",
        description=(
            "Екі ай сайын, айдың соңғы жұмасында желі мектептерінің бірінде: ашық сабақтар, "
            "Lesson Study нәтижелері, бірлескен «оқу серуені».\n\n"
            "Раз в два месяца, в последнюю пятницу месяца в одной из школ сети: открытые "
            "уроки, итоги Lesson Study, совместный «учебный обход»."
        ),
        delivery="face",
        venue="Заречный ЖОМ / Заречная СОШ",
        address="Қостанай ауданы, Заречный ауылы",
        starts_at=from_local(first_friday),
        ends_at=from_local(first_friday) + dt.timedelta(hours=3),
        capacity=40,
        credit_hours=4.0,
        visibility="subtree",
    )
    face.hosts = [Host(user_id=users["shyn_leader"].id)]
    visits = services.create_series(
        face, "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR", year_end, first_friday
    )
    _mark_past_occurrences(meetings + visits, now)
    _link_plan_rows(shyn, meetings, visits, year_start)
    db.session.commit()
    shyn_people = ctx.members("shyn-network")
    for ev in meetings + visits:
        for person in shyn_people:
            if ev.status == Status.HELD:
                db.session.add(
                    Registration(
                        event_id=ev.id,
                        user_id=person.id,
                        queue_seq=person.id,
                        status=RegStatus.REGISTERED.value,
                        attendance="present",
                    )
                )
            elif ev.starts_at < now + dt.timedelta(days=45):
                db.session.add(
                    Registration(
                        event_id=ev.id,
                        user_id=person.id,
                        queue_seq=person.id,
                        status=RegStatus.REGISTERED.value,
                    )
                )
    db.session.commit()
    ctx.log(
        f"masterclasses: ШЫҢ cyclogram, {len(meetings)} online and {len(visits)} "
        "face-to-face meetings"
    )

    # 2. A master class with a full house and a waitlist.
    start = from_local(dt.datetime.combine(today + dt.timedelta(days=10), dt.time(15, 0)))
    mc = _event(
        km,
        users["km_leader"],
        title="Шеберлік сыныбы: БЖБ мен ТЖБ тапсырмаларын құрастыру / Мастер-класс: "
        "составление заданий СОР и СОЧ",
        form="masterclass",
        description=(
            "Дескрипторлары бар жиынтық бағалау тапсырмаларын құрастыру бойынша практикум.\n\n"
            "Практикум по составлению заданий суммативного оценивания с дескрипторами. "
            "Возьмите с собой ноутбук."
        ),
        delivery="face",
        venue="Қостанай қаласы, №7 мектеп-лицей / школа-лицей №7",
        address="Қостанай, Әл-Фараби даңғылы, 95",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        registration_deadline=start - dt.timedelta(days=1),
        capacity=5,
        credit_hours=2.0,
        visibility="public",
        target_categories="pedagog,moderator",
    )
    mc.hosts = [Host(user_id=users["km_expert"].id)]
    mc.subjects = [ctx.subjects["math"]]
    db.session.add(mc)
    db.session.commit()
    for key in (
        "km_member",
        "km_member2",
        "km_participant",
        "rep_participant",
        "km_moderator",
        "damu_young",
        "damu_young2",
        "yta_young",
    ):
        services.register(mc.id, users[key])
    ctx.log("masterclasses: a master class with 5 seats and a waitlist of 3")

    # 3. A past seminar with attendance, feedback and certificates.
    start = from_local(dt.datetime.combine(today - dt.timedelta(days=14), dt.time(14, 30)))
    seminar = _event(
        damu,
        users["damu_leader"],
        title="Семинар: оқушылардың сыни ойлауын дамыту / Семинар: развитие критического "
        "мышления учащихся",
        form="seminar",
        description="«Даму» мектеп қауымдастығының ашық семинары.\n\nОткрытый семинар школьного "
        "сообщества «Даму».",
        delivery="face",
        venue="№12 мектеп, әдістемелік кабинет / школа №12, методический кабинет",
        address="Қостанай",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        capacity=30,
        credit_hours=3.0,
        visibility="public",
        status=Status.HELD.value,
    )
    seminar.hosts = [Host(user_id=users["damu_leader"].id), Host(name="Айгүл Серікбаева")]
    db.session.add(seminar)
    db.session.commit()
    marks = {
        "damu_coordinator": "present",
        "damu_moderator": "present",
        "damu_young": "late",
        "damu_young2": "present",
        "damu_participant": "absent",
    }
    ratings = {
        "damu_coordinator": (5, "Топтық жұмыстың жаңа тәсілдерін қолданамын."),
        "damu_young": (4, "Буду использовать приём «Инсерт» на уроках истории."),
    }
    for seq, (key, mark) in enumerate(marks.items(), start=1):
        reg = Registration(
            event_id=seminar.id,
            user_id=users[key].id,
            queue_seq=seq,
            status=RegStatus.REGISTERED.value,
            attendance=mark,
        )
        if key in ratings:
            reg.rating, reg.reflection = ratings[key]
            reg.feedback_at = seminar.ends_at + dt.timedelta(hours=2)
        db.session.add(reg)
    db.session.commit()
    issued = 0
    for key in [*marks, "damu_leader"]:
        if services.certificate_role(seminar, users[key]):
            services.issue_certificate(seminar, users[key])
            issued += 1
    db.session.commit()
    ctx.log(f"masterclasses: a past seminar with attendance and {issued} certificates")

    # 4. An online webinar for young teachers, in Russian and Kazakh.
    start = from_local(dt.datetime.combine(today + dt.timedelta(days=5), dt.time(19, 0)))
    webinar = _event(
        yta,
        users["yta_leader"],
        title="Вебинар: первый год в школе / Вебинар: мектептегі алғашқы жыл",
        form="webinar",
        description="Тәлімгерлермен сұрақ-жауап. / Вопросы и ответы с наставниками.",
        delivery="online",
        meeting_url="https://meet.example.kz/yta-first-year",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1, minutes=30),
        capacity=100,
        credit_hours=1.5,
        visibility="public",
        max_experience=2,
    )
    webinar.hosts = [Host(user_id=users["yta_mentor"].id)]
    db.session.add(webinar)
    db.session.commit()
    for key in ("yta_young", "yta_young2", "yta_young3"):
        services.register(webinar.id, users[key])
    total = db.session.scalar(select(db.func.count(Event.id)))
    ctx.log(f"masterclasses: {total} events in all")
