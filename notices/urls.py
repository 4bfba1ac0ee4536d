from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("organize/<slug:slug>/notices/", views.log, name="log"),
]
