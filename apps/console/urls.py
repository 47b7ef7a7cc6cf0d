"""The web console's pages (server-rendered, session auth), included at the site root."""

from django.urls import path
from django.views.i18n import set_language

from apps.console import desk, dossier_actions, overview, views, whatif

urlpatterns = [
    path("", views.home, name="console-home"),
    path("signin/", views.signin, name="console-signin"),
    path("signout/", views.signout, name="console-signout"),
    # Django's language switch: stores the choice in the language cookie and goes back to ``next``.
    path("i18n/setlang/", set_language, name="set_language"),
    path("console/units/<str:code>/", overview.overview, name="console-overview"),
    path("console/units/<str:code>/open/", overview.open_list, name="console-open"),
    path("console/units/<str:code>/panels/<str:name>/", overview.panel, name="console-overview-panel"),
    path("console/units/<str:code>/dossiers/", views.dossiers, name="console-dossiers"),
    path("console/units/<str:code>/what-if/", whatif.what_if, name="console-what-if"),
    path("console/desk/", desk.desk, name="console-desk"),
    path("console/desk/procedures/<str:code>/", desk.receive, name="console-receive"),
    path("console/dossiers/<str:code>/", desk.dossier, name="console-dossier"),
    path("console/dossiers/<str:code>/slip/", desk.slip, name="console-slip"),
    path(
        "console/dossiers/<str:code>/actions/<str:action>/",
        dossier_actions.act,
        name="console-dossier-action",
    ),
]
