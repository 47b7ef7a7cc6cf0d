"""Staff tokens: hashed at rest, expiring, revocable (one device, all devices, password change), several."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from apps.accounts.auth import StaffTokenAuthentication
from apps.accounts.tasks import purge_expired_tokens
from apps.accounts.tokens import issue_token, live_tokens
from tests.factories import UserFactory

PASSWORD = "pass-123456"


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk")


def sign_in(username: str = "clerk", password: str = PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def me(token: str) -> int:
    return APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def post(path: str, token: str | None = None) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return APIClient().post(f"/api/v1/auth/{path}/", **headers).status_code


def test_the_database_never_holds_the_token(clerk):
    token = sign_in()["token"]
    assert me(token) == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    stored = AuthToken.objects.get()
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    assert stored.token_key == token[:15]  # only a lookup prefix, worthless alone


def test_form_posts_keep_working_and_the_answer_has_the_expiry(clerk, frozen_clock):
    body = sign_in()
    assert set(body) == {"token", "expiry"} and len(body["token"]) == 64
    expiry = parse_datetime(body["expiry"])
    assert abs(expiry - (dt.datetime.now(dt.UTC) + dt.timedelta(hours=10))) < dt.timedelta(seconds=5)


def test_a_token_expires_after_the_configured_time(clerk, settings, frozen_clock):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    token = sign_in()["token"]
    frozen_clock.shift(dt.timedelta(hours=2) - dt.timedelta(seconds=5))
    assert me(token) == 200
    frozen_clock.shift(dt.timedelta(seconds=10))
    response = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert AuthToken.objects.count() == 0  # an expired token is deleted when it is next presented


def test_the_nightly_purge_deletes_only_expired_tokens(clerk, settings, frozen_clock):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    old = sign_in()["token"]
    frozen_clock.shift(dt.timedelta(hours=1))
    fresh = sign_in()["token"]
    frozen_clock.shift(dt.timedelta(hours=1, seconds=5))  # the first is past its expiry, never presented
    assert purge_expired_tokens.delay().get() == 1
    assert AuthToken.objects.count() == 1
    assert [me(old), me(fresh)] == [401, 200]


def test_several_devices_and_logout_revokes_only_this_one(clerk):
    laptop, phone, tablet = (sign_in()["token"] for _ in range(3))
    assert len({laptop, phone, tablet}) == 3 and live_tokens(clerk) == 3
    assert all(me(t) == 200 for t in (laptop, phone, tablet))
    assert post("logout", phone) == 204
    assert [me(t) for t in (laptop, phone, tablet)] == [200, 401, 200]
    assert post("logout", phone) == 401  # already revoked


def test_logout_all_revokes_every_device_of_the_user_only(clerk):
    other = UserFactory(username="other")
    laptop, phone = sign_in()["token"], sign_in()["token"]
    theirs = sign_in("other")["token"]
    assert post("logout-all", laptop) == 204
    assert [me(laptop), me(phone), me(theirs)] == [401, 401, 200]
    assert live_tokens(clerk) == 0 and live_tokens(other) == 1


@pytest.mark.parametrize("path", ["logout", "logout-all"])
def test_logout_needs_a_token(db, path):
    assert post(path) == 401


def test_signing_in_beyond_the_cap_revokes_the_oldest_token(clerk, settings, frozen_clock):
    settings.AUTH_TOKENS_PER_USER = 2
    first = sign_in()["token"]
    frozen_clock.shift(1)
    second = sign_in()["token"]
    frozen_clock.shift(1)
    third = sign_in()["token"]
    assert [me(first), me(second), me(third)] == [401, 200, 200]
    assert live_tokens(clerk) == 2


def test_issuing_drops_the_users_expired_tokens(clerk, frozen_clock):
    issue_token(clerk)
    frozen_clock.shift(dt.timedelta(hours=11))
    issue_token(clerk)
    assert AuthToken.objects.filter(user=clerk).count() == 1


@pytest.mark.parametrize(
    "change, revoked",
    [
        ("new password", True),
        ("the same password again", False),
        ("unusable password", True),
        ("name only", False),
        ("last_login only", False),
    ],
)
def test_a_password_change_revokes_all_the_users_tokens(clerk, change, revoked):
    tokens = [sign_in()["token"] for _ in range(2)]
    if change == "new password":
        clerk.set_password("another-pass-987")
        clerk.save()
    elif change == "the same password again":
        clerk.set_password(PASSWORD)
        clerk.save()
    elif change == "unusable password":
        clerk.set_unusable_password()
        clerk.save()
    elif change == "name only":
        clerk.first_name = "Lan"
        clerk.save()
    else:
        clerk.last_login = dt.datetime.now(dt.UTC)
        clerk.save(update_fields=["last_login"])
    assert [me(t) for t in tokens] == ([401, 401] if revoked else [200, 200])


def test_a_rehash_of_the_same_password_at_sign_in_keeps_the_devices(clerk):
    """Django upgrades a weak hash when the user signs in; that is not a password change."""
    clerk.password = make_password(PASSWORD, salt="ab", hasher="md5")  # too little salt: re-hashed
    clerk.save()
    token = sign_in()["token"]
    weak = clerk.password
    sign_in()
    clerk.refresh_from_db()
    assert clerk.password != weak and me(token) == 200


def test_a_password_changed_in_the_admin_revokes_the_tokens(clerk, client):
    token = sign_in()["token"]
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        f"/admin/accounts/user/{clerk.pk}/password/",
        {"password1": "brand-new-pass-42", "password2": "brand-new-pass-42", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert me(token) == 401


@pytest.mark.parametrize(
    "header",
    [
        "Token",
        "Token abc",
        "Token " + "g" * 64,
        "Token " + "A" * 64,  # tokens are lower-case hex
        "Token " + "a" * 63 + "\x00",
        "Token " + "a" * 60 + "\xff\xfe\xfd\xfc",  # not UTF-8 once encoded
        "Token " + "0" * 64,  # well formed, unknown
        "Token a b",
    ],
)
def test_malformed_or_unknown_tokens_are_401(db, header):
    response = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=header)
    if "\x00" in header and response.status_code == 400:
        return  # the request middleware refuses NUL bytes before authentication (checked below too)
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


@pytest.mark.parametrize("token", [b"a" * 63 + b"\x00", b"\xff" * 64, b"a" * 65, b"a" * 64 + b"\n"])
def test_the_token_class_refuses_malformed_tokens_before_the_database(db, token, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(AuthenticationFailed):
        StaffTokenAuthentication().authenticate_credentials(token)


def test_an_inactive_users_token_stops_working(clerk):
    token = sign_in()["token"]
    clerk.is_active = False
    clerk.save()
    assert me(token) == 401


@pytest.mark.parametrize("path", ["logout", "logout-all"])
def test_logout_without_a_token_is_401_even_when_signed_in_otherwise(clerk, client_for, path):
    token = sign_in()["token"]
    assert client_for(clerk).post(f"/api/v1/auth/{path}/").status_code == 401
    assert me(token) == 200
