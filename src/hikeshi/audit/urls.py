from django.urls import path

from hikeshi.audit import views

app_name = "audit"

urlpatterns = [
    path("o/<slug:org>/audit/", views.audit_log, name="log"),
    path("o/<slug:org>/audit/export.csv", views.audit_export, name="export"),
]
