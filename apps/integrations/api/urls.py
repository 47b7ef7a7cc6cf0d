"""Routes of this app under /api/v1/ (included by casetracker/urls.py)."""

from django.urls import path

from apps.integrations.api import views

urlpatterns = [
    path("integrations/clients/", views.ClientListView.as_view(), name="integration-clients"),
    path("integrations/clients/<slug:name>/", views.ClientDetailView.as_view(), name="integration-client"),
    path("integrations/clients/<slug:name>/keys/", views.KeyListView.as_view(), name="integration-keys"),
    path(
        "integrations/clients/<slug:name>/keys/<str:prefix>/revoke/",
        views.KeyRevokeView.as_view(),
        name="integration-key-revoke",
    ),
    path("ingest/", views.IngestView.as_view(), name="ingest"),
    path("webhooks/subscriptions/", views.SubscriptionListView.as_view(), name="webhook-subscriptions"),
    path(
        "webhooks/subscriptions/<int:pk>/",
        views.SubscriptionDetailView.as_view(),
        name="webhook-subscription",
    ),
    path("webhooks/deliveries/", views.DeliveryListView.as_view(), name="webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="webhook-delivery"),
    path("webhooks/deliveries/<int:pk>/replay/", views.DeliveryReplayView.as_view(), name="webhook-replay"),
]
