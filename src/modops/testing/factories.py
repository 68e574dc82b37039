"""factory_boy factories for the application's models."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

from modops.accounts.models import Site, StaffProfile
from modops.accounts.permissions import Role
from modops.accounts.services import create_token
from modops.subjects.models import Subject


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("name",)

    name = "dublin"
    city = "Dublin"
    time_zone = "Europe/Dublin"
    region = "emea"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.MODERATOR.value
    clearance = 1
    skills: Any = factory.LazyFunction(list)
    languages: Any = factory.LazyFunction(lambda: ["en"])
    site = factory.SubFactory(SiteFactory)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("kind", "external_id")

    kind = "account"
    external_id = factory.Sequence(lambda n: f"acc_{n}")


def token_for(scopes: list[str], user: Any = None, name: str = "test") -> str:
    return create_token(name, scopes, user).secret
