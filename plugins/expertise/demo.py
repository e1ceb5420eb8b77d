"""Demo content: the Kostanay mathematics association's review, with a submission in every
state of the workflow, the experts' bids on submitted materials, the reviewers' discussion of
two rounds with the coordinator's meta-reviews, and a published lesson plan with two open
reviews, an author's response and its meta-review, in Kazakh and Russian. Everything goes
through the same services as the pages (workflow table, conflict checks, computed totals,
certificates, bids, discussion), with small real PDFs."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from fpdf import FPDF
from werkzeug.datastructures import FileStorage

from core.api import db, site_request_context, uploads, utcnow
from plugins.expertise import services as svc
from plugins.expertise.models import Assignment, Comment, File, Review, Submission, Version

FONT = Path(uploads.__file__).resolve().parent.parent / "fonts" / "DejaVuSans.ttf"
SLUG = "kostanay-math"


def pdf(title: str, lines: list[str]) -> bytes:
    doc = FPDF()
    doc.add_font("DejaVu", "", str(FONT))
    doc.add_page()
    doc.set_font("DejaVu", size=16)
    doc.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", size=11)
    for line in lines:
        doc.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def _file(name: str, title: str, lines: list[str]) -> File:
    stored = uploads.save(
        FileStorage(stream=io.BytesIO(pdf(title, lines)), filename=name),
        subdir="expertise",
        allowed=("pdf",),
    )
    return File(
        path=stored.path,
        original_name=stored.original_name,
        kind=stored.kind,
        mime=stored.mime,
        size=stored.size,
    )


# title, type, language, grades, abstract, keywords, author key, end state
MATERIALS = [
    (
        "Бөлшектерді қосу және азайту (5-сынып)",
        "lesson_plan",
        "kk",
        (5, 5),
        "Ортақ бөлімге келтіру арқылы бөлшектерді қосу мен азайтуға арналған қысқа мерзімді "
        "жоспар: жұптық жұмыс, үш деңгейлі тапсырмалар, дескрипторлар және кері байланыс.",
        "бөлшек, ортақ бөлім, саралау",
        "km_member",
        "recommended",
    ),
    (
        "Решение текстовых задач на движение (6 класс)",
        "lesson_plan",
        "ru",
        (6, 6),
        "Краткосрочный план урока: моделирование задач на встречное движение, работа в группах, "
        "критерии оценивания и взаимооценка.",
        "задачи на движение, моделирование",
        "km_member2",
        "draft",
    ),
    (
        "«Пропорция» бөлімі бойынша БЖБ тапсырмалары",
        "summative_tasks",
        "kk",
        (6, 6),
        "Бөлім бойынша жиынтық бағалау тапсырмалары, балл қою кестесі және дескрипторлар.",
        "БЖБ, пропорция",
        "km_moderator",
        "submitted",
    ),
    (
        "Методические рекомендации по формативному оцениванию на уроках математики",
        "method_recommendation",
        "ru",
        (5, 9),
        "Приёмы формативного оценивания: «светофор», «две звезды и пожелание», листы "
        "самооценки; примеры из практики сельских школ.",
        "формативное оценивание, обратная связь",
        "km_member2",
        "screening",
    ),
    (
        "Геометриялық денелер: ашық сабақ сценарийі",
        "event_scenario",
        "kk",
        (7, 8),
        "Сыныптан тыс іс-шара: командалық сайыс, модельдер жасау.",
        "геометрия, сайыс",
        "km_member",
        "returned",
    ),
    (
        "«Функциональная грамотность: проценты в жизни» — элективный курс",
        "elective_programme",
        "ru",
        (8, 9),
        "Программа элективного курса на 34 часа: задачи на проценты из банковской и бытовой "
        "практики, проектная работа.",
        "проценты, функциональная грамотность",
        "km_member2",
        "in_review",
    ),
    (
        "Теңдеулер жүйесін шешу (7-сынып)",
        "lesson_plan",
        "kk",
        (7, 7),
        "Алмастыру және қосу тәсілдері; топтық жұмыс және өзін-өзі бағалау парағы.",
        "теңдеулер жүйесі",
        "km_member",
        "minor_revision",
    ),
    (
        "Дидактические карточки по теме «Дроби»",
        "didactic_materials",
        "ru",
        (5, 6),
        "Набор из 40 карточек трёх уровней сложности с ключами ответов.",
        "дроби, карточки",
        "km_member2",
        "major_revision",
    ),
    (
        "Математикадан авторлық бағдарлама: «Логика әлемі»",
        "author_programme",
        "kk",
        (5, 6),
        "Логикалық есептер шығаруға арналған авторлық бағдарлама.",
        "логика",
        "km_member",
        "not_recommended",
    ),
    (
        "Орта мерзімді жоспар: «Натурал сандар»",
        "medium_term_plan",
        "kk",
        (5, 5),
        "Бөлім бойынша орта мерзімді жоспар.",
        "натурал сандар",
        "km_member2",
        "withdrawn",
    ),
]

REVIEW_TEXTS = {
    "kk": (
        "Оқу мақсаттары бағдарламаға сай, дескрипторлар нақты. Саралауды күшейтуге болады.",
        "Белсенді әдістер жақсы таңдалған, уақыт дұрыс жоспарланған.",
    ),
    "ru": (
        "Цели соответствуют программе, но критерии оценивания нужно конкретизировать.",
        "Хорошая структура урока; добавьте задания для сильных учащихся.",
    ),
}


#: The experts' bids (km_expert, km_expert2), made when the material was submitted.
BIDS = {
    "submitted": ("eager", "willing"),
    "screening": ("willing", "eager"),
    "in_review": ("eager", "not_willing"),
    "recommended": ("eager", "willing"),
    "major_revision": ("willing", "willing"),
}

#: The round's discussion among the experts (0, 1: the free experts in order; "c": the
#: coordinator) and the coordinator's meta-review, written before the decision.
DISCUSSIONS = {
    "recommended": (
        [
            (
                0,
                "Әріптестер, менің ойымша жоспар дайын: дескрипторлар нақты, үш деңгейлі "
                "тапсырмалар жақсы ойластырылған. Тек саралау бөлімін автор сәл толықтырса "
                "болады.",
            ),
            (
                1,
                "Келісемін. Кері байланысқа 5 минут аздау берілген, бірақ бұл ұсынуға кедергі "
                "емес. Ортақ бөлімге келтіру кезеңі өте түсінікті жазылған.",
            ),
            (
                "c",
                "Рахмет, екеуіңіздің пікіріңіз бір. Ұсынамын, ал автордан саралау бөлімін "
                "толықтыруды сұраймын.",
            ),
        ],
        "Екі сарапшы да жоспарды ұсынды: оқу мақсаттары бағдарламаға сай, дескрипторлар "
        "нақты, белсенді әдістер орынды таңдалған. Автор саралау бөлімін толықтырды. "
        "Бірлестіктің кітапханасына жариялауға ұсынылады.",
    ),
    "major_revision": (
        [
            (
                0,
                "Коллеги, карточки третьего уровня по сути повторяют второй, а в ключах к "
                "№12 и №27 ошибки. Предлагаю отправить на существенную доработку.",
            ),
            (
                1,
                "Согласна. И не указано, к каким целям обучения относится каждая карточка: "
                "учителю без этого трудно встроить их в урок.",
            ),
            (
                "c",
                "Принято. Отправляю на доработку, замечания перечислю в итоговом заключении.",
            ),
        ],
        "Набор полезен для урока, но требует существенной доработки: 1) задания третьего "
        "уровня должны быть сложнее второго; 2) исправить ключи к карточкам №12 и №27; "
        "3) указать цель обучения для каждой карточки. После доработки материал будет "
        "рассмотрен повторно.",
    ),
}


def build(ctx) -> None:
    """Add the demo review to the kostanay-math association (skipped when it is missing)."""
    association = ctx.associations.get(SLUG)
    if association is None:
        ctx.log("expertise: no kostanay-math association, nothing added")
        return
    with site_request_context():
        _build(ctx, association)


def _build(ctx, association) -> None:
    users = ctx.users
    coordinator = users["km_coordinator"]
    experts = [users["km_expert"], users["km_expert2"]]
    math = ctx.subjects.get("math")
    svc.default_rubric(association)
    now = utcnow()
    made: dict[str, int] = {}
    for i, (title, kind, lang, grades, abstract, keywords, author_key, target) in enumerate(
        MATERIALS
    ):
        author = users[author_key]
        sub = Submission(
            association_id=association.id,
            author_id=author.id,
            title=title,
            material_type=kind,
            subject_id=math.id if math else None,
            grade_from=grades[0],
            grade_to=grades[1],
            language=lang,
            abstract=abstract,
            keywords=keywords,
            state="draft",
        )
        version = Version(number=1)
        version.files.append(_file(f"material-{i + 1}.pdf", title, [abstract]))
        sub.versions.append(version)
        db.session.add(sub)
        db.session.flush()
        _drive(sub, target, author, coordinator, experts)
        if sub.submitted_at and sub.decided_at:
            sub.submitted_at = sub.decided_at - dt.timedelta(days=9 + 3 * i)
        made[target] = sub.id
        db.session.commit()
    published = db.session.get(Submission, made["recommended"])
    member2 = users["km_member2"]
    db.session.add(
        Comment(
            submission_id=published.id,
            author_id=member2.id,
            body="Рахмет! Үш деңгейлі тапсырмаларды өз сабағымда қолдандым.",
            created_at=now,
        )
    )
    db.session.commit()
    ctx.log(
        f"expertise: {len(MATERIALS)} materials in every state, bids, two discussions, "
        "one published with reviews and a meta-review"
    )


def _review(sub, expert, recommendation, text, scores):
    a = _assignment(sub, expert)
    svc.respond(a, expert, accept=True)
    criteria = sub.rubric.criteria
    svc.save_review(
        a,
        expert,
        [(c, scores[k % len(scores)], "") for k, c in enumerate(criteria)],
        recommendation,
        text,
        "",
    )


def _drive(sub, target, author, coordinator, experts) -> None:
    """Take ``sub`` from draft to ``target`` through the workflow table, with the experts'
    bids once it is submitted and, for some, the round's discussion and meta-review."""
    if target == "draft":
        return
    svc.transition(sub, "submit", author)
    for expert, value in zip(experts, BIDS.get(target, ()), strict=False):
        svc.set_bid(sub, expert, value)
    if target == "withdrawn":
        svc.transition(sub, "withdraw", author, "Қайта өңдеймін.")
        return
    if target == "submitted":
        return
    svc.transition(sub, "screen", coordinator)
    if target == "screening":
        return
    if target == "returned":
        svc.transition(
            sub, "return", coordinator, "Бағалау критерийлері мен файлдың толық нұсқасы жоқ."
        )
        return
    svc.transition(sub, "accept", coordinator)
    free = [e for e in experts if svc.conflict_reason(e, sub) is None]
    for e in free:
        svc.assign(sub, e, coordinator)
    if target == "in_review":
        svc.respond(_assignment(sub, free[0]), free[0], accept=True)
        return
    texts = REVIEW_TEXTS[sub.language]
    first = {
        "recommended": "recommended",
        "minor_revision": "minor_revision",
        "major_revision": "major_revision",
        "not_recommended": "not_recommended",
    }[target]
    for k, e in enumerate(free):
        _review(sub, e, first, texts[k % 2], [3, 2, 3] if target == "recommended" else [1, 2])
    if target in DISCUSSIONS:
        posts, meta = DISCUSSIONS[target]
        for who, body in posts:
            if who == "c":
                svc.post_discussion(sub, coordinator, body)
            elif who < len(free):
                svc.post_discussion(sub, free[who], body)
        svc.save_meta(sub, coordinator, meta)
    action = {
        "recommended": "recommend",
        "minor_revision": "minor",
        "major_revision": "major",
        "not_recommended": "reject",
    }[target]
    svc.transition(sub, action, coordinator, "")
    if target == "recommended":
        first_review = db.session.scalar(
            db.select(Review).where(Review.submission_id == sub.id).order_by(Review.id)
        )
        first_review.response = "Рақмет! Саралау бөлімін толықтырдым, жаңа нұсқада ескерілді."
        first_review.response_at = utcnow()


def _assignment(sub, expert) -> Assignment:
    return db.session.scalar(
        db.select(Assignment).where(
            Assignment.submission_id == sub.id,
            Assignment.expert_id == expert.id,
            Assignment.round == sub.round,
        )
    )
