"""Every management command of ours prints its help, and the operators' commands speak the deployment's
language (Vietnamese) first, English on request."""

from __future__ import annotations

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

OURS = sorted((name, app) for name, app in get_commands().items() if app.startswith("apps."))
OPERATORS = {
    "rebuild_statistics": ("Tính lại toàn bộ số liệu thống kê", "Rebuild all statistics leaves"),
    "unlock_signin": ("Xoá các lần đăng nhập sai", "Forget the failed sign-ins"),
    "ensure_calendar": ("Tạo lịch làm việc mặc định", "Create the default working calendar"),
    "import_dossiers": ("Nhập hồ sơ và sự kiện trạng thái", "Import dossiers and status events"),
}


@pytest.mark.parametrize(("name", "app"), OURS, ids=[name for name, _app in OURS])
def test_every_command_formats_its_help(name, app):
    for language in ("vi", "en"):
        with translation.override(language):
            text = load_command_class(app, name).create_parser("manage.py", name).format_help()
        assert text.startswith("usage: manage.py " + name)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_the_operators_commands_speak_vietnamese_first(name):
    app = get_commands()[name]
    vietnamese, english = OPERATORS[name]
    with translation.override("vi"):
        assert vietnamese in " ".join(
            load_command_class(app, name).create_parser("manage.py", name).format_help().split()
        )
    with translation.override("en"):
        assert english in " ".join(
            load_command_class(app, name).create_parser("manage.py", name).format_help().split()
        )
