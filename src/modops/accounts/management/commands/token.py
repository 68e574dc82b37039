from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from modops.accounts.permissions import Scope
from modops.accounts.services import create_token


class Command(BaseCommand):
    help = "Create an API token: `modops token create --name NAME --scope SCOPE [--user USERNAME]`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", action="append", required=True, choices=[s.value for s in Scope])
        parser.add_argument("--user", help="bind the token to this staff user (needed for moderation)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
        if Scope.MODERATION.value in options["scope"] and user is None:
            raise CommandError("a moderation token must be bound to a user: pass --user")
        issued = create_token(options["name"], options["scope"], user)
        self.stdout.write(issued.secret)
