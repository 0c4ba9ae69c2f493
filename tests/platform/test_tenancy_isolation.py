"""Every web route and every API route, enumerated from the resolver and the OpenAPI document:
a member of one organisation gets 404 for every object of another, and anonymous callers get
the login page (web) or 401 (API). A route added later is covered without anyone remembering,
and a new URL parameter fails this test until it is given a fixture below."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hikeshi.api.models import APIToken
from hikeshi.api.routes import api
from tests.platform.conftest import PASSWORD, Tenant, tenancy_param_modules

# Routes that anyone may open without logging in.
PUBLIC_ROUTES = {
    "accounts:login",
    "accounts:twofactor_verify",
    "accounts:accept_invitation",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:logout",
    "core:healthz",
    "core:home",
    "set_language",
}
API_PUBLIC_PATHS = {"/api/v1/openapi.json", "/api/v1/docs"}

# How to fill each URL parameter with an object of a given tenant.
PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "org": lambda t: t.org.slug,
    "member_id": lambda t: t.admin_membership.pk,
    "incident_id": lambda t: t.incident.pk,
    "invitation_id": lambda t: t.invitation.pk,
    "token_id": lambda t: APIToken.objects.filter(organization=t.org).first().pk,  # type: ignore[union-attr]
    "token": lambda t: "not-a-real-token",
    "uidb64": lambda t: "MQ",
    "path": lambda t: "x",
}
for _module in tenancy_param_modules():
    PARAMS.update(_module.PARAMS)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else ""
            yield prefix + str(p.pattern), name


def web_routes() -> list[tuple[str, str]]:
    return [
        (route, name) for route, name in _walk(get_resolver().url_patterns) if not route.startswith("api/")
    ]


def _params(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _fill(route: str, values: dict[str, Any]) -> str:
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + url


def _values(route: str, org_of: Tenant, objects_of: Tenant) -> dict[str, Any]:
    values = {}
    for param in _params(route):
        if param not in PARAMS:
            pytest.fail(f"route {route!r}: add a fixture for URL parameter {param!r} in PARAMS")
        source = org_of if param == "org" else objects_of
        values[param] = PARAMS[param](source)
    return values


def test_every_route_is_enumerated() -> None:
    names = {name for _route, name in web_routes()}
    assert {"tenancy:org_home", "response:incident_detail", "audit:log"} <= names


@pytest.mark.django_db
def test_member_of_one_org_gets_404_for_every_object_of_another(alpha: Tenant, beta: Tenant) -> None:
    client = Client()
    client.force_login(alpha.admin)
    checked = 0
    for route, name in web_routes():
        if "org" not in _params(route):
            continue
        # Another organisation's slug, and this organisation's slug with another's object ids.
        cases = [(beta, beta)]
        if len(_params(route)) > 1:
            cases.append((alpha, beta))
        for org_of, objects_of in cases:
            url = _fill(route, _values(route, org_of, objects_of))
            statuses = {method: getattr(client, method)(url).status_code for method in ("get", "post")}
            # 405 for a method the route does not take reveals nothing; the other method must say 404.
            assert set(statuses.values()) <= {404, 405}, f"{url} ({name}) -> {statuses}"
            assert 404 in statuses.values(), f"{url} ({name}) -> {statuses}"
            checked += 1
    assert checked >= 10


@pytest.mark.django_db
def test_anonymous_gets_login_page_for_every_private_route(alpha: Tenant) -> None:
    client = Client()
    for route, name in web_routes():
        url = _fill(route, _values(route, alpha, alpha))
        response = client.get(url)
        if name in PUBLIC_ROUTES:
            assert response.status_code in (200, 302, 404, 405), f"{url} -> {response.status_code}"
            continue
        assert response.status_code == 302, f"GET {url} ({name}) -> {response.status_code}"
        assert response["Location"].startswith("/accounts/login/"), f"{url} -> {response['Location']}"


def _api_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _example_body(operation: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    body = operation.get("requestBody")
    if not body:
        return None
    ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    component = schema["components"]["schemas"][ref]
    example: dict[str, Any] = {}
    for field in component.get("required", []):
        kind = component["properties"][field].get("type")
        example[field] = {"string": "x", "integer": 1, "array": ["x"], "boolean": True}.get(kind, "x")
    return example


def _api_url(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _api_values(path: str, org_of: Tenant, objects_of: Tenant) -> dict[str, Any]:
    values = {}
    for param in re.findall(r"\{(\w+)\}", path):
        if param not in PARAMS:
            pytest.fail(f"API path {path!r}: add a fixture for parameter {param!r} in PARAMS")
        values[param] = PARAMS[param](org_of if param == "org" else objects_of)
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("auth", ["token", "session"])
def test_api_never_crosses_organisations(alpha: Tenant, beta: Tenant, auth: str) -> None:
    schema = api.get_openapi_schema()
    client = Client()
    headers = {}
    if auth == "token":
        headers["Authorization"] = f"Bearer {alpha.token_secret}"
    else:
        client.force_login(alpha.admin)
    checked = 0
    for path, method, operation in _api_operations():
        if "{org}" not in path:
            continue
        body = _example_body(operation, schema)
        cases = [(beta, beta)] + ([(alpha, beta)] if path.count("{") > 1 else [])
        for org_of, objects_of in cases:
            url = _api_url(path, _api_values(path, org_of, objects_of))
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs.update(data=body, content_type="application/json")
            response = getattr(client, method)(url, **kwargs)
            assert response.status_code == 404, f"{auth} {method.upper()} {url} -> {response.status_code}"
            checked += 1
    assert checked >= 8


@pytest.mark.django_db
def test_api_rejects_anonymous_calls(alpha: Tenant) -> None:
    client = Client()
    for path, method, _operation in _api_operations():
        url = _api_url(path, _api_values(path, alpha, alpha))
        response = getattr(client, method)(url, content_type="application/json", data={})
        assert response.status_code == 401, f"anonymous {method.upper()} {url} -> {response.status_code}"


@pytest.mark.django_db
def test_api_token_reaches_its_own_organisation(alpha: Tenant) -> None:
    client = Client()
    headers = {"Authorization": f"Bearer {alpha.token_secret}"}
    response = client.get(f"/api/v1/orgs/{alpha.org.slug}/incidents", headers=headers)
    assert response.status_code == 200
    assert [i["title"] for i in response.json()] == [alpha.incident.title]


def test_openapi_document_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/orgs/{org}/incidents" in response.json()["paths"]


@pytest.mark.django_db
def test_login_with_password(alpha: Tenant) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"email": alpha.member.email, "password": PASSWORD})
    assert response.status_code == 302
