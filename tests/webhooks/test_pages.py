"""The webhook pages of a carmaker: subscribe, see the secret once, follow the deliveries, send a test event,
send a failed delivery again, revoke; nobody else sees them."""

from django.urls import reverse

from carbon_platform.tenancy.models import AuditEvent
from tests.factories import DeliveryFactory, SubscriptionFactory
from webhooks.models import Delivery, Subscription

LIST = reverse("webhooks:subscription-list")


def test_a_carmaker_subscribes_sees_the_secret_once_and_can_reveal_it_again(client, actors):
    client.force_login(actors.carmaker_a)
    page = client.get(LIST)
    assert page.status_code == 200
    assert f'href="{LIST}"' in page.content.decode()  # the nav link
    response = client.post(
        LIST,
        {
            "target_url": "https://hooks.carmaker-a.example/carbon",
            "description": "Footprint alerts",
            "event_types": ["footprint.changed", "declaration.expired"],
            "threshold_pct": "1.5",
        },
    )
    subscription = Subscription.objects.get()
    detail = reverse("webhooks:subscription-detail", args=[subscription.pk])
    assert response.status_code == 302 and response["Location"] == detail
    assert subscription.event_types == ["footprint.changed", "declaration.expired"]
    assert subscription.created_by == actors.carmaker_a
    first = client.get(detail).content.decode()
    assert subscription.secret in first and 'data-testid="secret"' in first
    assert "X-Signature" in first and "X-Webhook-Timestamp" in first  # how to check a delivery
    assert subscription.secret not in client.get(detail).content.decode()  # once
    revealed = client.post(reverse("webhooks:subscription-secret", args=[subscription.pk]), follow=True)
    assert subscription.secret in revealed.content.decode()
    listed = client.get(LIST).content.decode()
    assert "https://hooks.carmaker-a.example/carbon" in listed and "Footprint alerts" in listed
    assert AuditEvent.objects.filter(object_type="webhooks.Subscription", action="created").count() == 1


def test_a_bad_url_is_shown_as_a_form_error(client, actors):
    client.force_login(actors.carmaker_a)
    response = client.post(
        LIST, {"target_url": "http://hooks.carmaker-a.example/", "event_types": ["footprint.changed"]}
    )
    assert response.status_code == 400
    assert "A webhook is sent over https only" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_deliveries_log_shows_status_attempts_and_answer_and_sends_a_failed_one_again(
    client, actors, enqueued, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation)
    failed = DeliveryFactory(
        subscription=subscription,
        event_type="declaration.approved",
        status="failed",
        attempts=8,
        last_status_code=503,
        error="HTTP 503",
        response_body_excerpt="upstream busy",
    )
    DeliveryFactory(subscription=subscription, status="succeeded", attempts=1, last_status_code=200)
    client.force_login(actors.carmaker_a)
    detail = reverse("webhooks:subscription-detail", args=[subscription.pk])
    html = client.get(detail).content.decode()
    assert f'data-testid="delivery-{failed.pk}"' in html
    assert "503" in html and "upstream busy" in html and "HTTP 503" in html
    assert client.get(detail, {"status": "succeeded"}).context["page"].object_list[0].last_status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:delivery-redeliver", args=[subscription.pk, failed.pk]))
    again = Delivery.objects.get(redelivery_of=failed)
    assert enqueued == [again.pk]
    html = client.get(detail).content.decode()
    assert f"sent again as #{again.pk}" in html

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:subscription-test", args=[subscription.pk]))
    assert Delivery.objects.filter(event_type="webhook.test", status="pending").count() == 1


def test_revoking_is_audited_and_removes_the_subscription_from_the_pages(client, actors):
    subscription = SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation)
    client.force_login(actors.carmaker_a)
    response = client.post(reverse("webhooks:subscription-revoke", args=[subscription.pk]))
    assert response.status_code == 302 and response["Location"] == LIST
    subscription.refresh_from_db()
    assert subscription.revoked_at is not None and subscription.secret == ""
    event = AuditEvent.objects.get(object_type="webhooks.Subscription", action="revoked")
    assert (event.actor, event.object_id) == (actors.carmaker_a, str(subscription.pk))
    assert list(client.get(LIST).context["page"]) == []
    assert client.get(reverse("webhooks:subscription-detail", args=[subscription.pk])).status_code == 404


def test_other_carmakers_get_404_and_other_organisations_403(client, actors):
    subscription = SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation)
    detail = reverse("webhooks:subscription-detail", args=[subscription.pk])
    client.force_login(actors.carmaker_b)
    assert client.get(detail).status_code == 404
    assert client.post(reverse("webhooks:subscription-revoke", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:subscription-secret", args=[subscription.pk])).status_code == 404
    assert subscription.secret not in client.get(LIST).content.decode()
    for who in ("supplier_a", "auditor"):
        client.force_login(getattr(actors, who))
        assert client.get(LIST).status_code == 403
        assert client.get(detail).status_code == 403
        assert f'href="{LIST}"' not in client.get(reverse("accounting:vehicle-model-list")).content.decode()
    client.logout()
    assert client.get(LIST).status_code == 302  # to the login page
    assert Subscription.objects.get(pk=subscription.pk).revoked_at is None  # carmaker B's revoke did nothing
