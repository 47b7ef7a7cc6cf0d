"""The admin login page behind the sign-in throttle (wired in ``casetracker/urls.py`` before the admin).

A refused attempt gets a 429 page with ``Retry-After``; the password is not checked. CSRF is checked by
the middleware before this view runs, so forged posts are never counted.
"""

from __future__ import annotations

import math

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts import throttling


def throttled_admin_login(request: HttpRequest) -> HttpResponse:
    username, password = request.POST.get("username", ""), request.POST.get("password", "")
    if request.method != "POST" or not username or not password:
        return admin.site.login(request)  # no password is checked: nothing to count
    try:
        attempt = throttling.begin_attempt(username, throttling.client_address(request))
    except throttling.SignInThrottled as refused:
        context = {**admin.site.each_context(request), "minutes": math.ceil(refused.wait / 60)}
        response = render(request, "accounts/admin_login_throttled.html", context, status=429)
        response["Retry-After"] = str(refused.wait)
        return response
    response = admin.site.login(request)
    if response.status_code == 302:  # a POST to the login view redirects only once signed in
        throttling.attempt_succeeded(attempt)
    return response
