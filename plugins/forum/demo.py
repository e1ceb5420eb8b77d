"""Demo boards and discussions in Kazakh and Russian for the five demo associations.

They show what the forum is for: how to apply the ministry's yearly instructional letter,
lesson plans (ҚМЖ), a question with an accepted answer, a poll, a question addressed to the
district education department with its official answer, an anonymous post about a school,
and a moderated topic (a flagged advertisement hidden, a post waiting for approval).
"""

from __future__ import annotations

import datetime as dt

from core.api import db, utcnow
from plugins.forum import services as svc
from plugins.forum import tags
from plugins.forum.models import (
    ForumBoard,
    ForumFlag,
    ForumModLog,
    ForumPoll,
    ForumPollOption,
    ForumPollVote,
    ForumReaction,
    ForumTopic,
)


class _Clock:
    """Hands out increasing times in the past so threads read in order."""

    def __init__(self, days_ago: int) -> None:
        self.t = utcnow() - dt.timedelta(days=days_ago)

    def next(self, hours: float = 3) -> dt.datetime:
        self.t += dt.timedelta(hours=hours)
        return self.t


def _board(association, name, description="", **kw) -> ForumBoard:
    top = len([b for b in db.session.new if isinstance(b, ForumBoard)])
    board = ForumBoard(
        association_id=association.id, name=name, description=description, position=top, **kw
    )
    db.session.add(board)
    db.session.flush()
    return board


def _thread(board, clock, title, posts, kind="discussion", anonymous_first=False, **kw):
    """``posts``: (author, body) pairs; the first opens the topic."""
    author, body = posts[0]
    when = clock.next(24)
    topic = ForumTopic(
        board_id=board.id,
        association_id=board.association_id,
        author_id=author.id,
        title=title,
        kind=kind,
        created_at=when,
        last_post_at=when,
        last_poster_id=None if anonymous_first else author.id,
        anonymous=anonymous_first,
        **kw,
    )
    db.session.add(topic)
    made = []
    for i, (who, text) in enumerate(posts):
        post = svc.add_post(topic, who, text, anonymous=anonymous_first and i == 0)
        post.created_at = when if i == 0 else clock.next()
        if i:
            topic.last_post_at = post.created_at
        made.append(post)
    db.session.flush()
    svc.set_watch(author, "watching", topic_id=topic.id)
    return topic, made


