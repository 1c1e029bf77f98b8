from django.urls import path

from opslens.web.processes import views

app_name = "processes"
urlpatterns = [
    path("", views.process_list, name="list"),
    path("new/", views.process_create, name="create"),
    path("import/", views.process_import, name="import"),
    path("<int:pk>/", views.process_detail, name="detail"),
    path("<int:pk>/edit/", views.process_edit, name="edit"),
    path("<int:pk>/delete/", views.process_delete, name="delete"),
    path("<int:pk>/compare/", views.compare_view, name="compare"),
    path("<int:pk>/v/<int:vid>/", views.version_detail, name="version"),
    path("<int:pk>/v/<int:vid>/edit/", views.version_edit, name="version_edit"),
    path("<int:pk>/v/<int:vid>/delete/", views.version_delete, name="version_delete"),
    path("<int:pk>/v/<int:vid>/derive/", views.version_derive, name="derive"),
    path("<int:pk>/v/<int:vid>/import/", views.version_import, name="version_import"),
    path("<int:pk>/v/<int:vid>/steps/add/", views.step_add, name="step_add"),
    path("<int:pk>/v/<int:vid>/swimlane/", views.swimlane, name="swimlane"),
    path("<int:pk>/v/<int:vid>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<int:pk>/v/<int:vid>/export.bpmn", views.export_bpmn_view, name="export_bpmn"),
    path("<int:pk>/steps/<int:sid>/", views.step_detail, name="step"),
    path("<int:pk>/steps/<int:sid>/edit/", views.step_edit, name="step_edit"),
    path("<int:pk>/steps/<int:sid>/delete/", views.step_delete, name="step_delete"),
    path("<int:pk>/steps/<int:sid>/move/<str:direction>/", views.step_move, name="step_move"),
    path("<int:pk>/steps/<int:sid>/ecrs/", views.step_ecrs, name="step_ecrs"),
    path("<int:pk>/steps/<int:sid>/why/new/", views.why_form, name="why_new"),
    path("<int:pk>/steps/<int:sid>/why/<int:cid>/", views.why_form, name="why_edit"),
    path("<int:pk>/steps/<int:sid>/fishbone/new/", views.fishbone_form, name="fishbone_new"),
    path("<int:pk>/steps/<int:sid>/fishbone/<int:cid>/", views.fishbone_form, name="fishbone_edit"),
    path("<int:pk>/steps/<int:sid>/remedy/new/", views.remedy_form, name="remedy_new"),
    path("<int:pk>/steps/<int:sid>/remedy/<int:cid>/", views.remedy_form, name="remedy_edit"),
    path(
        "<int:pk>/steps/<int:sid>/<str:kind>/<int:cid>/delete/",
        views.child_delete,
        name="child_delete",
    ),
]
