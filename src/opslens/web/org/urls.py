from django.urls import path

from opslens.web.org import views

app_name = "org"
urlpatterns = [
    path("", views.department_list, name="departments"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("<slug:code>/", views.department_detail, name="department"),
]
