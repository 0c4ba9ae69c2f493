from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from hikeshi.accounts import throttle
from hikeshi.accounts.forms import AcceptInvitationForm, LoginForm, ProfileForm, TokenForm
from hikeshi.accounts.models import User
from hikeshi.accounts.twofactor import confirmed_device, provisioning_svg, two_factor_required
from hikeshi.audit.actions import record
from hikeshi.audit.models import AuditAction
from hikeshi.tenancy.actions import do_accept_invitation, find_open_invitation

PENDING_USER = "pending_2fa_user"
PENDING_NEXT = "pending_2fa_next"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _complete_login(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    translation.activate(user.language)
    response = redirect(next_url)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", secure=settings.HTTPS)
    return response


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        ip = request.META.get("REMOTE_ADDR")
        if throttle.is_locked(email, ip):
            locked = True
            form.add_error(
                None,
                _("ログインの失敗が続いたため一時的にロックしています。しばらくしてからお試しください。"),
            )
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is None:
                throttle.register_failure(email, ip)
                form.add_error(None, _("メールアドレスまたはパスワードが正しくありません。"))
            else:
                throttle.reset(email, ip)
                next_url = _safe_next(request)
                if confirmed_device(user) is not None:
                    request.session[PENDING_USER] = user.pk
                    request.session[PENDING_NEXT] = next_url
                    return redirect("accounts:twofactor_verify")
                return _complete_login(request, user, next_url)
    status = 429 if locked else (400 if request.method == "POST" else 200)
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


@require_http_methods(["GET", "POST"])
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_USER)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = request.META.get("REMOTE_ADDR")
        device = confirmed_device(user)
        if throttle.is_locked(user.email, ip):
            form.add_error(
                None, _("失敗が続いたため一時的にロックしています。しばらくしてからお試しください。")
            )
        elif device is not None and device.verify_token(form.cleaned_data["token"].strip()):
            throttle.reset(user.email, ip)
            next_url = request.session.pop(PENDING_NEXT, reverse(settings.LOGIN_REDIRECT_URL))
            request.session.pop(PENDING_USER, None)
            response = _complete_login(request, user, next_url)
            otp_login(request, device)
            return response
        else:
            throttle.register_failure(user.email, ip)
            form.add_error("token", _("認証コードが正しくありません。"))
    return render(request, "accounts/twofactor_verify.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("ログアウトしました。"))
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if confirmed_device(user) is not None:
        return redirect("accounts:profile")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record(AuditAction.SECURITY, obj=user, object_repr=user.email, changes={"2fa": "enabled"})
            messages.success(request, _("二要素認証を有効にしました。"))
            return redirect("core:home")
        form.add_error("token", _("認証コードが正しくありません。時刻がずれていないか確認してください。"))
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/twofactor_setup.html",
        {
            "form": form,
            "qr_svg": provisioning_svg(device),
            "secret": secret,
            "required": two_factor_required(user),
        },
    )


@login_required
@require_POST
def twofactor_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if two_factor_required(user):
        messages.error(request, _("所属組織の方針により二要素認証は無効にできません。"))
        return redirect("accounts:profile")
    TOTPDevice.objects.filter(user=user).delete()
    record(AuditAction.SECURITY, obj=user, object_repr=user.email, changes={"2fa": "disabled"})
    messages.success(request, _("二要素認証を無効にしました。"))
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(
        request.POST or None, initial={"display_name": user.display_name, "language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        user.display_name = form.cleaned_data["display_name"]
        user.language = form.cleaned_data["language"]
        user.save(update_fields=["display_name", "language"])
        translation.activate(user.language)
        messages.success(request, _("保存しました。"))
        response = redirect("accounts:profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", secure=settings.HTTPS
        )
        return response
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "has_2fa": confirmed_device(user) is not None, "required": two_factor_required(user)},
    )


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = find_open_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None:
        # An existing account joins by logging in as itself; nobody else can take the invitation.
        if request.user.is_authenticated and request.user.pk == existing.pk:
            if request.method == "POST":
                do_accept_invitation(invitation, existing)
                messages.success(
                    request, _("%(org)s に参加しました。") % {"org": invitation.organization.name}
                )
                return redirect("tenancy:org_home", org=invitation.organization.slug)
            return render(request, "accounts/invitation_join.html", {"invitation": invitation})
        login_url = reverse("accounts:login") + "?next=" + request.path
        return render(
            request, "accounts/invitation_login.html", {"invitation": invitation, "login_url": login_url}
        )
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            invitation.email,
            form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        do_accept_invitation(invitation, user)
        messages.success(request, _("登録が完了しました。"))
        return _complete_login(
            request, user, reverse("tenancy:org_home", args=[invitation.organization.slug])
        )
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})
