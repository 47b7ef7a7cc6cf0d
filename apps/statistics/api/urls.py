"""Statistics routes under /api/v1/ (included by casetracker/urls.py)."""

from django.urls import path

from apps.statistics.api import views

urlpatterns = [
    path("units/<str:code>/score/", views.ScoreView.as_view(), name="unit-score"),
    path("units/<str:code>/rankings/", views.RankingsView.as_view(), name="unit-rankings"),
    path("units/<str:code>/trend/", views.TrendView.as_view(), name="unit-trend"),
    path("units/<str:code>/what-if/", views.WhatIfView.as_view(), name="unit-what-if"),
    path("units/<str:code>/on-time/", views.OnTimeView.as_view(), name="unit-on-time"),
    path("units/<str:code>/dossiers/", views.DossiersBehindView.as_view(), name="unit-dossiers"),
]
