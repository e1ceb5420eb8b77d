"""Accounts: register, log in and out, language, profile, password reset."""

from __future__ import annotations

import hashlib
import hmac

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email
from wtforms.widgets import PasswordInput

from core.collation import sort_key
from core.extensions import db, limiter
from core.forms import PostForm
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
from core.services import handles, notifications, permissions, sessions
from core.services.urls import safe_next
from core.services.web import parse_id
from core.views.blueprint import bp

LANG_COOKIE_AGE = 365 * 24 * 3600


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


def _login_account_key() -> str:
    """Flask-Limiter key for the per-account login limit: the email as typed, normalised."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "login-account:" + email


def _failed_login(response) -> bool:
    """Only failed attempts count against an account (a success redirects)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed_login,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and user.active and user.email_confirmed:
            ok = user.check_password(form.password.data)
        else:
            # No such account (or one that cannot log in): the same scrypt work, so the answer
            # takes as long and tells nothing about which emails are registered.
            ok = User.check_dummy_password(form.password.data)
        if ok:
            sessions.login(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("core/login.html", form=form)


@bp.post("/logout")
def logout():
    sessions.logout()
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


# Registration ----------------------------------------------------------------------------------
#
# Registering must not tell a stranger whether an email already has an account. Both paths
# therefore end on the same "check your mail" page, and only the mailbox learns the difference:
# a new address gets a link that confirms the account (and signs it in); an address that
# already has an account gets "you already have an account, reset your password here". A new
# account cannot log in before it is confirmed, otherwise "register, then log in with the
# password just chosen" would reveal the same thing. Signing in straight after registering
# (as before) cannot look the same for an existing email, so it was given up.

CONFIRM_SALT = "qauym.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirm_token(user: User, next_url: str = "") -> str:
    return _confirm_serializer().dumps({"u": user.id, "e": user.email.lower(), "n": next_url})


def _site_link(endpoint: str, **kwargs) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **kwargs)


def _mail_now(user: User, subject, body, kind: str) -> None:
    mail = notifications.send_email(user, subject, body, kind=kind)
    db.session.commit()
    notifications.send_outbox(ids=[mail.id])


def _send_confirmation(user: User, next_url: str) -> None:
    link = _site_link("core.register_confirm", token=confirm_token(user, next_url))
    body = _l(
        "Welcome to Qauym!\n\n"
        "Open this link within 3 days to confirm your email and start using your account:\n"
        "%(link)s\n\n"
        "If you did not register, ignore this email: the account will not be usable.",
        link=link,
    )
    _mail_now(user, _l("Confirm your Qauym account"), body, "core.register_confirm")


