"""The console's exports: one download URL for every table, and the pages of large exports' jobs."""

from django.urls import path

from apps.exports import views

urlpatterns = [
    path("console/exports/", views.download, name="exports-download"),
    path("console/exports/jobs/", views.jobs, name="exports-jobs"),
    path("console/exports/jobs/<uuid:token>/", views.job, name="exports-job"),
    path("console/exports/jobs/<uuid:token>/file/", views.job_file, name="exports-job-file"),
]
