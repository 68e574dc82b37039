from django.urls import path

from modops.console.views import auth, lookup, media, queues, review, team

app_name = "console"

urlpatterns = [
    path("sign-in/", auth.SignInView.as_view(), name="login"),
    path("sign-out/", auth.SignOutView.as_view(), name="logout"),
    path("", queues.queues, name="queues"),
    path("queues/table/", queues.queues_table, name="queues-table"),
    path("claim/", queues.claim, name="claim"),
    path("review/<uuid:item_id>/", review.review, name="review"),
    path("review/<uuid:item_id>/decide/", review.decide, name="decide"),
    path("review/<uuid:item_id>/skip/", review.skip, name="skip"),
    path("review/<uuid:item_id>/escalate/", review.escalate, name="escalate"),
    path("review/<uuid:item_id>/note/", review.note, name="note"),
    path("review/<uuid:item_id>/lease/", review.renew, name="renew"),
    path("review/<uuid:item_id>/heartbeat/", review.beat, name="heartbeat"),
    path("lookup/", lookup.lookup, name="lookup"),
    path("subjects/<str:kind>/<path:external_id>/", lookup.subject, name="subject"),
    path("media/<uuid:media_id>/", media.media_file, name="media"),
    path("media/<uuid:media_id>/reveal/", media.reveal_media, name="reveal"),
    path("team/", team.team, name="team"),
    path("preferences/", team.preferences, name="preferences"),
]
