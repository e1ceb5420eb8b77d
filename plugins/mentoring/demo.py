"""Demo content: two mentoring programmes in Kazakh and Russian.

* «Даму» school (damu-ma): certified teachers mentor young colleagues grouped by problem
  (early assessment of pupils' levels, critical thinking, ICT), under the school's
  methodological council: two active pairs with plans, meetings, observations and
  reflections, and a student on teaching practice still waiting for a mentor.
* Young teachers of Almaty (young-teachers-almaty): one completed pair (with the mentor's
  certificate), one proposal waiting for acceptance, one young specialist without a mentor.

Dates follow the current school year so the dashboard shows recent months and overdue goals.
"""

from __future__ import annotations

import datetime as dt

from core.api import User, db, from_local, site_date, utcnow
from plugins.mentoring import matching, services
from plugins.mentoring.models import (
    Goal,
    Meeting,
    MentorProfile,
    NoviceRequest,
    Observation,
    Pair,
    Programme,
    ProgrammeCoordinator,
)


def _school_year_start(today: dt.date) -> dt.date:
    return dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def _mentor(
    programme, user: User, subjects, strengths, capacity=2, languages="kk,ru", grades="5,6,7,8,9"
):
    p = MentorProfile(
        programme_id=programme.id,
        user_id=user.id,
        subjects=",".join(str(s.id) for s in subjects),
        grades=grades,
        languages=languages,
        category=user.category,
        experience_years=user.experience_years,
        school_id=user.school_id,
        district_id=user.district_id,
        strengths=strengths,
        capacity=capacity,
        availability="Сейсенбі, бейсенбі 15:00-тен кейін / вторник, четверг после 15:00",
        status="approved",
    )
    db.session.add(p)
    return p


def _novice(programme, user: User, subject, needs, diagnostic, language="kk", grades="5,6"):
    n = NoviceRequest(
        programme_id=programme.id,
        user_id=user.id,
        subject_id=subject.id if subject else None,
        grades=grades,
        language=language,
        category=user.category,
        experience_years=user.experience_years,
        school_id=user.school_id,
        district_id=user.district_id,
        needs=needs,
        diagnostic=diagnostic,
    )
    db.session.add(n)
    return n


def _pair(programme, mentor, novice, state, started: dt.datetime, proposer: User):
    db.session.flush()
    score = matching.score(services.mentor_candidate(mentor, 0), services.novice_candidate(novice))
    accepted = None if state == "proposed" else started
    pair = Pair(
        programme_id=programme.id,
        mentor_id=mentor.id,
        novice_id=novice.id,
        state=state,
        score=score,
        proposed_by_id=proposer.id,
        created_at=started - dt.timedelta(days=2),
        mentor_accepted_at=accepted,
        novice_accepted_at=accepted,
        started_at=accepted,
    )
    db.session.add(pair)
    db.session.flush()
    return pair


