from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.accounts.admin_login import throttled_admin_login
from apps.accounts.api.views import LogoutAllView, LogoutView, MeView, TokenView
from apps.catalogue.api.registers import OnlineOfferingViewSet, PublicationDecisionViewSet
from apps.catalogue.api.views import ProcedureViewSet
from apps.dossiers.api.public import PublicLookupView
from apps.dossiers.api.views import DossierViewSet
from apps.organisation.api.views import UnitViewSet
from apps.workcalendar.api.views import CalendarDaysView, DeadlinePreviewView

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("dossiers", DossierViewSet, basename="dossier")
router.register("online-offerings", OnlineOfferingViewSet, basename="online-offering")
router.register("publication-decisions", PublicationDecisionViewSet, basename="publication-decision")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("calendar/days/", CalendarDaysView.as_view(), name="calendar-days"),
    path("calendar/deadline/", DeadlinePreviewView.as_view(), name="calendar-deadline"),
    path("public/lookup/", PublicLookupView.as_view(), name="public-lookup"),
    path("", include(router.urls)),
    path("", include("apps.petitions.api.urls")),
    path("", include("apps.scoring.api.urls")),
    path("", include("apps.statistics.api.urls")),
    path("", include("apps.integrations.api.urls")),
    path("", include("apps.queues.api.urls")),
]

urlpatterns = [
    # The admin's own login view, behind the sign-in throttle (apps/accounts/throttling.py).
    path("admin/login/", throttled_admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # CSV/XLSX exports of the console's tables (apps/exports).
    path("", include("apps.exports.urls")),
    # The web console (sign-in, overview, dossier lists) at the site root (apps/console).
    path("", include("apps.console.urls")),
]

handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
handler400 = "apps.core.views.bad_request"
