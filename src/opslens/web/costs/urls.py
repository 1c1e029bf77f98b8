from django.urls import path

from opslens.web.costs import views

app_name = "costs"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("months/new/", views.month_new, name="month_new"),
    path("categories/", views.categories, name="categories"),
    path("categories/<int:cid>/", views.categories, name="category_edit"),
    path("lines/<int:pk>/", views.line_detail, name="line"),
    path("lines/<int:pk>/edit/", views.line_form, name="line_edit"),
    path("lines/<int:pk>/delete/", views.line_delete, name="line_delete"),
    path("<str:key>/", views.month_detail, name="month"),
    path("<str:key>/lines/new/", views.line_form, name="line_new"),
    path("<str:key>/close/", views.month_close, name="close"),
    path("<str:key>/reopen/", views.month_reopen, name="reopen"),
    path("<str:key>/remind/", views.month_remind, name="remind"),
    path("<str:key>/export.xlsx", views.month_export, name="export"),
    path("<str:key>/import/", views.month_import, name="import"),
]
