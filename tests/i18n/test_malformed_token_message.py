"""A malformed staff token is refused in the caller's language, with the same code in both."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "message"), [("vi", "Mã thông báo không hợp lệ."), ("en", "Invalid token.")]
)
def test_a_malformed_token_is_refused_in_the_callers_language(lang, message):
    response = APIClient().get(
        "/api/v1/dossiers/", HTTP_AUTHORIZATION="Token deadbeef", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 401
    assert (response.json()["code"], response.json()["message"]) == ("authentication_failed", message)