def build(ctx) -> None:
    u = ctx.users
    a = ctx.associations
    clock = _Clock(days_ago=40)

    # --- ШЫҢ: the district network of four rural schools --------------------------------
    shyn = a["shyn-network"]
    general = _board(
        shyn,
        "Жалпы талқылау",
        "Желі мүшелерінің күнделікті сұрақтары / Повседневные вопросы участников сети",
    )
    plans = _board(
        shyn,
        "Сабақ жоспарлары (ҚМЖ) / Поурочные планы",
        "Қысқа мерзімді жоспарлармен бөлісу / Делимся краткосрочными планами",
        visibility="public",
    )
    officials = _board(
        shyn,
        "Басшылыққа сұрақтар / Вопросы руководству",
        "Аудандық білім бөліміне сұрақ қойыңыз; атыңызды жасыруға болады.",
        officials=True,
        allow_anonymous=True,
        moderate_first_posts=1,
    )
    letter, posts = _thread(
        general,
        clock,
        "2026-2027 оқу жылына арналған әдістемелік нұсқау хатты қалай қолданамыз?",
        [
            (
                u["shyn_member"],
                "Әріптестер, биылғы нұсқау хатта математикадан жиынтық бағалау "
                "саны өзгерді ме? Тоқсандық жоспарды қалай түзетеміз?",
            ),
            (
                u["shyn_member2"],
                "Я тоже ищу ответ. В прошлом году СОР было по 2–3 за четверть, "
                "а сейчас в письме написано иначе?",
            ),
            (
                u["shyn_expert"],
                "Хаттың 3-бөлімін қараңыз: **БЖБ** саны бөлім бойынша, ал **ТЖБ** "
                "тоқсанына бір рет. Қысқа мерзімді жоспарда бағалау критерийлерін оқу мақсатымен "
                "сәйкестендіріп жазу керек. Үлгісін ҚМЖ бөліміне салдым.",
            ),
            (
                u["shyn_member"],
                "Рахмет! Түсінікті болды. "
                f"@{svc.mention_handle(u['shyn_member2'])}, сіздің мектепте де солай ма?",
            ),
        ],
        kind="question",
    )
    letter.accepted_post_id = posts[2].id
    tags.set_tags(letter, ["нұсқау-хат", "бағалау", "математика"])
    db.session.add_all(
        [
            ForumReaction(post_id=posts[2].id, user_id=u["shyn_member"].id, kind="thanks"),
            ForumReaction(post_id=posts[2].id, user_id=u["shyn_member2"].id, kind="agree"),
        ]
    )
    meeting, _ = _thread(
        plans,
        clock,
        "Келесі желілік кездесу: қай күні ыңғайлы? / Когда удобно встретиться?",
        [
            (
                u["shyn_coordinator"],
                "Циклограмма бойынша онлайн кездесу екі аптада бір рет. "
                "Кешкі уақыттың қайсысы ыңғайлы? / По циклограмме встречаемся раз в две недели.",
            ),
            (u["shyn_expert2"], "Сейсенбі кешке интернет жақсы істейді."),
        ],
    )
    poll = ForumPoll(
        topic_id=meeting.id,
        question="Қай күні кездесеміз? / В какой день встречаемся?",
        closes_at=utcnow() + dt.timedelta(days=5),
    )
    poll.options = [
        ForumPollOption(position=i, text=t)
        for i, t in enumerate(
            [
                "Сейсенбі 19:00 / Вторник 19:00",
                "Бейсенбі 19:30 / Четверг 19:30",
                "Сенбі 11:00 / Суббота 11:00",
            ]
        )
    ]
    db.session.add(poll)
    db.session.flush()
    db.session.add_all(
        [
            ForumPollVote(poll_id=poll.id, option_id=poll.options[0].id, user_id=u[k].id)
            for k in ("shyn_expert2", "shyn_member", "shyn_leader")
        ]
        + [
            ForumPollVote(
                poll_id=poll.id, option_id=poll.options[1].id, user_id=u["shyn_member2"].id
            )
        ]
    )
    _thread(
        plans,
        clock,
        "ҚМЖ: 6-сынып, «Пропорция» тақырыбы",
        [
            (
                u["shyn_expert"],
                "Сабақ мақсаты: пропорцияның негізгі қасиетін қолдану. "
                "Саралау: үш деңгейлі тапсырма. Кері байланыс: «бағдаршам» әдісі.",
            ),
            (u["shyn_member2"], "Спасибо! Возьму задания второго уровня для своего класса."),
        ],
    )
    question, qposts = _thread(
        officials,
        clock,
        "Ауыл мектептеріне интерактивті тақталар қашан жеткізіледі?",
        [
            (
                u["shyn_member2"],
                "Үш мектепте тақталар әлі жоқ. Жоспар бар ма? "
                "/ В трёх школах досок до сих пор нет.",
            ),
            (
                u["shyn_leader"],
                "Аудандық білім бөлімінің жауабы: жеткізу қазан айының соңына "
                "жоспарланған, тізім бекітілді.",
            ),
        ],
        kind="question",
        addressed_to="Қостанай аудандық білім бөлімі",
        official_status="answered",
    )
    question.official_post_id = qposts[1].id
    _thread(
        officials,
        clock,
        "Директор кеңесті сабақтан кейін кешке қояды",
        [
            (
                u["shyn_member"],
                "Аты-жөнімді жазбаймын. Біздің мектепте педкеңес жиі кешкі 19:00-ге "
                "қойылады, ауылдан үйге жету қиын. Бұл ережеге сай ма?",
            ),
            (
                u["shyn_moderator"],
                "Сұрақ әкімшілікке жіберілді. Нақты адамды айыптамай, жағдайды "
                "сипаттағаныңыз үшін рахмет.",
            ),
        ],
        anonymous_first=True,
    )
    spam_topic, spam_posts = _thread(
        general,
        clock,
        "Аттестаттауға дайындық: тәжірибе алмасу",
        [
            (
                u["shyn_expert2"],
                "Педагог-сарапшы санатына портфолио жинап жатырмын. Кімде сәтті үлгі бар?",
            ),
            (u["shyn_participant"], "Арзан курстар! Сертификат 1 күнде, телефон жазыңыз..."),
            (
                u["shyn_coordinator"],
                "Портфолиоға ашық сабақ пен шеберлік сыныбының хаттамасын "
                "қосыңыз — сарапшылар соны сұрайды.",
            ),
        ],
    )
    spam_posts[1].hidden = True
    db.session.add(
        ForumFlag(
            post_id=spam_posts[1].id,
            user_id=u["shyn_expert2"].id,
            reason="spam",
            note="жарнама",
            status="agreed",
            resolved_by_id=u["shyn_moderator"].id,
            resolved_at=clock.next(1),
        )
    )
    db.session.add(
        ForumModLog(
            association_id=shyn.id,
            actor_id=u["shyn_moderator"].id,
            action="flag.agree",
            topic_id=spam_topic.id,
            post_id=spam_posts[1].id,
            details="spam",
        )
    )
    pending = svc.add_post(
        question, u["shyn_participant"], "Бізде де солай, 4-мектепте де жоқ.", approved=False
    )
    pending.created_at = clock.next()

    # --- Даму: school methodological association ----------------------------------------
    damu = a["damu-ma"]
    mentoring = _board(
        damu,
        "Тәлімгерлік / Наставничество",
        "Жас мамандардың сұрақтары / Вопросы молодых специалистов",
    )
    _, dposts = _thread(
        mentoring,
        clock,
        "Как оформить краткосрочный план по обновлённой программе?",
        [
            (
                u["damu_young"],
                "Я первый год в школе. Методист вернула мой КСП: не хватает "
                "дескрипторов. Как их правильно писать?",
            ),
            (
                u["damu_leader"],
                "Дескриптор описывает шаги к критерию: *что ученик делает*. "
                "Например: «находит общий знаменатель; сравнивает дроби». Давайте разберём ваш "
                "план на консультации в четверг.",
            ),
            (u["damu_young2"], "Маған да қажет болды, рахмет!"),
        ],
        kind="question",
    )
    dposts[0].topic.accepted_post_id = dposts[1].id

    # --- Kostanay regional and republican mathematics associations ------------------------
    km = a["kostanay-math"]
    km_board = _board(km, "Математика мұғалімдері / Учителя математики", visibility="public")
    _thread(
        km_board,
        clock,
        "5-сыныпқа арналған БЖБ тапсырмаларымен бөлісейік",
        [
            (u["km_member"], "Бөлшектер бөліміне 2 нұсқа дайындадым, дескрипторларымен."),
            (u["km_expert"], "Жақсы! 3-тапсырмада жауап бірмәнді емес, түзетіңіз."),
            (u["km_member2"], "Использовала в 5 «Б», дети справились за 20 минут."),
        ],
        pinned=True,
    )
    rep = a["rep-math"]
    rep_board = _board(rep, "Республикалық форум / Республиканский форум", visibility="public")
    _thread(
        rep_board,
        clock,
        "Функционалдық сауаттылық: PISA үлгісіндегі есептер",
        [
            (
                u["rep_member"],
                "Шымкенттегі әріптестер PISA үлгісіндегі есептер жинағын "
                "жасадық. Пікір білдіріңіздер.",
            ),
            (
                u["km_leader"],
                "Қостанай облысы қауымдастығы атынан: жинақты біздің семинарда талқылаймыз.",
            ),
        ],
    )

    # --- Young teachers of Almaty ---------------------------------------------------------
    yta = a["young-teachers-almaty"]
    yta_board = _board(yta, "Жас мамандар клубы / Клуб молодых специалистов", premoderate=True)
    _thread(
        yta_board,
        clock,
        "Бірінші жылы сынып жетекшілігін қалай жүргіземіз?",
        [
            (u["yta_young"], "Ата-аналармен алғашқы жиналысқа қалай дайындалу керек?"),
            (
                u["yta_mentor"],
                "Күн тәртібін алдын ала жіберіңіз, 40 минуттан аспаңыз, "
                "әр ата-анаға бір жақсы сөз айтыңыз.",
            ),
            (u["yta_young3"], "Спасибо, очень полезно!"),
        ],
    )
    db.session.commit()
    ctx.log(
        "forum: 9 boards and 10 discussions (kk/ru) with a poll, an accepted answer, "
        "an official answer, an anonymous topic and moderated posts"
    )
