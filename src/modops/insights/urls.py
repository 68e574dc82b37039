from django.urls import path

from modops.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    path("staffing-gap.csv", views.staffing_csv, name="staffing-csv"),
]
