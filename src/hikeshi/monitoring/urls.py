from django.urls import path

from hikeshi.monitoring import views

app_name = "monitoring"

urlpatterns = [path("o/<slug:org>/monitoring/", views.monitoring_home, name="home")]
