from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("organize/<slug:slug>/notices/", views.log, name="log"),
    path("organize/<slug:slug>/messages/", views.messages_page, name="messages"),
    path("notices/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notices/sms/inbound/", views.sms_inbound, name="sms_inbound"),
]
