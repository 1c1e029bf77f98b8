from django.urls import path

from opslens.web.kpis import views

app_name = "kpis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.kpi_create, name="create"),
    path("import/", views.import_view, name="import"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("report/", views.report_view, name="report_latest"),
    path("report/<str:month>/", views.report_view, name="report"),
    path("report/<str:month>/export.xlsx", views.report_xlsx, name="report_xlsx"),
    path("reviews/<int:rid>/", views.review_detail, name="review"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_form, name="webhook_new"),
    path("webhooks/<int:hid>/", views.webhook_form, name="webhook_edit"),
    path("webhooks/<int:hid>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/<int:hid>/delete/", views.webhook_delete, name="webhook_delete"),
    path("<int:pk>/", views.kpi_detail, name="detail"),
    path("<int:pk>/edit/", views.kpi_edit, name="edit"),
    path("<int:pk>/delete/", views.kpi_delete, name="delete"),
    path("<int:pk>/measure/", views.measurement_add, name="measure"),
    path("<int:pk>/measure/<int:mid>/delete/", views.measurement_delete, name="measure_delete"),
    path("<int:pk>/targets/", views.targets, name="targets"),
    path("<int:pk>/rules/new/", views.rule_form, name="rule_new"),
    path("<int:pk>/rules/<int:rid>/", views.rule_form, name="rule_edit"),
    path("<int:pk>/rules/<int:rid>/delete/", views.rule_delete, name="rule_delete"),
    path("<int:pk>/reviews/new/", views.review_new, name="review_new"),
]
