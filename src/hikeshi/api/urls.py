from django.urls import path

from hikeshi.api import views

app_name = "apitokens"

urlpatterns = [
    path("o/<slug:org>/settings/tokens/", views.token_list, name="list"),
    path("o/<slug:org>/settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="revoke"),
]
