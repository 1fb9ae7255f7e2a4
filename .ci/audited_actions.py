"""CI: a few audited actions through the services on the seeded demo database (run with `manage.py shell`),
so that audit_verify afterwards checks a chain written by the seed and by the application's own workflow:
a supplier drafts, submits and the auditor approves a declaration (recomputing footprints), a carmaker
subscribes a webhook, an admin of it creates an API client."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from carbon_platform.tenancy.models import AuditEvent, Membership
from carbon_platform.tenancy.services import api_client_create
from disclosures.models import Product
from disclosures.services import declaration_create, declaration_decide, declaration_submit
from webhooks.services import subscription_create

User = get_user_model()
before = AuditEvent.objects.count()
supplier, auditor, carmaker = (
    User.objects.get(username=name) for name in ("supplier", "auditor", "carmaker")
)
product = Product.objects.filter(supplier=supplier.membership.organisation).order_by("id").first()
today = timezone.localdate()
declaration = declaration_create(
    actor=supplier,
    product=product,
    data={
        "registration_number": f"EPD-CI-{timezone.now():%Y%m%d%H%M%S}",
        "standard": "EN 15804+A2",
        "issue_date": today - timedelta(days=5),
        "valid_until": today + timedelta(days=900),
        "declared_unit": "t",
        "declared_amount": 1,
        "gwp_a1_a3_kg_co2e": "2010.5",
    },
)
declaration_submit(actor=supplier, declaration=declaration)
declaration_decide(actor=auditor, declaration=declaration, decision="approve")
subscription_create(
    actor=carmaker,
    data={"target_url": "https://hooks.carmaker.example/ci", "event_types": ["footprint.changed"]},
)
admin = User.objects.create_user(username=f"ci_admin_{timezone.now():%H%M%S%f}")
Membership.objects.create(user=admin, organisation=carmaker.membership.organisation, role="admin")
api_client_create(organisation=carmaker.membership.organisation, name="CI", scopes=["read"], actor=admin)
print(f"Audited actions: {AuditEvent.objects.count() - before} new audit events.")
