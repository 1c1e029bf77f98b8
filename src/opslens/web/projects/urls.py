from django.urls import path

from opslens.web.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_form, name="create"),
    path("guides/", views.guides, name="guides"),
    path("guides/<int:pk>/", views.guide_detail, name="guide"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_form, name="edit"),
    path("<int:pk>/gantt/", views.gantt, name="gantt"),
    path("<int:pk>/slip/", views.slip, name="slip"),
    path("<int:pk>/digest/", views.digest, name="digest"),
    path("<int:pk>/retrospective/", views.retrospective, name="retrospective"),
    path("<int:project_pk>/subtasks/new/", views.subtask_form, name="subtask_new"),
    path("subtasks/<int:pk>/", views.subtask_detail, name="subtask"),
    path("subtasks/<int:pk>/edit/", views.subtask_form, name="subtask_edit"),
    path("subtasks/<int:pk>/delete/", views.subtask_delete, name="subtask_delete"),
    path("subtasks/<int:pk>/status/", views.subtask_status, name="subtask_status"),
    path("subtasks/<int:pk>/request/", views.request_new, name="request_new"),
    path("requests/<int:pk>/answer/", views.request_answer, name="request_answer"),
]
