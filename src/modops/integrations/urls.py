from django.urls import path

from modops.integrations import views

urlpatterns = [path("twitch/eventsub", views.twitch_eventsub, name="twitch-eventsub")]