def _send_already_registered(user: User) -> None:
    if not user.active:
        return  # a closed account gets no mail, as in the password reset
    link = _site_link("core.password_reset", token=reset_token(user))
    body = _l(
        "Someone (we hope you) tried to register on Qauym with this email, but you already "
        "have an account.\n\n"
        "Log in with your password, or choose a new one with this link (valid for 2 hours):\n"
        "%(link)s\n\n"
        "If it was not you, ignore this email: nothing has changed.",
        link=link,
    )
    _mail_now(user, _l("You already have a Qauym account"), body, "core.register_existing")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.profile", user_id=current_user.id))
    # Two steps without JavaScript: choose the region, "Next", then the district and school of
    # that region only; everything typed is kept (core/static/register.js filters live).
    region_id = parse_id(request.values.get("region", ""))
    form = load_choices(RegisterForm(), region_id=region_id)
    if request.method == "GET":
        form.locale.data = current_locale()
        if region_id is not None:
            form.region.data = region_id
    if request.method == "POST" and request.form.get("step") == "region":
        # The passwords typed on the first step are kept in the page of the second.
        form.password.widget = PasswordInput(hide_value=False)
        form.confirm.widget = PasswordInput(hide_value=False)
        return render_template("core/register.html", form=form, narrowed=region_id)
    if form.validate_on_submit():
        next_url = safe_next(request.args.get("next")) if request.args.get("next") else ""
        existing = db.session.scalar(
            select(User).where(func.lower(User.email) == form.email.data.lower())
        )
        if existing is None:
            # Two tries: the handle given from the name may be taken a moment before ours.
            for attempt in (1, 2):
                user = User(email=form.email.data, full_name=form.full_name.data)
                user.email_confirmed = False
                user.set_password(form.password.data)
                form.apply_to(user)
                db.session.add(user)
                try:
                    db.session.commit()
                except IntegrityError:  # the same email (or handle) registered a moment ago
                    db.session.rollback()
                    existing = db.session.scalar(
                        select(User).where(func.lower(User.email) == form.email.data.lower())
                    )
                    if existing is None and attempt == 1:
                        continue
                else:
                    _send_confirmation(user, next_url)
                break
        else:
            # Do the scrypt work a new account costs, so the answer takes as long.
            User.check_dummy_password(form.password.data)
        if existing is not None:
            _send_already_registered(existing)
        return render_template("core/register_sent.html", email=form.email.data)
    status = 400 if request.method == "POST" else 200
    return render_template("core/register.html", form=form, narrowed=region_id), status


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def register_confirm(token: str):
    """The link of the confirmation email: a button (POST), so mail scanners that open links
    confirm nothing; confirming signs the account in."""
    try:
        data = _confirm_serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        data, problem = None, _("This link has expired. Register again to get a new one.")
    except BadSignature:
        data, problem = None, RESET_ERRORS["invalid"]
    user = None
    if isinstance(data, dict) and isinstance(data.get("u"), int):
        user = db.session.get(User, data["u"])
        if user is None or not user.active or user.email.lower() != data.get("e"):
            user, problem = None, RESET_ERRORS["invalid"]
    elif data is not None:
        problem = RESET_ERRORS["invalid"]
    if user is None:
        return render_template("core/register_confirm.html", form=None, error=problem), 400
    if user.email_confirmed:
        flash(_("Your email is already confirmed. Log in."), "success")
        return redirect(url_for("core.login"))
    form = PostForm()
    if form.validate_on_submit():
        user.email_confirmed = True
        db.session.commit()
        sessions.login(user)
        flash(_("Welcome! Your account is ready."), "success")
        if data.get("n"):
            return redirect(safe_next(data["n"]))
        # First steps: associations of the teacher's school, district and subjects.
        return redirect(url_for("core.welcome"))
    return render_template("core/register_confirm.html", form=form, error=None, user=user)


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
        # Opening the emailed link proves the mailbox, which confirms a new registration too.
        user.email_confirmed = True
        # A reset is what someone does who fears their password is known: every session ends,
        # this browser's too, and the browser is signed in again with a new session. Asking
        # for the new password once more would add nothing (the link just proved the mailbox
        # and the password was just typed twice).
        sessions.revoke_all(user)
        db.session.commit()
        sessions.logout()
        sessions.login(user)
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
    details = permissions.can(current_user, "profile.details", user)
    memberships = []
    if details:
        memberships = db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id)
            .options(joinedload(Membership.association))
        ).all()
    order = list(ROLE_LABELS)
    memberships = sorted(
        memberships,
        key=lambda m: (
            order.index(m.role) if m.role in order else 99,
            sort_key(m.association.name, current_locale()),
        ),
    )
    return render_template(
        "core/profile.html",
        profile_user=user,
        memberships=memberships,
        role_labels=ROLE_LABELS,
        category_label=CATEGORY_LABELS.get(user.category, CATEGORY_LABELS["none"]),
        show_private=sees_private_fields(current_user, user),
        show_details=details,
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
    if "handle" not in request.form:  # a form of an older page: the handle stays
        form.handle.data = user.handle
    if form.validate_on_submit():
        form.apply_to(user)
        user.email = form.email.data
        user.handle = form.handle.data
        user.profile_public = bool(form.profile_public.data)
        try:
            db.session.commit()
        except IntegrityError:  # the email or the handle taken a moment ago
            db.session.rollback()
            form = load_choices(form)
            if handles.is_taken(form.handle.data, except_user=user):
                form.handle.errors = [_("This handle is taken: choose another one.")]
            else:
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
        # Whoever knew the old password is signed out everywhere else; this browser stays.
        sessions.revoke_all(user, keep=sessions.current(user))
        db.session.commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("core.profile", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    return _password_change_page(form, status)


def _password_change_page(form, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "core/password_change.html",
        form=form,
        sessions=sessions.live_sessions(user),
        current_session=sessions.current(user),
        end_form=PostForm(),
    ), status


@bp.post("/profile/sessions/end-others")
@login_required
def end_other_sessions():
    """End every session of the current user but this browser's."""
    if not PostForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    ended = sessions.revoke_all(user, keep=sessions.current(user))
    db.session.commit()
    flash(_("Other sessions ended: %(count)d.", count=ended), "success")
    return redirect(url_for("core.password_change"))
