"""Routes of this app under /api/v1/ (included by casetracker/urls.py)."""

from rest_framework.routers import SimpleRouter

from apps.petitions.api.views import PetitionViewSet

router = SimpleRouter()
router.register("petitions", PetitionViewSet, basename="petition")

urlpatterns = router.urls
