from django.urls import path

from opslens.web.datasets import views

app_name = "datasets"
urlpatterns = [
    path("", views.dataset_list, name="list"),
    path("new/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/rejected.csv", views.rejected, name="rejected"),
    path("<int:pk>/fill-process/", views.fill_process, name="fill_process"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/map.bpmn", views.bpmn, name="bpmn"),
    path("<int:pk>/cases/", views.cases, name="cases"),
    path("<int:pk>/compare/", views.compare, name="compare"),
]
