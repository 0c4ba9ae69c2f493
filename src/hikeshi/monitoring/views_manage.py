"""Monitoring management pages: watch rules and the organisation's words, sources and their health,
file import, and the dead-letter list with retry."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.core.tasks import enqueue
from hikeshi.ingest.recipes import SELECTOR_FIELDS
from hikeshi.ingest.schedule import check_silence
from hikeshi.monitoring.actions import (
    do_add_source,
    do_add_watch_rule,
    do_delete_rule,
    do_import_file,
    do_set_rule_active,
    do_update_profile,
)
from hikeshi.monitoring.models import DeadLetter, PageRecipe, Source, SourceKind, WatchRule, profile_for
from hikeshi.monitoring.tasks import poll_source, retry_dead_letter
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view


def _lines(value: str) -> list[str]:
    return [
        line.strip() for line in value.replace("、", "\n").replace(",", "\n").splitlines() if line.strip()
    ]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("名前"), required=False, max_length=200)
    term = forms.CharField(label=_("監視語 (社名・商品名など)"), max_length=200, required=False)
    variants = forms.CharField(
        label=_("表記ゆれ (カンマまたは改行区切り)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    exclusions = forms.CharField(label=_("除外語"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    query = forms.CharField(
        label=_("条件式 (例: サンプル食品 AND (異物 OR 混入))"), required=False, max_length=1000
    )


class ProfileForm(forms.Form):
    confidential_terms = forms.CharField(
        label=_("機密語 (未発表の商品名・コードネーム)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    vip_names = forms.CharField(
        label=_("VIP の名前"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    own_names = forms.CharField(
        label=_("自社の呼び名"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    profile = profile_for(org)
    form = RuleForm(request.POST if request.POST.get("form") == "rule" else None)
    profile_form = ProfileForm(
        request.POST if request.POST.get("form") == "profile" else None,
        initial={
            "confidential_terms": "\n".join(profile.confidential_terms),
            "vip_names": "\n".join(profile.vip_names),
            "own_names": "\n".join(profile.own_names),
        },
    )
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = form.cleaned_data
        terms = [{"name": data["term"], "variants": _lines(data["variants"])}] if data["term"].strip() else []
        try:
            do_add_watch_rule(
                org,
                name=data["name"],
                terms=terms,
                exclusions=_lines(data["exclusions"]),
                query=data["query"],
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _t("監視ルールを追加しました。"))
            return redirect("monitoring:rules", org.slug)
    if request.method == "POST" and profile_form.is_bound and profile_form.is_valid():
        data = profile_form.cleaned_data
        do_update_profile(
            org,
            confidential_terms=_lines(data["confidential_terms"]),
            vip_names=_lines(data["vip_names"]),
            own_names=_lines(data["own_names"]),
        )
        messages.success(request, _t("組織の語句を保存しました。"))
        return redirect("monitoring:rules", org.slug)
    return render(
        request,
        "monitoring/rules.html",
        {"rules": WatchRule.objects.for_org(org), "form": form, "profile_form": profile_form},
    )


@org_view(require="staff")
@require_POST
def rule_action(request: HttpRequest, access: OrgAccess, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(WatchRule.objects.for_org(access.organization), pk=rule_id)
    action = request.POST.get("action")
    if action == "delete":
        do_delete_rule(rule)
    elif action in ("pause", "resume"):
        do_set_rule_active(rule, active=action == "resume")
    return redirect("monitoring:rules", access.organization.slug)


class SourceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("種類"), choices=[(SourceKind.RSS, "RSS/Atom"), (SourceKind.PAGE, _("Web ページ"))]
    )
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    name = forms.CharField(label=_("名前"), required=False, max_length=200)
    schedule_seconds = forms.IntegerField(
        label=_("取得間隔 (秒)"), initial=900, min_value=60, max_value=7 * 86400
    )
    recipe = forms.ChoiceField(
        label=_("Web ページの読み取り方"), choices=PageRecipe.choices, initial=PageRecipe.AUTO, required=False
    )
    item_selector = forms.CharField(label=_("投稿のセレクタ (カスタム)"), required=False, max_length=300)
    text_selector = forms.CharField(label=_("本文のセレクタ (カスタム)"), required=False, max_length=300)
    author_selector = forms.CharField(label=_("投稿者のセレクタ (任意)"), required=False, max_length=300)
    date_selector = forms.CharField(label=_("日時のセレクタ (任意)"), required=False, max_length=300)
    permalink_selector = forms.CharField(label=_("リンクのセレクタ (任意)"), required=False, max_length=300)

    def selectors(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"{name}_selector", "") for name in SELECTOR_FIELDS}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV または JSON Lines (列: text, id, url, author, created_at, source, …)")
    )


def _health(source: Source, now: datetime) -> str:
    """The silent/failing warning of a polled source, in the reader's language ("" when healthy)."""
    if source.kind not in (SourceKind.RSS, SourceKind.PAGE):
        return ""
    arrivals = [datetime.fromisoformat(a) for a in source.arrivals]
    # Without enough history to know the usual gap, a day without anything new is worth a look.
    warning = check_silence(
        arrivals, now, source.consecutive_errors, default_silence=timedelta(days=1) if arrivals else None
    )
    if warning is None:
        return ""
    return warning.reason_ja if (get_language() or "ja").startswith("ja") else warning.reason_en


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def sources(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    form = SourceForm(request.POST if request.POST.get("form") == "source" else None)
    import_form = ImportForm(
        request.POST if request.POST.get("form") == "import" else None,
        request.FILES if request.POST.get("form") == "import" else None,
    )
    import_report = None
    if request.method == "POST" and form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            do_add_source(
                org,
                kind=data["kind"],
                url=data["url"],
                name=data["name"],
                schedule_seconds=data["schedule_seconds"],
                recipe=data["recipe"] or PageRecipe.AUTO,
                selectors=form.selectors(),
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            messages.success(request, _t("ソースを追加しました。次の取得で投稿が表示されます。"))
            return redirect("monitoring:sources", org.slug)
    if request.method == "POST" and import_form.is_bound and import_form.is_valid():
        upload = import_form.cleaned_data["file"]
        try:
            parsed, batch = do_import_file(org, data=upload.read(), filename=upload.name)
        except ValidationError as exc:
            import_form.add_error("file", "; ".join(exc.messages))
        else:
            import_report = {
                "accepted": batch.count("accepted"),
                "duplicates": batch.count("duplicate"),
                "errors": [f"line {e.line}: {e.message}" for e in parsed.errors[:50]]
                + [f"{o.source_id}: {o.error}" for o in batch.outcomes if o.status == "error"][:50],
            }
    now = timezone.now()
    rows = [(s, _health(s, now)) for s in Source.objects.for_org(org)]
    return render(
        request,
        "monitoring/sources.html",
        {"rows": rows, "form": form, "import_form": import_form, "import_report": import_report},
    )


@org_view(require="staff")
@require_POST
def source_poll(request: HttpRequest, access: OrgAccess, source_id: int) -> HttpResponse:
    source = get_object_or_404(Source.objects.for_org(access.organization), pk=source_id)
    if source.kind in (SourceKind.RSS, SourceKind.PAGE):
        enqueue(poll_source, source_id=source.pk)
        messages.success(request, _t("取得を予約しました。"))
    return redirect("monitoring:sources", access.organization.slug)


@org_view(require="staff")
@require_http_methods(["GET"])
def dead_letters(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    show_resolved = request.GET.get("resolved") == "1"
    letters = DeadLetter.objects.for_org(access.organization).select_related("source")
    if not show_resolved:
        letters = letters.filter(resolved_at__isnull=True)
    return render(
        request, "monitoring/dead_letters.html", {"letters": letters[:200], "show_resolved": show_resolved}
    )


@org_view(require="staff")
@require_POST
def dead_letter_retry(request: HttpRequest, access: OrgAccess, dead_letter_id: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter.objects.for_org(access.organization), pk=dead_letter_id)
    if letter.resolved_at is None:
        enqueue(retry_dead_letter, dead_letter_id=letter.pk)
        messages.success(request, _t("再実行を予約しました。"))
    return redirect("monitoring:dead_letters", access.organization.slug)
