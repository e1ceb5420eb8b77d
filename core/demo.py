"""The demo database: places, subjects, five associations and about forty people.

``qauym demo`` calls :func:`build` inside an app context on an upgraded schema, then every
enabled plugin's ``demo_data(ctx)`` hook with the :class:`DemoContext` it returns. The roster
is fixed so that plugin authors can rely on it:

* ``ctx.users`` by key: ``"admin"`` (site administrator), ``"kostanay_admin"`` (regional
  administrator of Kostanay) and ``"<prefix>_<role>"`` for association members, where the
  prefix is ``rep`` (rep-math), ``km`` (kostanay-math), ``shyn`` (shyn-network), ``damu``
  (damu-ma) or ``yta`` (young-teachers-almaty); a second person with the same role gets a
  ``2`` suffix (``km_expert2``). Young specialists are ``damu_young*`` and ``yta_young*``.
* ``ctx.associations`` by slug, ``ctx.regions`` by code, ``ctx.subjects`` by code.
* ``ctx.members(slug, role=None)`` reads the memberships from the database, so what a plugin
  sees is what the site shows.

Every demo user logs in with :data:`DEMO_PASSWORD`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from sqlalchemy import func, select

from core.extensions import db
from core.models import (
    CHARTER_FIELDS,
    ActivityForm,
    AnnualReport,
    Association,
    AssociationKind,
    Category,
    CyclogramItem,
    District,
    JoinPolicy,
    Level,
    Membership,
    Plan,
    PlanRow,
    Region,
    RegionAdmin,
    Role,
    School,
    Subject,
    User,
)
from core.services import plans, reports
from core.services.text import split_languages, split_pair

#: The password every demo user shares.
DEMO_PASSWORD = "qauym-demo"  # noqa: S105 - public demo logins, printed by `qauym demo`
EMAIL_DOMAIN = "demo.qauym.kz"


@dataclass
class DemoContext:
    """What the core demo made, handed to each plugin's ``demo_data(ctx)`` hook."""

    users: dict[str, User] = field(default_factory=dict)
    associations: dict[str, Association] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    password: str = DEMO_PASSWORD
    echo: Callable[[str], None] = click.echo

    def members(self, slug: str, role: str | None = None) -> list[User]:
        """Members of the association ``slug`` (with ``role`` if given), in roster order."""
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Association, Association.id == Membership.association_id)
            .where(Association.slug == slug)
            .order_by(User.id)
        )
        if role is not None:
            stmt = stmt.where(Membership.role == str(role))
        return list(db.session.scalars(stmt))

    def log(self, msg: str) -> None:
        """Report what was made (printed by ``qauym demo``)."""
        self.echo(f"  {msg}")


# --- places ----------------------------------------------------------------------------

