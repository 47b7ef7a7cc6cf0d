"""The two doors that check a staff password, behind the throttle: the token endpoint and the admin login."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pass-123456"


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk")


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


def sign_in(password: str, username: str = "clerk", address: str = "203.0.113.7", **headers):
    return APIClient(REMOTE_ADDR=address, **headers).post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )


def test_wrong_credentials_then_429_in_the_error_format_with_retry_after(clerk, frozen_clock):
    for _ in range(5):
        wrong = sign_in("wrong")
        assert wrong.status_code == 400
        assert wrong.json()["errors"][0]["code"] == "authorization"
    refused = sign_in("wrong")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and body["errors"] == [] and "Đăng nhập sai" in body["message"]
    english = sign_in("wrong", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["code"] == "throttled" and "sign-in" in english["message"]
    assert refused["Retry-After"] == "900"
    # The right password is refused too while the lock lasts (no oracle), from any address.
    assert sign_in(PASSWORD, address="198.51.100.9").status_code == 429
    frozen_clock.shift(900)
    assert sign_in(PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("xxxxo" * 4, [400, 400, 400, 400, 200] * 4),  # typos then the right one, again and again
        ("o" * 10, [200] * 10),  # successes never lock anyone out
        ("xxxxxx", [400] * 5 + [429]),
        ("xxxxxo", [400] * 5 + [429]),
    ],
)
def test_only_failures_count(clerk, pattern, expected):
    assert [sign_in(PASSWORD if c == "o" else "wrong").status_code for c in pattern] == expected


def test_limits_come_from_settings_and_count_per_address(db, settings):
    settings.AUTH_FAILURES_PER_ADDRESS = 3
    settings.AUTH_FAILURE_WINDOW_SECONDS = 60
    statuses = [sign_in("wrong", username=f"user{n}").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert sign_in("wrong", username="user9", address="198.51.100.9").status_code == 400


def test_a_forged_forwarded_for_does_not_mint_new_addresses(db, settings):
    settings.AUTH_FAILURES_PER_ADDRESS = 2
    statuses = [
        sign_in("wrong", username=f"user{n}", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_missing_fields_are_400_and_not_counted(clerk):
    for _ in range(10):
        response = APIClient().post(TOKEN_URL, {"username": "clerk"}, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "password"
    assert sign_in(PASSWORD).status_code == 200


def test_a_nul_byte_in_credentials_is_a_400(clerk):
    response = APIClient().post(TOKEN_URL, {"username": "cl\x00erk", "password": "x"}, format="json")
    assert response.status_code == 400


def admin_sign_in(client, password: str, username: str = "boss"):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_admin_login_is_throttled_with_a_429_page(staff, client, frozen_clock):
    for _ in range(5):
        assert admin_sign_in(client, "wrong").status_code == 200  # the form again, with its error
    refused = admin_sign_in(client, PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "900"
    assert b"Too many failed sign-in attempts" in refused.content and b"15 minutes" in refused.content
    assert "Vui lòng thử lại sau 15 phút".encode() in refused.content  # Vietnamese first
    assert "_auth_user_id" not in client.session
    frozen_clock.shift(900)
    assert admin_sign_in(client, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_admin_and_api_share_the_user_name_counter(staff, client):
    for _ in range(3):
        admin_sign_in(client, "wrong")
    for _ in range(2):
        assert sign_in("wrong", username="boss").status_code == 400
    assert sign_in(PASSWORD, username="boss").status_code == 429
    assert admin_sign_in(client, PASSWORD).status_code == 429


def test_an_admin_success_clears_the_user_names_failures(staff, client):
    for _ in range(4):
        admin_sign_in(client, "wrong")
    assert admin_sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(5):
        assert admin_sign_in(client, "wrong").status_code == 200


def test_the_admin_login_page_still_renders(client, db):
    assert client.get(ADMIN_LOGIN).status_code == 200
    assert client.post(ADMIN_LOGIN, {"username": "x"}).status_code == 200  # incomplete: not counted
