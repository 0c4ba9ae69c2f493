from django.urls import include, path

from hikeshi.tenancy import views

app_name = "tenancy"

org_patterns = [
    path("", views.org_home, name="org_home"),
    path("settings/", views.org_settings, name="org_settings"),
    path("members/", views.members, name="members"),
    path("members/<int:member_id>/", views.member_edit, name="member_edit"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
]

urlpatterns = [
    path("orgs/", views.org_list, name="org_list"),
    path("orgs/switch/", views.org_switch, name="org_switch"),
    path("o/<slug:org>/", include(org_patterns)),
]