#: code, kind, Kazakh, Russian, English. The 17 regions and 3 cities of republican significance.
REGIONS: list[tuple[str, str, str, str, str]] = [
    ("abai", "region", "Абай облысы", "Абайская область", "Abai Region"),
    ("akmola", "region", "Ақмола облысы", "Акмолинская область", "Akmola Region"),
    ("aktobe", "region", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    ("almaty-region", "region", "Алматы облысы", "Алматинская область", "Almaty Region"),
    ("atyrau", "region", "Атырау облысы", "Атырауская область", "Atyrau Region"),
    (
        "east-kazakhstan",
        "region",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    ("jambyl", "region", "Жамбыл облысы", "Жамбылская область", "Jambyl Region"),
    ("jetisu", "region", "Жетісу облысы", "Область Жетісу", "Jetisu Region"),
    ("karaganda", "region", "Қарағанды облысы", "Карагандинская область", "Karaganda Region"),
    ("kostanay", "region", "Қостанай облысы", "Костанайская область", "Kostanay Region"),
    ("kyzylorda", "region", "Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    ("mangystau", "region", "Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    (
        "north-kazakhstan",
        "region",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    ("pavlodar", "region", "Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    ("turkistan", "region", "Түркістан облысы", "Туркестанская область", "Turkistan Region"),
    ("ulytau", "region", "Ұлытау облысы", "Область Улытау", "Ulytau Region"),
    (
        "west-kazakhstan",
        "region",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    ("astana", "city", "Астана қаласы", "город Астана", "Astana"),
    ("almaty", "city", "Алматы қаласы", "город Алматы", "Almaty"),
    ("shymkent", "city", "Шымкент қаласы", "город Шымкент", "Shymkent"),
]

#: key, region code, Kazakh, Russian, English.
DISTRICTS: list[tuple[str, str, str, str, str]] = [
    ("kostanay-district", "kostanay", "Қостанай ауданы", "Костанайский район", "Kostanay District"),
    ("kostanay-city", "kostanay", "Қостанай қаласы", "город Костанай", "Kostanay City"),
    ("rudny", "kostanay", "Рудный қаласы", "город Рудный", "Rudny City"),
    ("almaly", "almaty", "Алмалы ауданы", "Алмалинский район", "Almaly District"),
    ("bostandyk", "almaty", "Бостандық ауданы", "Бостандыкский район", "Bostandyk District"),
    ("esil", "astana", "Есіл ауданы", "район Есиль", "Esil District"),
    ("pavlodar-city", "pavlodar", "Павлодар қаласы", "город Павлодар", "Pavlodar City"),
    ("karaganda-city", "karaganda", "Қарағанды қаласы", "город Караганда", "Karaganda City"),
    ("al-farabi", "shymkent", "Әл-Фараби ауданы", "район Аль-Фараби", "Al-Farabi District"),
]

#: key, district key, name. The first four are the rural schools of the ШЫҢ network.
SCHOOLS: list[tuple[str, str, str]] = [
    ("zarechnoe", "kostanay-district", "Заречный жалпы білім беретін мектебі"),
    ("michurino", "kostanay-district", "Мичурин жалпы білім беретін мектебі"),
    ("ozernoe", "kostanay-district", "Озерный жалпы білім беретін мектебі"),
    ("sadchikovka", "kostanay-district", "Садчиков жалпы білім беретін мектебі"),
    ("damu", "kostanay-city", "Қостанай қаласының «Даму» мектеп-гимназиясы"),
    ("kostanay-lyceum", "kostanay-city", "Қостанай қаласының №3 физика-математика лицейі"),
    ("almaty-159", "almaly", "Алматы қаласының №159 мектеп-гимназиясы"),
    ("almaty-52", "bostandyk", "Алматы қаласының №52 мектеп-лицейі"),
    ("astana-nis", "esil", "Астана қаласының №12 мектеп-лицейі"),
    ("pavlodar-1", "pavlodar-city", "Павлодар қаласының №1 жалпы орта білім беру мектебі"),
    ("karaganda-38", "karaganda-city", "Қарағанды қаласының №38 мектеп-гимназиясы"),
    ("shymkent-7", "al-farabi", "Шымкент қаласының №7 мектеп-лицейі"),
]

SHYN_SCHOOLS = ["zarechnoe", "michurino", "ozernoe", "sadchikovka"]

#: code, Kazakh, Russian, English.
SUBJECTS: list[tuple[str, str, str, str]] = [
    ("math", "Математика", "Математика", "Mathematics"),
    ("physics", "Физика", "Физика", "Physics"),
    ("informatics", "Информатика", "Информатика", "Computer science"),
    ("kazakh", "Қазақ тілі мен әдебиеті", "Казахский язык и литература", "Kazakh language"),
    ("russian", "Орыс тілі мен әдебиеті", "Русский язык и литература", "Russian language"),
    ("english", "Ағылшын тілі", "Английский язык", "English"),
    ("history", "Қазақстан тарихы", "История Казахстана", "History of Kazakhstan"),
    ("biology", "Биология", "Биология", "Biology"),
    ("chemistry", "Химия", "Химия", "Chemistry"),
    ("geography", "География", "География", "Geography"),
    ("primary", "Бастауыш сынып", "Начальные классы", "Primary school"),
]


# --- associations ----------------------------------------------------------------------


def _kk_ru(kk: str, ru: str) -> str:
    """Charter texts are kept in both languages: Kazakh first, then Russian."""
    return f"{kk.strip()}\n\n{ru.strip()}"


ASSOCIATIONS: list[dict] = [
    {
        "slug": "rep-math",
        "name_kk": "Математика мұғалімдерінің республикалық қауымдастығы",
        "name_ru": "Республиканская ассоциация учителей математики",
        "abbr_kk": "ММРҚ",
        "abbr_ru": "РАУМ",
        "kind": AssociationKind.ASSOCIATION_OF_ASSOCIATIONS,
        "level": Level.REPUBLIC,
        "region": "astana",
        "district": None,
        "host_organisation": "«Өрлеу» біліктілікті арттыру ұлттық орталығы",
        "parent": None,
        "subjects": ["math"],
        "legal_status": "registered",
        "lifespan": "permanent",
        "join_policy": JoinPolicy.REQUEST,
        "contacts": "rep-math@demo.qauym.kz",
        "description": _kk_ru(
            "Облыстық математика мұғалімдері қауымдастықтарының республикалық бірлестігі. "
            "Жыл сайын жалпы жиналыс өткізеді, пән бойынша 18 топты үйлестіреді.",
            "Республиканское объединение региональных ассоциаций учителей математики. "
            "Ежегодно проводит общее собрание, координирует 18 предметных групп.",
        ),
        "topic": _kk_ru(
            "Математикадан оқыту сапасын арттыру",
            "Повышение качества преподавания математики",
        ),
        "priority": _kk_ru(
            "Жоғары санатты мұғалімдердің тәжірибесін тарату",
            "Распространение опыта учителей высших категорий",
        ),
        "problem": _kk_ru(
            "Аймақтардағы мұғалімдердің кәсіби байланысы әлсіз.",
            "Слабые профессиональные связи между учителями разных регионов.",
        ),
        "goals": _kk_ru(
            "- Мұғалімдердің кәсіби өсуіне жағдай жасау\n- Әдістемелік әзірлемелер банкін құру",
            "- Создать условия для профессионального роста учителей\n"
            "- Создать банк методических разработок",
        ),
        "tasks": _kk_ru(
            "- Ашық сараптама өткізу\n- Шеберлік сыныптарын ұйымдастыру",
            "- Проводить открытую экспертизу\n- Организовывать мастер-классы",
        ),
        "expected_results": _kk_ru(
            "Жоғары санатты мұғалімдер саны артады.",
            "Растёт число учителей высших категорий.",
        ),
        "rules": _kk_ru(
            "Жалпы жиналыс жылына кемінде бір рет өтеді; шешім үштен екі даусымен қабылданады.",
            "Общее собрание проводится не реже раза в год; решения принимаются двумя третями "
            "голосов.",
        ),
        "cyclogram": [
            ("Жалпы жиналыс / Общее собрание", "жылына бір рет / раз в год"),
            ("Кеңес отырысы / Заседание совета", "тоқсан сайын / ежеквартально"),
        ],
    },
    {
        "slug": "kostanay-math",
        "name_kk": "Қостанай облысы математика мұғалімдерінің қауымдастығы",
        "name_ru": "Ассоциация учителей математики Костанайской области",
        "abbr_kk": "ҚОММҚ",
        "abbr_ru": "АУМКО",
        "kind": AssociationKind.SUBJECT,
        "level": Level.REGION,
        "region": "kostanay",
        "district": None,
        "host_organisation": "«Өрлеу» ҰБАО Қостанай облысы бойынша филиалы",
        "parent": "rep-math",
        "subjects": ["math", "informatics"],
        "legal_status": "informal",
        "lifespan": "permanent",
        "join_policy": JoinPolicy.REQUEST,
        "contacts": "kostanay-math@demo.qauym.kz",
        "description": _kk_ru(
            "Қостанай облысының математика мұғалімдері: семинарлар, сараптама, тәжірибе алмасу.",
            "Учителя математики Костанайской области: семинары, экспертиза, обмен опытом.",
        ),
        "topic": _kk_ru(
            "Математикалық сауаттылықты дамыту",
            "Развитие математической грамотности",
        ),
        "priority": _kk_ru("Функционалдық сауаттылық", "Функциональная грамотность"),
        "problem": _kk_ru(
            "Оқушылардың есеп шығаруда мәтінді түсінуі төмен.",
            "Учащиеся плохо понимают текст задачи.",
        ),
        "goals": _kk_ru(
            "- Бағалау тапсырмаларының сапасын арттыру",
            "- Повысить качество заданий для оценивания",
        ),
        "tasks": _kk_ru(
            "- БЖБ мен ТЖБ тапсырмаларын сараптау\n- Ашық сабақтар өткізу",
            "- Экспертиза заданий СОР и СОЧ\n- Открытые уроки",
        ),
        "expected_results": _kk_ru(
            "Сарапталған тапсырмалар банкі.",
            "Банк заданий, прошедших экспертизу.",
        ),
        "rules": _kk_ru(
            "Әр мүше жылына кемінде бір әзірлеме ұсынады.",
            "Каждый участник представляет не менее одной разработки в год.",
        ),
        "cyclogram": [
            ("Онлайн семинар / Онлайн-семинар", "ай сайын / ежемесячно"),
            ("Әзірлемелерді сараптау / Экспертиза разработок", "тоқсан сайын / ежеквартально"),
        ],
    },
    {
        "slug": "shyn-network",
        "name_kk": "«ШЫҢ» желілік қауымдастығы",
        "name_ru": "Сетевое сообщество «ШЫҢ»",
        "abbr_kk": "ШЫҢ",
        "abbr_ru": "ШЫҢ",
        "kind": AssociationKind.NETWORK,
        "level": Level.NETWORK,
        "region": "kostanay",
        "district": "kostanay-district",
        "host_organisation": "Қостанай ауданының төрт ауыл мектебі",
        "parent": None,
        "subjects": ["math", "kazakh", "russian", "primary"],
        "legal_status": "informal",
        "lifespan": "long-term",
        "join_policy": JoinPolicy.REQUEST,
        "contacts": "shyn@demo.qauym.kz",
        "description": _kk_ru(
            "Қостанай ауданының төрт ауыл мектебінің мұғалімдері бірігіп, бір-бірінің "
            "сабақтарына барып, тәжірибе алмасады.",
            "Учителя четырёх сельских школ Костанайского района вместе посещают уроки "
            "друг друга и обмениваются опытом.",
        ),
        "topic": _kk_ru(
            "Ауыл мектебінде оқушылардың оқу дербестігін дамыту",
            "Развитие учебной самостоятельности учащихся сельской школы",
        ),
        "priority": _kk_ru(
            "Мұғалімдердің бірлескен рефлексиясы және өзара сабаққа қатысу",
            "Совместная рефлексия учителей и взаимопосещение уроков",
        ),
        "problem": _kk_ru(
            "Шағын ауыл мектебінде бір пәннен бір ғана мұғалім бар, ақылдасатын әріптес жоқ.",
            "В малой сельской школе по предмету работает один учитель, и посоветоваться не с кем.",
        ),
        "goals": _kk_ru(
            "- Төрт мектептің мұғалімдерінің кәсіби қауымдастығын құру\n"
            "- Оқушылардың оқу дербестігін арттыратын тәсілдерді бірге табу",
            "- Создать профессиональное сообщество учителей четырёх школ\n"
            "- Вместе найти приёмы, развивающие самостоятельность учащихся",
        ),
        "tasks": _kk_ru(
            "- Екі апта сайын онлайн кездесу\n- Тоқсан сайын бірлескен «оқу серуені»\n"
            "- Рефлексиялық эсселер жазу\n- Тәжірибені жариялау",
            "- Онлайн-встреча раз в две недели\n- Ежеквартальные совместные «учебные прогулки»\n"
            "- Рефлексивные эссе\n- Публикация опыта",
        ),
        "expected_results": _kk_ru(
            "Әр мұғалім жылына кемінде екі әріптесінің сабағына қатысады; тәжірибе жинағы "
            "жарияланады.",
            "Каждый учитель посещает уроки не менее двух коллег в год; опубликован сборник опыта.",
        ),
        "rules": _kk_ru(
            "1. Бір-бірімізді құрметтейміз және сөзді бөлмейміз.\n"
            "2. Сынды сабаққа айтамыз, адамға емес.\n"
            "3. Кездесуге уақытында келеміз.\n"
            "4. Әріптестің сабағы туралы айтылғанды топтан шығармаймыз.\n"
            "5. Әр пікірге негіз келтіреміз.\n"
            "6. Жаңа мүшеге көмектесеміз.\n"
            "7. Сағат 23:00-ден кейін хабарлама жазбаймыз (шұғыл жағдайдан басқа).\n"
            "8. Жарнама мен былапыт сөзге жол бермейміз.",
            "1. Уважаем друг друга и не перебиваем.\n"
            "2. Критикуем урок, а не человека.\n"
            "3. Приходим на встречи вовремя.\n"
            "4. Не выносим за пределы группы сказанное об уроке коллеги.\n"
            "5. Обосновываем каждое мнение.\n"
            "6. Помогаем новым участникам.\n"
            "7. Не пишем после 23:00 (кроме срочного).\n"
            "8. Без рекламы и ненормативной лексики.",
        ),
        "cyclogram": [
            ("Чатта талқылау / Обсуждение в чате", "қажет болғанда / по мере необходимости"),
            ("Онлайн кездесу / Онлайн-встреча", "екі апта сайын / раз в две недели"),
            (
                "10 сөйлемнен тұратын рефлексиялық эссе / Рефлексивное эссе из 10 предложений",
                "ай сайын / ежемесячно",
            ),
            (
                "Кезекті мектепте бетпе-бет кездесу / Очная встреча в школе-хозяйке",
                "екі ай сайын, айдың соңғы жұмасы / раз в два месяца, последняя пятница месяца",
            ),
            (
                "Бірлескен «оқу серуені» / Совместная «учебная прогулка»",
                "тоқсан сайын / ежеквартально",
            ),
            ("Жарияланымдар / Публикации", "жылына екі рет / два раза в год"),
        ],
    },
    {
        "slug": "damu-ma",
        "name_kk": "«Даму» мектебінің әдістемелік бірлестігі",
        "name_ru": "Методическое объединение школы «Даму»",
        "abbr_kk": "«Даму» ӘБ",
        "abbr_ru": "МО «Даму»",
        "kind": AssociationKind.METHODOLOGICAL,
        "level": Level.SCHOOL,
        "region": "kostanay",
        "district": "kostanay-city",
        "host_organisation": "Қостанай қаласының «Даму» мектеп-гимназиясы",
        "parent": None,
        "subjects": ["math", "physics", "informatics", "english"],
        "legal_status": "informal",
        "lifespan": "permanent",
        "join_policy": JoinPolicy.INVITE,
        "contacts": "damu@demo.qauym.kz",
        "description": _kk_ru(
            "Санатты мұғалімдер жас әріптестеріне тәлімгерлік етеді: оқушылардың деңгейін "
            "ерте бағалау, сыни ойлау, АКТ құзыреттілігі бойынша топтар.",
            "Аттестованные учителя наставляют молодых коллег: группы по ранней оценке уровня "
            "учащихся, критическому мышлению и ИКТ-компетентности.",
        ),
        "topic": _kk_ru("Тәлімгерлік және коучинг", "Наставничество и коучинг"),
        "priority": _kk_ru("Жас мамандарды қолдау", "Поддержка молодых специалистов"),
        "problem": _kk_ru(
            "Жас мамандар алғашқы жылы қиналады.",
            "Молодым специалистам трудно в первый год.",
        ),
        "goals": _kk_ru(
            "- Әр жас маманға тәлімгер бекіту",
            "- Закрепить наставника за каждым молодым специалистом",
        ),
        "tasks": _kk_ru(
            "- Қажеттілік диагностикасы\n- Өзара сабаққа қатысу",
            "- Диагностика потребностей\n- Взаимопосещение уроков",
        ),
        "expected_results": _kk_ru(
            "Жас мамандар мектепте қалады және санатқа дайындалады.",
            "Молодые специалисты остаются в школе и готовятся к аттестации.",
        ),
        "rules": _kk_ru(
            "Әдістемелік кеңестің шешімдері міндетті.", "Решения методсовета обязательны."
        ),
        "cyclogram": [
            ("Әдістемелік кеңес / Методический совет", "ай сайын / ежемесячно"),
            ("Коучинг-сессия / Коучинг-сессия", "екі апта сайын / раз в две недели"),
        ],
    },
    {
        "slug": "young-teachers-almaty",
        "name_kk": "Алматы қаласының жас мұғалімдер қауымдастығы",
        "name_ru": "Ассоциация молодых учителей города Алматы",
        "abbr_kk": "АЖМҚ",
        "abbr_ru": "АМУА",
        "kind": AssociationKind.YOUNG_TEACHERS,
        "level": Level.CITY,
        "region": "almaty",
        "district": None,
        "host_organisation": "Алматы қаласы білім басқармасы",
        "parent": None,
        "subjects": [],
        "legal_status": "informal",
        "lifespan": "permanent",
        "join_policy": JoinPolicy.OPEN,
        "contacts": "young@demo.qauym.kz",
        "description": _kk_ru(
            "«Тәжірибе – жастарға» бағдарламасы: тәжірибелі мұғалімдер жас мамандарға "
            "тәлімгер болады.",
            "Программа «Опыт – молодым»: опытные учителя становятся наставниками молодых "
            "специалистов.",
        ),
        "topic": _kk_ru("Жас маманның сенімді бастауы", "Уверенный старт молодого специалиста"),
        "priority": _kk_ru("Тәлімгерлік", "Наставничество"),
        "problem": _kk_ru(
            "Жас мұғалімдердің үштен бірі алғашқы үш жылда мектептен кетеді.",
            "Треть молодых учителей уходит из школы в первые три года.",
        ),
        "goals": _kk_ru("- Жас мамандарды қолдау", "- Поддержать молодых специалистов"),
        "tasks": _kk_ru(
            "- Тәлімгерлік жұптар құру\n- Клуб кездесулері",
            "- Формирование пар наставничества\n- Встречи клуба",
        ),
        "expected_results": _kk_ru(
            "Жас мамандар кәсіпте қалады.",
            "Молодые специалисты остаются в профессии.",
        ),
        "rules": _kk_ru("Кез келген сұрақ қоюға болады.", "Любой вопрос уместен."),
        "cyclogram": [
            ("Клуб кездесуі / Встреча клуба", "ай сайын, кешке / ежемесячно, вечером"),
        ],
    },
]


# --- people ----------------------------------------------------------------------------

# key, full name, category, years of experience, school key (or region code for people
# without a school), subjects, position, memberships [(slug, role)].
_M, _R, _E, _P, _N, _D = (
    Category.MASTER,
    Category.RESEARCHER,
    Category.EXPERT,
    Category.PEDAGOG,
    Category.NONE,
    Category.MODERATOR,
)

PEOPLE: list[tuple] = [
    ("admin", "Данияр Сейітов", _N, 0, "astana", [], "Сайт әкімшісі", []),
    ("kostanay_admin", "Гүлнар Жақсылықова", _N, 0, "kostanay", [], "Облыс әкімшісі", []),
    # rep-math
    ("rep_leader", "Сәуле Бекова", _M, 28, "astana-nis", ["math"], "", [("rep-math", "leader")]),
    (
        "rep_coordinator",
        "Ерлан Тұрсынов",
        _R,
        20,
        "almaty-52",
        ["math"],
        "",
        [("rep-math", "coordinator")],
    ),
    (
        "rep_moderator",
        "Ирина Ковалёва",
        _E,
        18,
        "pavlodar-1",
        ["math"],
        "",
        [("rep-math", "moderator")],
    ),
    (
        "rep_secretary",
        "Айгерім Омарова",
        _D,
        9,
        "astana-nis",
        ["math"],
        "",
        [("rep-math", "secretary")],
    ),
    (
        "rep_expert",
        "Виктор Ли",
        _M,
        30,
        "karaganda-38",
        ["math", "physics"],
        "",
        [("rep-math", "expert")],
    ),
    ("rep_member", "Жанар Исмайлова", _P, 6, "shymkent-7", ["math"], "", [("rep-math", "member")]),
    (
        "rep_participant",
        "Тимур Ахметжанов",
        _N,
        0,
        "astana",
        [],
        "Докторант, зерттеуші / докторант, исследователь",
        [("rep-math", "participant")],
    ),
    # kostanay-math
    (
        "km_leader",
        "Марат Жүсіпов",
        _M,
        25,
        "kostanay-lyceum",
        ["math"],
        "",
        [("kostanay-math", "leader"), ("rep-math", "member")],
    ),
    (
        "km_coordinator",
        "Елена Петренко",
        _R,
        19,
        "kostanay-lyceum",
        ["math"],
        "",
        [("kostanay-math", "coordinator")],
    ),
    (
        "km_moderator",
        "Әсел Қасымова",
        _E,
        14,
        "damu",
        ["math"],
        "",
        [("kostanay-math", "moderator")],
    ),
    (
        "km_secretary",
        "Ольга Ким",
        _D,
        11,
        "kostanay-lyceum",
        ["math"],
        "",
        [("kostanay-math", "secretary")],
    ),
    (
        "km_expert",
        "Нұрлан Әбенов",
        _M,
        27,
        "kostanay-lyceum",
        ["math"],
        "",
        [("kostanay-math", "expert")],
    ),
    (
        "km_expert2",
        "Татьяна Соколова",
        _R,
        22,
        "damu",
        ["math", "informatics"],
        "",
        [("kostanay-math", "expert")],
    ),
    (
        "km_member",
        "Бауыржан Серікбаев",
        _P,
        4,
        "ozernoe",
        ["math"],
        "",
        [("kostanay-math", "member")],
    ),
    (
        "km_member2",
        "Наталья Иванова",
        _D,
        8,
        "michurino",
        ["math"],
        "",
        [("kostanay-math", "member")],
    ),
    (
        "km_participant",
        "Қайрат Мұқанов",
        _N,
        0,
        "kostanay",
        [],
        "Аудандық білім бөлімінің әдіскері / методист районного отдела образования",
        [("kostanay-math", "participant")],
    ),
    # shyn-network: four rural schools of Kostanay district
    (
        "shyn_leader",
        "Гүлмира Сапарова",
        _R,
        21,
        "zarechnoe",
        ["kazakh"],
        "Директордың оқу ісі жөніндегі орынбасары",
        [("shyn-network", "leader")],
    ),
    (
        "shyn_coordinator",
        "Светлана Морозова",
        _E,
        16,
        "michurino",
        ["russian"],
        "",
        [("shyn-network", "coordinator")],
    ),
    (
        "shyn_moderator",
        "Дәулет Нұрғалиев",
        _D,
        10,
        "ozernoe",
        ["math"],
        "",
        [("shyn-network", "moderator")],
    ),
    (
        "shyn_secretary",
        "Айнұр Бекмағамбетова",
        _P,
        7,
        "sadchikovka",
        ["primary"],
        "",
        [("shyn-network", "secretary")],
    ),
    (
        "shyn_expert",
        "Людмила Григорьева",
        _M,
        29,
        "zarechnoe",
        ["primary"],
        "",
        [("shyn-network", "expert")],
    ),
    (
        "shyn_expert2",
        "Серік Оспанов",
        _R,
        24,
        "ozernoe",
        ["math"],
        "",
        [("shyn-network", "expert")],
    ),
    (
        "shyn_member",
        "Мадина Есенова",
        _P,
        3,
        "michurino",
        ["kazakh"],
        "",
        [("shyn-network", "member")],
    ),
    (
        "shyn_member2",
        "Андрей Шевченко",
        _D,
        12,
        "sadchikovka",
        ["math"],
        "",
        [("shyn-network", "member")],
    ),
    (
        "shyn_participant",
        "Жансая Төлеуова",
        _N,
        0,
        "zarechnoe",
        [],
        "Педагогикалық практикадағы студент / студентка на педпрактике",
        [("shyn-network", "participant")],
    ),
    # damu-ma: certified teachers mentor young colleagues
    (
        "damu_leader",
        "Роза Ахметова",
        _M,
        26,
        "damu",
        ["math"],
        "Әдістемелік кабинет меңгерушісі / руководитель методкабинета",
        [("damu-ma", "leader")],
    ),
    (
        "damu_coordinator",
        "Павел Никитин",
        _R,
        17,
        "damu",
        ["physics"],
        "",
        [("damu-ma", "coordinator")],
    ),
    (
        "damu_moderator",
        "Әсем Дүйсенова",
        _E,
        12,
        "damu",
        ["informatics"],
        "",
        [("damu-ma", "moderator")],
    ),
    ("damu_secretary", "Мария Белова", _D, 9, "damu", ["english"], "", [("damu-ma", "secretary")]),
    ("damu_expert", "Гүлжан Мұсина", _E, 15, "damu", ["math"], "", [("damu-ma", "expert")]),
    (
        "damu_young",
        "Ақбота Жұмабаева",
        _N,
        1,
        "damu",
        ["math"],
        "Жас маман",
        [("damu-ma", "member")],
    ),
    (
        "damu_young2",
        "Даниил Орлов",
        _P,
        2,
        "damu",
        ["physics"],
        "Молодой специалист",
        [("damu-ma", "member")],
    ),
    (
        "damu_participant",
        "Алина Сергеева",
        _N,
        0,
        "damu",
        [],
        "Педагогикалық практикадағы студент / студентка на педпрактике",
        [("damu-ma", "participant")],
    ),
    # young-teachers-almaty
    (
        "yta_leader",
        "Айдана Рахымжанова",
        _D,
        8,
        "almaty-159",
        ["english"],
        "",
        [("young-teachers-almaty", "leader")],
    ),
    (
        "yta_coordinator",
        "Арман Қалиев",
        _P,
        5,
        "almaty-52",
        ["history"],
        "",
        [("young-teachers-almaty", "coordinator")],
    ),
    (
        "yta_moderator",
        "Ксения Волкова",
        _P,
        4,
        "almaty-159",
        ["russian"],
        "",
        [("young-teachers-almaty", "moderator")],
    ),
    (
        "yta_secretary",
        "Дина Әлиева",
        _P,
        3,
        "almaty-52",
        ["biology"],
        "",
        [("young-teachers-almaty", "secretary")],
    ),
    (
        "yta_expert",
        "Ғалым Тәжібаев",
        _M,
        32,
        "almaty-52",
        ["math"],
        "",
        [("young-teachers-almaty", "expert"), ("rep-math", "expert")],
    ),
    (
        "yta_mentor",
        "Лариса Пак",
        _R,
        23,
        "almaty-159",
        ["chemistry"],
        "",
        [("young-teachers-almaty", "member")],
    ),
    (
        "yta_young",
        "Нұрсұлтан Бекболатов",
        _N,
        1,
        "almaty-159",
        ["math"],
        "Жас маман",
        [("young-teachers-almaty", "member")],
    ),
    (
        "yta_young2",
        "Екатерина Смирнова",
        _P,
        2,
        "almaty-52",
        ["chemistry"],
        "Молодой специалист",
        [("young-teachers-almaty", "member")],
    ),
    (
        "yta_young3",
        "Ерасыл Маратұлы",
        _N,
        0,
        "almaty-159",
        ["english"],
        "Жас маман",
        [("young-teachers-almaty", "member")],
    ),
    (
        "yta_participant",
        "Әлия Серікқызы",
        _N,
        0,
        "almaty",
        [],
        "Педагогика факультетінің студенті / студентка педфакультета",
        [("young-teachers-almaty", "participant")],
    ),
]


def email_for(key: str) -> str:
    return f"{key.replace('_', '.')}@{EMAIL_DOMAIN}"


def exists() -> bool:
    """True when the database already holds data (regions or users)."""
    return bool(db.session.scalar(select(func.count()).select_from(Region))) or bool(
        db.session.scalar(select(func.count()).select_from(User))
    )


def build(echo: Callable[[str], None] = click.echo) -> DemoContext:
    """Create the core demo rows in one transaction and return the context for plugins.

    Call inside an app context on an upgraded, empty schema (see :func:`exists`).
    """
    ctx = DemoContext(echo=echo)
    session = db.session

    for code, kind, kk, ru, en in REGIONS:
        ctx.regions[code] = Region(code=code, kind=kind, name_kk=kk, name_ru=ru, name_en=en)
    session.add_all(ctx.regions.values())

    districts: dict[str, District] = {}
    for key, region, kk, ru, en in DISTRICTS:
        districts[key] = District(region=ctx.regions[region], name_kk=kk, name_ru=ru, name_en=en)
    session.add_all(districts.values())

    schools: dict[str, School] = {}
    for key, district, name in SCHOOLS:
        d = districts[district]
        schools[key] = School(name=name, region=d.region, district=d)
    session.add_all(schools.values())

    for code, kk, ru, en in SUBJECTS:
        ctx.subjects[code] = Subject(code=code, name_kk=kk, name_ru=ru, name_en=en)
    session.add_all(ctx.subjects.values())

    for spec in ASSOCIATIONS:
        spec = dict(spec)
        cyclogram = spec.pop("cyclogram")
        subjects = spec.pop("subjects")
        region = spec.pop("region")
        district = spec.pop("district")
        parent = spec.pop("parent")
        # The charter's texts are written "Kazakh, then Russian": each goes to its field.
        for name in CHARTER_FIELDS:
            spec[f"{name}_kk"], spec[f"{name}_ru"] = split_languages(spec.pop(name, ""))
        a = Association(
            **{k: (str(v) if hasattr(v, "value") else v) for k, v in spec.items()},
            region=ctx.regions[region],
            district=districts[district] if district else None,
            parent=ctx.associations[parent] if parent else None,
            subjects=[ctx.subjects[s] for s in subjects],
            member_count=0,
        )
        a.cyclogram = [
            CyclogramItem(
                position=i,
                activity=split_pair(act)[n],
                frequency=split_pair(freq)[n],
                language=lang,
            )
            for n, lang in enumerate(("kk", "ru"))
            for i, (act, freq) in enumerate(cyclogram)
        ]
        ctx.associations[a.slug] = a
    session.add_all(ctx.associations.values())

    # Hash once: scrypt is deliberately slow and every demo user shares the password.
    template = User(email="x", full_name="x")
    template.set_password(DEMO_PASSWORD)
    for key, name, category, years, place, subjects, position, memberships in PEOPLE:
        if place in schools:
            school = schools[place]
            region, district = school.region, school.district
        else:
            school, region, district = None, ctx.regions[place], None
        user = User(
            email=email_for(key),
            password_hash=template.password_hash,
            full_name=name,
            category=str(category),
            experience_years=years,
            position=position,
            region=region,
            district=district,
            school=school,
            subjects=[ctx.subjects[s] for s in subjects],
            is_site_admin=(key == "admin"),
        )
        ctx.users[key] = user
        session.add(user)
        for slug, role in memberships:
            association = ctx.associations[slug]
            session.add(Membership(association=association, user=user, role=str(Role(role))))
            association.member_count += 1
    session.add(RegionAdmin(user=ctx.users["kostanay_admin"], region=ctx.regions["kostanay"]))
    session.commit()
    echo(
        f"core: {len(ctx.regions)} regions and cities, {len(districts)} districts, "
        f"{len(schools)} schools, {len(ctx.subjects)} subjects, "
        f"{len(ctx.associations)} associations, {len(ctx.users)} users"
    )
    return ctx


# Activity plan and annual report of the ШЫҢ network -------------------------------------------

#: Themes of the fortnightly online meetings, one a month (Kazakh / Russian).
SHYN_ONLINE_THEMES = [
    ("Жыл жоспары және оқу дербестігі", "План года и учебная самостоятельность"),
    ("Формативті бағалау тәсілдері", "Приёмы формативного оценивания"),
    ("Оқушы сұрақтары", "Вопросы учащихся"),
    ("Рефлексиялық эсселерді талқылау", "Обсуждение рефлексивных эссе"),
    ("Топтық жұмыс шағын сыныпта", "Групповая работа в малочисленном классе"),
    ("Функционалдық сауаттылық тапсырмалары", "Задания на функциональную грамотность"),
    ("Lesson Study нәтижелері", "Итоги Lesson Study"),
    ("Тәжірибе жинағына дайындық", "Подготовка сборника опыта"),
    ("Жыл қорытындысы", "Итоги года"),
]


def _last_friday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def build_plans(ctx: DemoContext) -> None:
    """The ШЫҢ network's plan for the current school year, from its cyclogram: an online
    meeting every two weeks (one row a month), a face-to-face meeting on the last Friday of
    every second month, quarterly learning walks, and the general meeting. Members joined a
    year earlier, so last year's report has people to count."""
    shyn = ctx.associations["shyn-network"]
    year = plans.current_year()
    start, _end = plans.bounds(year)
    for i, m in enumerate(
        db.session.scalars(select(Membership).where(Membership.association_id == shyn.id))
    ):
        m.joined_at = dt.datetime(year - 1, 8, 20 + i % 5, 6, 0)
    users = ctx.users
    rows: list[tuple] = []  # (sort day, PlanRow)
    for (cal_year, month), (kk, ru) in zip(
        plans.months_of(year)[:9], SHYN_ONLINE_THEMES, strict=False
    ):
        rows.append(
            (
                dt.date(cal_year, month, 1),
                PlanRow(
                    topic=f"Онлайн кездесу: {kk} / Онлайн-встреча: {ru}",
                    form=ActivityForm.VIDEO_CONFERENCE.value,
                    goal="Тәжірибе алмасу, сабақтарды бірге жоспарлау / Обмен опытом, "
                    "совместное планирование уроков",
                    expected_result="Әр мұғалім бір тәсілді сабағында қолданады / Каждый "
                    "учитель применяет один приём на уроке",
                    resources="Zoom, ортақ құжат / Zoom, общий документ",
                    participants="Желінің барлық мұғалімдері, онлайн / Все учителя сети, онлайн",
                    month=month,
                    responsible_id=users["shyn_coordinator"].id,
                ),
            )
        )
    schools = ["Заречный ЖОМ", "Мичурин ЖОМ", "Озёрный ЖОМ", "Затобол ЖОМ", "Заречный ЖОМ"]
    for n, (cal_year, month) in enumerate(plans.months_of(year)[0:9:2]):
        day = _last_friday(cal_year, month)
        rows.append(
            (
                day,
                PlanRow(
                    topic="Бетпе-бет кездесу: ашық сабақтар / Очная встреча: открытые уроки",
                    form=ActivityForm.NETWORK_MEETING.value,
                    goal="Әріптестердің сабағына қатысу / Взаимопосещение уроков",
                    expected_result="Сабақ талдауы, келесі қадамдар / Анализ уроков, "
                    "следующие шаги",
                    resources="Бақылау парағы / Лист наблюдения",
                    participants=f"Желі мұғалімдері, {schools[n]} / Учителя сети, {schools[n]}",
                    on_date=day,
                    responsible_id=users["shyn_leader"].id,
                ),
            )
        )
    for cal_year, month in [plans.months_of(year)[i] for i in (1, 3, 6, 8)]:
        rows.append(
            (
                dt.date(cal_year, month, 2),
                PlanRow(
                    topic="Бірлескен «оқу серуені» / Совместный «учебный обход»",
                    form=ActivityForm.LEARNING_WALK.value,
                    goal="Оқушылардың дербестігін сабақта бақылау / Наблюдение "
                    "самостоятельности учащихся на уроках",
                    expected_result="Бақылау нәтижелерінің қысқаша есебі / Краткий отчёт "
                    "по итогам наблюдений",
                    participants="Төрт мектептің мұғалімдері / Учителя четырёх школ",
                    month=month,
                    responsible_id=users["shyn_expert"].id,
                ),
            )
        )
    cal_year, month = plans.months_of(year)[8]
    rows.append(
        (
            dt.date(cal_year, month, 28),
            PlanRow(
                topic="Жалпы жиналыс: жыл қорытындысы / Общее собрание: итоги года",
                form=ActivityForm.GENERAL_MEETING.value,
                goal="Жылдық есепті бекіту / Утверждение годового отчёта",
                participants="Желі мүшелері / Члены сети",
                month=month,
                responsible_id=users["shyn_secretary"].id,
            ),
        )
    )
    plan = Plan(association=shyn, year=year)
    plan.rows = [row for _day, row in sorted(rows, key=lambda r: r[0])]
    for number, row in enumerate(plan.rows, start=1):
        row.number = number
    db.session.add(plan)
    db.session.add(
        AnnualReport(
            association=shyn,
            year=year - 1,
            foreword=(
                "Желінің алғашқы жылы: төрт ауыл мектебінің мұғалімдері бір-бірінің "
                "сабақтарына барып, тәжірибе жинағын дайындады.\n\n"
                "Первый год сети: учителя четырёх сельских школ посещали уроки друг друга и "
                "подготовили сборник опыта."
            ),
        )
    )
    db.session.commit()
    ctx.log(f"core: ШЫҢ activity plan {plans.year_label(year)} with {len(plan.rows)} rows")


def publish_reports(ctx: DemoContext) -> None:
    """Publish the reports the demo drafted, once every plugin has added its content."""
    for report in db.session.scalars(select(AnnualReport).where(AnnualReport.status == "draft")):
        reports.publish(report, report.association, ctx.users["shyn_leader"])
    db.session.commit()
