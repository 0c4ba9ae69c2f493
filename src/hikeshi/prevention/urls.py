from django.urls import path

from hikeshi.prevention import views

app_name = "prevention"

urlpatterns = [path("o/<slug:org>/prevention/", views.prevention_home, name="home")]
