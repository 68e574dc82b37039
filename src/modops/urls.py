from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from modops.api.v1 import api
from modops.console.views.auth import home
from modops.insights.views import metrics


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    path("metrics", metrics),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("integrations/", include("modops.integrations.urls")),
    path("console/", include("modops.console.urls")),
    path("insights/", include("modops.insights.urls")),
    path("", home, name="home"),
]
if settings.MODOPS_OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
