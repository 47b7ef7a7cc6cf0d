"""Queue routes under /api/v1/ (included by casetracker/urls.py)."""

from django.urls import path

from apps.queues.api import views

urlpatterns = [
    path("queue/events/", views.TicketEventView.as_view(), name="queue-event"),
    path("queue/events/bulk/", views.TicketEventsBulkView.as_view(), name="queue-events-bulk"),
    path("units/<str:code>/queue-figures/", views.QueueFiguresView.as_view(), name="unit-queue-figures"),
    path("units/<str:code>/workload/", views.WorkloadView.as_view(), name="unit-workload"),
]
