"""Seed the fault tests' own PostgreSQL cluster (run as a script with DATABASE_URL pointing at it): a carmaker
user with a few vehicle models and their footprints; prints the user's API token and a session key as JSON."""

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.test_settings")
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from accounting import services
    from accounting.demo_data import load_reference_data
    from tests.factories import BomLineFactory, OrganisationFactory, UserFactory, VehicleModelFactory

    materials = load_reference_data()
    carmaker = OrganisationFactory(kind="carmaker")
    user = UserFactory(username="fleet", organisation=carmaker)
    for number in range(1, 4):
        vehicle = VehicleModelFactory(carmaker=carmaker)
        BomLineFactory(
            vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg=Decimal(10 * number)
        )
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(json.dumps({"token": Token.objects.create(user=user).key, "session": session.session_key}))
