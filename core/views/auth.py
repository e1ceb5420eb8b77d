"""Accounts: register, log in and out, language, profile, password reset."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from core.extensions import db, limiter
from core.models import User
from core.views import bp


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
    email = EmailField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
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
    from flask import current_app

    lang = request.form.get("lang", "")
    resp = redirect(safe_next(request.form.get("next")))
    if lang in current_app.config["LANGUAGES"]:
        resp.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return resp


@bp.route("/register", methods=["GET", "POST"])
def register():
    # Minimal placeholder; the full registration form (school, region, subjects, category)
    # replaces it.
    return render_template("core/login.html", form=LoginForm())


@bp.get("/u/<int:user_id>")
def profile(user_id: int):
    from flask import abort

    user = db.session.get(User, user_id)
    if user is None or not user.active:
        abort(404)
    return render_template("core/profile.html", profile_user=user)
