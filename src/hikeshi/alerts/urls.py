from django.urls import path

from hikeshi.alerts import rule_views, settings_views, views

app_name = "alerts"

urlpatterns = [
    path("o/<slug:org>/alerts/", views.alert_list, name="alert_list"),
    path("o/<slug:org>/alerts/<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("o/<slug:org>/alerts/<int:alert_id>/action/", views.alert_action, name="alert_action"),
    path("o/<slug:org>/alerts/ack/<str:token>/", views.ack_link, name="ack_link"),
    path("o/<slug:org>/alerts/channels/", settings_views.channel_list, name="channel_list"),
    path(
        "o/<slug:org>/alerts/channels/<int:channel_id>/test/",
        settings_views.channel_test,
        name="channel_test",
    ),
    path(
        "o/<slug:org>/alerts/channels/<int:channel_id>/update/",
        settings_views.channel_update,
        name="channel_update",
    ),
    path("o/<slug:org>/alerts/rules/", rule_views.rule_list, name="rule_list"),
    path("o/<slug:org>/alerts/rules/<int:alert_rule_id>/update/", rule_views.rule_update, name="rule_update"),
    path("o/<slug:org>/settings/escalation/", settings_views.escalation_settings, name="escalation_settings"),
    path(
        "o/<slug:org>/settings/escalation/<int:contact_id>/delete/",
        settings_views.escalation_contact_delete,
        name="escalation_contact_delete",
    ),
]
