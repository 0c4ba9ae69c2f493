from django.urls import path

from hikeshi.monitoring import views, views_feed, views_manage

app_name = "monitoring"

P = "o/<slug:org>/monitoring/"

urlpatterns = [
    path(P, views.monitoring_home, name="home"),
    path(P + "check/", views.check, name="check"),
    path(P + "posts/", views_feed.feed, name="feed"),
    path(P + "posts/<int:post_id>/", views.post_detail, name="post_detail"),
    path(P + "posts/<int:post_id>/feedback/", views.post_feedback, name="post_feedback"),
    path(P + "topics/<int:topic_id>/", views.topic_detail, name="topic_detail"),
    path(P + "rules/", views_manage.rules, name="rules"),
    path(P + "rules/<int:rule_id>/", views_manage.rule_action, name="rule_action"),
    path(P + "sources/", views_manage.sources, name="sources"),
    path(P + "sources/<int:source_id>/poll/", views_manage.source_poll, name="source_poll"),
    path(P + "dead-letters/", views_manage.dead_letters, name="dead_letters"),
    path(
        P + "dead-letters/<int:dead_letter_id>/retry/",
        views_manage.dead_letter_retry,
        name="dead_letter_retry",
    ),
]
