"""Throttles against guessing: the failed-login lockout page, a cache-based rate limiter, and the rate-limited
password reset view."""

import ipaddress
import math
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import ngettext


def client_ip(request) -> str:
    """The address the request came from: what login lockouts and rate limits count by.

    REMOTE_ADDR, unless settings.TRUSTED_PROXY_COUNT names how many proxies of ours stand in front (a TLS
    proxy, a load balancer): behind them REMOTE_ADDR is the nearest proxy's for every client, so one
    client's failures would lock a username out for everyone. Each proxy appends the address it was
    called from to X-Forwarded-For, so the client's is the Nth entry from the right; what lies further left
    the client wrote itself and is never read (else anyone could pick a fresh address per request). A
    request that did not pass every proxy, or a malformed entry, falls back to REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


def axes_client_ip(request) -> str | None:
    """client_ip for django-axes (AXES_CLIENT_IP_CALLABLE), which stores it in an IP address column: None
    when the request names no address (a test client's force_login, a management command)."""
    address = client_ip(request)
    return None if address == "unknown" else address


def rate_limited(scope: str, key: str, *, limit: int, window_s: int) -> int:
    """Count one request of `key` in a fixed window of `window_s` seconds. Returns 0 while it is within
    `limit`, else the seconds until the window ends. The Django cache holds the counts: Redis when CACHE_URL
    is set (shared by every process), else this process's memory."""
    now = time.time()
    window = int(now // window_s)
    cache_key = f"ratelimit:{scope}:{window}:{key}"
    cache.add(cache_key, 0, timeout=window_s + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this request opens a new count
        cache.add(cache_key, 1, timeout=window_s + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * window_s - now))


def too_many_attempts_message(wait_s: float) -> str:
    """One message for every throttle, naming only the wait: it never says whether an account exists."""
    minutes = max(1, math.ceil(wait_s / 60))
    return ngettext(
        "Too many attempts; try again in %(minutes)d minute.",
        "Too many attempts; try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out username and address: the login page again, 429, with the same
    message whether or not the username exists."""
    wait_s = settings.AXES_COOLOFF_TIME.total_seconds()
    form = AuthenticationForm(request)
    context = {
        "form": form,
        "throttled": too_many_attempts_message(wait_s),
        "next": request.GET.get("next", ""),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(wait_s))
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, at most PASSWORD_RESET_RATE_PER_HOUR requests per address per hour: the
    reset mail goes to an inbox, so unthrottled it would let anyone flood a user's mailbox."""

    def post(self, request, *args, **kwargs):
        wait_s = rate_limited(
            "password-reset", client_ip(request), limit=settings.PASSWORD_RESET_RATE_PER_HOUR, window_s=3600
        )
        if wait_s:
            context = self.get_context_data(form=self.get_form(), throttled=too_many_attempts_message(wait_s))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait_s)
            return response
        return super().post(request, *args, **kwargs)
