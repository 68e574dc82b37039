"""Load the policy taxonomy from fixtures/policies.json, so every database starts with it."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "policies.json"


def load(apps, schema_editor):
    Policy = apps.get_model("policies", "Policy")
    for row in json.loads(FIXTURE.read_text()):
        Policy.objects.update_or_create(code=row["fields"]["code"], defaults=row["fields"])


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
