from django.urls import include, path
from django.views.i18n import set_language

from hikeshi.api.routes import api
from hikeshi.core import views

core_patterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("status/", views.system_status, name="status"),
]

urlpatterns = [
    path("", include((core_patterns, "core"))),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("hikeshi.accounts.urls")),
    path("", include("hikeshi.tenancy.urls")),
    path("", include("hikeshi.audit.urls")),
    path("", include("hikeshi.api.urls")),
    path("", include("hikeshi.prevention.urls")),
    path("", include("hikeshi.monitoring.urls")),
    path("", include("hikeshi.response.urls")),
    path("", include("hikeshi.alerts.urls")),
    path("api/v1/", api.urls),
]
