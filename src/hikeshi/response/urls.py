from django.urls import path

from hikeshi.response import views

app_name = "response"

urlpatterns = [
    path("o/<slug:org>/response/", views.incident_list, name="incident_list"),
    path("o/<slug:org>/response/incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path(
        "o/<slug:org>/response/incidents/<int:incident_id>/update/",
        views.incident_update,
        name="incident_update",
    ),
]
