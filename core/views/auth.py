"""Accounts: register, log in and out, language, profile, password reset."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from core.extensions import db, limiter
from core.forms_accounts import (
    CATEGORY_LABELS,
    ChangePasswordForm,
    ForgotPasswordForm,
    ProfileEditForm,
    RegisterForm,
    ResetPasswordForm,
    load_choices,
)
from core.i18n import current_locale
from core.models import Membership, Role, User
from core.services import notifications, permissions
from core.views import bp

LANG_COOKIE_AGE = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """A local redirect target, or the home page."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("core.index")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Remember me"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("core/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("core.index"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    resp = redirect(safe_next(request.form.get("next")))
    if lang in current_app.config["LANGUAGES"]:
        resp.set_cookie("lang", lang, max_age=LANG_COOKIE_AGE, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return resp


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.profile", user_id=current_user.id))
    form = load_choices(RegisterForm())
    if request.method == "GET":
        form.locale.data = current_locale()
    if form.validate_on_submit():
        user = User(email=form.email.data, full_name=form.full_name.data)
        user.set_password(form.password.data)
        form.apply_to(user)
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the same email registered a moment ago
            db.session.rollback()
            form = load_choices(form)
            form.email.errors = [_("An account with this email already exists.")]
            return render_template("core/register.html", form=form), 400
        login_user(user)
        flash(_("Welcome! Your account is ready."), "success")
        if request.args.get("next"):
            return redirect(safe_next(request.args.get("next")))
        return redirect(url_for("core.profile", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("core/register.html", form=form), status


# Password reset -------------------------------------------------------------------------------

RESET_SALT = "qauym.password-reset"
RESET_MAX_AGE = 2 * 3600


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _hash_fragment(user: User) -> str:
    """A digest of the current password hash: the link stops working once the password
    changes, so it can be used only once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "h": _hash_fragment(user)})


def user_for_reset_token(token: str, max_age: int = RESET_MAX_AGE) -> tuple[User | None, str]:
    """The user a reset link is for, or None and why: "expired", "used" or "invalid"."""
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        return None, "expired"
    except BadSignature:
        return None, "invalid"
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active:
        return None, "invalid"
    if not hmac.compare_digest(str(data.get("h", "")), _hash_fragment(user)):
        return None, "used"
    return user, ""


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def password_forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(func.lower(User.email) == form.email.data))
        if user is not None and user.active:
            link = url_for("core.password_reset", token=reset_token(user), _external=False)
            link = current_app.config["BASE_URL"].rstrip("/") + link
            subject = _l("Reset your Qauym password")
            body = _l(
                "Someone (we hope you) asked to reset the password of your account.\n\n"
                "Open this link within 2 hours to choose a new password:\n%(link)s\n\n"
                "The link works once. If you did not ask for it, ignore this email: "
                "your password stays the same.",
                link=link,
            )
            mail = notifications.send_email(user, subject, body, kind="core.password_reset")
            db.session.commit()
            notifications.send_outbox(ids=[mail.id])
        # The same page whether or not the account exists, so the form reveals no emails.
        return render_template("core/password_forgot.html", form=None, sent=True)
    status = 400 if request.method == "POST" else 200
    return render_template("core/password_forgot.html", form=form, sent=False), status


RESET_ERRORS = {
    "expired": _l("This link has expired: links are valid for 2 hours. Ask for a new one."),
    "used": _l("This link has already been used. Ask for a new one if you need to."),
    "invalid": _l("This link is not valid. Check that you copied all of it, or ask for a new one."),
}


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    user, problem = user_for_reset_token(token)
    if user is None:
        return render_template(
            "core/password_reset.html", form=None, error=RESET_ERRORS[problem]
        ), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        login_user(user)
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("core.profile", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("core/password_reset.html", form=form, error=None), status


# Profile ----------------------------------------------------------------------------------------

ROLE_LABELS = {
    Role.LEADER.value: _l("Leader"),
    Role.COORDINATOR.value: _l("Coordinator"),
    Role.MODERATOR.value: _l("Moderator"),
    Role.SECRETARY.value: _l("Secretary"),
    Role.EXPERT.value: _l("Expert"),
    Role.MEMBER.value: _l("Member"),
    Role.PARTICIPANT.value: _l("Participant"),
}


def sees_private_fields(viewer, user: User) -> bool:
    """The user themself, a site administrator, or a regional administrator of their region."""
    if not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.id == user.id or permissions.is_region_admin(viewer, user.region_id)


@bp.get("/u/<id:user_id>")
def profile(user_id: int):
    user = db.session.scalar(
        select(User)
        .where(User.id == user_id, User.active.is_(True))
        .options(
            joinedload(User.region),
            joinedload(User.district),
            joinedload(User.school),
            selectinload(User.subjects),
        )
    )
    if user is None:
        abort(404)
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(joinedload(Membership.association))
    ).all()
    order = list(ROLE_LABELS)
    memberships = sorted(
        memberships,
        key=lambda m: (order.index(m.role) if m.role in order else 99, m.association.name.lower()),
    )
    return render_template(
        "core/profile.html",
        profile_user=user,
        memberships=memberships,
        role_labels=ROLE_LABELS,
        category_label=CATEGORY_LABELS.get(user.category, CATEGORY_LABELS["none"]),
        show_private=sees_private_fields(current_user, user),
        own=current_user.is_authenticated and current_user.id == user.id,
        portfolio_visible=permissions.can(current_user, "portfolio.view", user),
    )


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def profile_edit():
    user = current_user._get_current_object()
    if request.method == "GET":
        form = load_choices(ProfileEditForm(obj=user, user=user))
        form.region.data = user.region_id
        form.district.data = user.district_id
        form.school.data = user.school_id
        form.subjects.data = [s.id for s in user.subjects]
        form.locale.data = user.locale or current_locale()
        return render_template("core/profile_edit.html", form=form)
    form = load_choices(ProfileEditForm(user=user))
    if form.validate_on_submit():
        form.apply_to(user)
        user.email = form.email.data
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form = load_choices(form)
            form.email.errors = [_("An account with this email already exists.")]
            return render_template("core/profile_edit.html", form=form), 400
        flash(_("Your profile has been saved."), "success")
        resp = redirect(url_for("core.profile", user_id=user.id))
        resp.set_cookie("lang", user.locale, max_age=LANG_COOKIE_AGE, samesite="Lax", httponly=True)
        return resp
    return render_template("core/profile_edit.html", form=form), 400


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def password_change():
    user = current_user._get_current_object()
    form = ChangePasswordForm(user=user)
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("core.profile", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return render_template("core/password_change.html", form=form), status