def build(ctx) -> None:
    today = site_date()
    year_start = _school_year_start(today)
    # The pairs began two weeks into the school year, or 70 days ago early in a year: never
    # after the meetings of their log.
    began = min(year_start + dt.timedelta(days=14), today - dt.timedelta(days=70))
    start_dt = dt.datetime.combine(began, dt.time(4, 0))
    u, s = ctx.users, ctx.subjects

    def day(n: int) -> dt.date:
        """``n`` days into the school year, never after today."""
        return min(year_start + dt.timedelta(days=n), today)

    # --- «Даму» school ------------------------------------------------------------------
    damu = ctx.associations["damu-ma"]
    p1 = Programme(
        association_id=damu.id,
        name="«Тәжірибе – жастарға» тәлімгерлік бағдарламасы / Наставничество «Опыт – молодым»",
        period=f"{year_start.year}–{year_start.year + 1}",
        starts_on=year_start,
        ends_on=dt.date(year_start.year + 1, 5, 25),
        description=(
            "Санатты педагогтер жас мамандармен мәселе бойынша топтарда жұмыс істейді: "
            "оқушылардың деңгейін ерте бағалау, сыни ойлау, АКТ құзыреттілігі. "
            "Есеп мектептің әдістемелік кеңесіне беріледі.\n\n"
            "Аттестованные педагоги наставляют молодых коллег в группах по проблемам: "
            "ранняя оценка уровня учащихся, критическое мышление, ИКТ-компетентность. "
            "Отчёт представляется методическому совету школы."
        ),
        min_category="moderator",
        max_mentees=2,
        meetings_per_month=2,
        observations_required=4,
        enrolment_open=True,
        created_by_id=u["damu_leader"].id,
    )
    db.session.add(p1)
    db.session.flush()
    db.session.add(ProgrammeCoordinator(programme_id=p1.id, user_id=u["damu_expert"].id))
    # the leader keeps a free place: the coordinator can propose her for the student waiting
    _mentor(p1, u["damu_leader"], [s["math"]], "assessment,subject_methods,lesson_planning", 1)
    m_expert = _mentor(
        p1, u["damu_expert"], [s["math"]], "assessment,critical_thinking,classroom_management"
    )
    m_ict = _mentor(
        p1,
        u["damu_moderator"],
        [s["informatics"], s["physics"]],
        "ict,critical_thinking",
        languages="ru,kk",
        grades="7,8,9,10,11",
    )
    n_young = _novice(
        p1,
        u["damu_young"],
        s["math"],
        "assessment,critical_thinking",
        "5-сыныпта оқушылардың бастапқы деңгейін қалай тез анықтауды білмеймін; "
        "сабақта сыни ойлауға арналған тапсырмалар аз.",
    )
    n_young2 = _novice(
        p1,
        u["damu_young2"],
        s["physics"],
        "ict,classroom_management",
        "Не умею удерживать дисциплину на лабораторных работах; хочу использовать "
        "цифровые лаборатории и онлайн-тесты.",
        language="ru",
        grades="7,8",
    )
    _novice(
        p1,
        u["damu_participant"],
        s["math"],
        "classroom_management,lesson_planning",
        "Педпрактика: как составить краткосрочный план и держать внимание класса / "
        "Қысқа мерзімді жоспар құру және сынып назарын ұстау.",
        language="ru",
    )
    a = _pair(p1, m_expert, n_young, "active", start_dt, u["damu_coordinator"])
    b = _pair(p1, m_ict, n_young2, "active", start_dt + dt.timedelta(days=3), u["damu_coordinator"])
    db.session.add_all(
        [
            Goal(
                pair_id=a.id,
                title="Диагностикалық тапсырмалар жинағын құрастыру (5-сынып)",
                need="assessment",
                target_date=day(45),
                status="done",
            ),
            Goal(
                pair_id=a.id,
                title="Әр сабақта бағалау критерийлері мен дескрипторларды қолдану",
                need="assessment",
                target_date=day(120),
                status="in_progress",
            ),
            Goal(
                pair_id=a.id,
                title="Сыни ойлауға арналған «Блум сұрақтары» банкі",
                need="critical_thinking",
                target_date=day(60),
                status="planned",
            ),
            Goal(
                pair_id=b.id,
                title="Провести 3 урока с цифровой лабораторией",
                need="ict",
                target_date=day(90),
                status="in_progress",
            ),
            Goal(
                pair_id=b.id,
                title="Правила работы в группах на лабораторных работах",
                need="classroom_management",
                target_date=day(40),
                status="planned",
            ),
        ]
    )
    meetings = [
        (
            a,
            16,
            45,
            "Бастапқы диагностика",
            "Оқушылардың бастапқы деңгейін анықтау әдістері талқыланды.",
            "Диагностикалық тест жобасын дайындау",
            u["damu_expert"],
        ),
        (
            a,
            30,
            40,
            "Критериалды бағалау",
            "ҚМЖ-дағы бағалау критерийлері мен дескрипторлар.",
            "Келесі сабаққа дескрипторлар жазу",
            u["damu_young"],
        ),
        (
            a,
            58,
            50,
            "Сыни ойлау стратегиялары",
            "«Инсерт», «Фишбоун» әдістері.",
            "Екі сабақта қолданып көру",
            u["damu_expert"],
        ),
        (
            b,
            20,
            60,
            "Цифровая лаборатория",
            "Разобрали датчики и сценарий урока по теме «Плотность».",
            "Подготовить инструктаж по ТБ",
            u["damu_moderator"],
        ),
        (
            b,
            47,
            45,
            "Дисциплина на лабораторной работе",
            "Роли в группах, таймер, чек-лист.",
            "Ввести роли в 8 «Б»",
            u["damu_young2"],
        ),
    ]
    # a meeting planned ahead, with its invitation (.ics) on the pair's page
    ahead = today + dt.timedelta(days=3)
    db.session.add(
        Meeting(
            pair_id=a.id,
            status="planned",
            starts_at=from_local(dt.datetime.combine(ahead, dt.time(15, 0))),
            held_on=ahead,
            duration_minutes=45,
            topic="Бағалау критерийлері мен дескрипторлар / Критерии и дескрипторы",
            place="Әдістемелік кабинет, 21 / Методический кабинет, 21",
            author_id=u["damu_young"].id,
        )
    )
    for pair, n, minutes, topic, notes, steps, author in meetings:
        db.session.add(
            Meeting(
                pair_id=pair.id,
                held_on=day(n),
                duration_minutes=minutes,
                topic=topic,
                notes=notes,
                next_steps=steps,
                author_id=author.id,
            )
        )
    db.session.add_all(
        [
            Observation(
                pair_id=a.id,
                observed="novice",
                lesson_date=day(35),
                class_name="5 Ә",
                lesson_topic="Жай бөлшектерді салыстыру",
                focus="assessment,critical_thinking",
                went_well=(
                    "Оқу мақсаты оқушыларға түсінікті етіп қойылды; "
                    "жұптық жұмыс жақсы ұйымдастырылды."
                ),
                to_improve="Кері байланыс тек «жарайсың» деңгейінде; дескрипторлар тақтада жоқ.",
                actions="Бағдаршам әдісі, дескрипторларды тақтаға жазу.",
                reflection=(
                    "Кері байланысқа уақыт жетпеді. Келесі сабақта бағдаршам әдісін қолданамын."
                ),
                reflected_at=start_dt + dt.timedelta(days=22),
                author_id=u["damu_expert"].id,
            ),
            Observation(
                pair_id=a.id,
                observed="mentor",
                lesson_date=day(50),
                class_name="6 А",
                lesson_topic="Пропорция",
                focus="critical_thinking",
                went_well="Проблемалық сұрақтан басталған сабақ; оқушылар өз шешімін дәлелдеді.",
                to_improve="Уақыт жетпей қалды, рефлексия қысқа болды.",
                actions="Осы құрылымды өз сабағымда қолданып көремін.",
                author_id=u["damu_young"].id,
            ),
            Observation(
                pair_id=b.id,
                observed="novice",
                lesson_date=day(40),
                class_name="8 Б",
                lesson_topic="Плотность вещества (лабораторная работа)",
                focus="ict,classroom_management",
                went_well="Датчики подготовлены заранее, инструктаж по ТБ проведён.",
                to_improve="Две группы простаивали; нет распределения ролей.",
                actions="Роли в группах и чек-лист выполнения.",
                reflection="Согласен, роли введу со следующего урока.",
                reflected_at=start_dt + dt.timedelta(days=27),
                author_id=u["damu_moderator"].id,
            ),
        ]
    )
    # --- young teachers of Almaty --------------------------------------------------------
    yta = ctx.associations["young-teachers-almaty"]
    p2 = Programme(
        association_id=yta.id,
        name="Жас мұғалімдер мектебі / Школа молодого учителя",
        period=f"{year_start.year}–{year_start.year + 1}",
        starts_on=year_start,
        ends_on=dt.date(year_start.year + 1, 5, 25),
        description=(
            "«Тәжірибе – жастарға»: тәжірибелі мұғалім жас маманмен пән және әдістеме бойынша "
            "жеке жұмыс істейді.\n\n«Опыт – молодым»: опытный учитель работает с молодым "
            "специалистом индивидуально по предмету и методике."
        ),
        min_category="expert",
        max_mentees=2,
        meetings_per_month=2,
        observations_required=2,
        created_by_id=u["yta_leader"].id,
    )
    db.session.add(p2)
    db.session.flush()
    y_expert = _mentor(
        p2, u["yta_expert"], [s["math"]], "subject_methods,assessment,critical_thinking"
    )
    y_mentor = _mentor(
        p2, u["yta_mentor"], [s["chemistry"]], "ict,inclusive,parents", languages="ru"
    )
    y1 = _novice(
        p2,
        u["yta_young"],
        s["math"],
        "subject_methods,assessment",
        "Геометриялық есептерді түсіндіру қиын; БЖБ тапсырмаларын құрастыру.",
    )
    y2 = _novice(
        p2,
        u["yta_young2"],
        s["chemistry"],
        "inclusive,parents",
        "В классе двое детей с ООП; не знаю, как говорить с родителями.",
        language="ru",
    )
    _novice(
        p2,
        u["yta_young3"],
        s["english"],
        "classroom_management,ict",
        "Үлкен сыныпта сөйлеу тапсырмаларын ұйымдастыру.",
    )
    done = _pair(p2, y_expert, y1, "active", start_dt, u["yta_coordinator"])
    db.session.add_all(
        [
            Goal(
                pair_id=done.id,
                title="БЖБ тапсырмаларының спецификациясы",
                need="assessment",
                target_date=day(40),
                status="done",
            ),
            Meeting(
                pair_id=done.id,
                held_on=day(18),
                duration_minutes=90,
                topic="Геометрия әдістемесі",
                notes="Сызбамен жұмыс, дәлелдеу қадамдары.",
                author_id=u["yta_expert"].id,
            ),
            Meeting(
                pair_id=done.id,
                held_on=day(33),
                duration_minutes=60,
                topic="БЖБ құрастыру",
                notes="Спецификация мен балл қою кестесі.",
                author_id=u["yta_young"].id,
            ),
            Observation(
                pair_id=done.id,
                observed="novice",
                lesson_date=day(25),
                class_name="7 В",
                lesson_topic="Үшбұрыш теңдігінің белгілері",
                focus="subject_methods",
                went_well="Сызбалар анық.",
                to_improve="Дәлелдеуді оқушылар өздері жазсын.",
                reflection="Келісемін, келесі сабақта жұппен дәлелдейміз.",
                reflected_at=start_dt + dt.timedelta(days=12),
                author_id=u["yta_expert"].id,
            ),
            Observation(
                pair_id=done.id,
                observed="mentor",
                lesson_date=day(30),
                class_name="8 А",
                lesson_topic="Пифагор теоремасы",
                focus="subject_methods,critical_thinking",
                went_well="Проблемалық жағдаят.",
                to_improve="—",
                author_id=u["yta_young"].id,
            ),
        ]
    )
    db.session.flush()
    done.state = "completed"
    done.finished_at = dt.datetime.combine(day(60), dt.time(6, 0))
    services.mentor_certificate(done)
    _pair(p2, y_mentor, y2, "proposed", utcnow() - dt.timedelta(days=1), u["yta_coordinator"])
    db.session.commit()
    ctx.log(
        "mentoring: 2 programmes (damu-ma, young-teachers-almaty), 4 pairs, "
        "meetings, observations, reflections, 1 certificate"
    )
