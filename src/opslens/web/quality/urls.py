from django.urls import path

from opslens.web.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("problems/new/", views.problem_form, name="problem_new"),
    path("problems/grading/", views.grading_preview, name="grading"),
    path("problems/<int:pk>/", views.problem_detail, name="problem"),
    path("problems/<int:pk>/edit/", views.problem_form, name="problem_edit"),
    path("problems/<int:pk>/delete/", views.problem_delete, name="problem_delete"),
    path("problems/<int:pk>/status/", views.problem_move, name="problem_move"),
    path("problems/<int:pk>/recheck/", views.problem_recheck, name="problem_recheck"),
    path("standards/", views.standards, name="standards"),
    path("standards/<int:pk>/", views.standards, name="standard_edit"),
    path("standards/recommended/", views.standards_defaults, name="standards_defaults"),
    path("analysis/", views.analysis_index, name="analysis_index"),
    path("analysis/<str:key>/", views.analysis, name="analysis"),
    path("export/<str:key>.xlsx", views.export, name="export"),
]
