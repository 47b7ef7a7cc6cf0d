"""Routes of this app under /api/v1/ (included by casetracker/urls.py)."""

urlpatterns: list = []
