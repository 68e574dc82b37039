"""Sign-in and sign-out. Lockout after repeated failures is django-axes' job (see settings)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from modops.console.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.MODOPS_OIDC_ENABLED
        return context


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def home(request: HttpRequest) -> HttpResponse:
    return redirect("console:queues" if request.user.is_authenticated else "console:login")
