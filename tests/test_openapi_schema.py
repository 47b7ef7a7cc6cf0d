"""The committed OpenAPI file must match what the code generates (regenerate with the command below)."""

from pathlib import Path

from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # The file is for developers: English labels and help texts (the served /api/schema/ follows the
    # request's language, Vietnamese by default).
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn", "--lang", "en")
    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is stale: run "
        "`DEBUG=true python manage.py spectacular --lang en --file docs/openapi.yaml`"
    )


def test_schema_is_served(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/dossiers/{code}/request-supplement/" in response.content
    assert admin_client.get("/api/docs/").status_code == 200
