from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from opslens.web.common import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("diagnose/", views.diagnose, name="diagnose"),
    path("design/", views.design, name="design"),
    path("pilot/", views.pilot, name="pilot"),
    path("standardize/", views.standardize, name="standardize"),
    path("monitor/", views.monitor, name="monitor"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("processes/", include("opslens.web.processes.urls")),
    path("org/", include("opslens.web.org.urls")),
    path("kpis/", include("opslens.web.kpis.urls")),
    path("costs/", include("opslens.web.costs.urls")),
    path("quality/", include("opslens.web.quality.urls")),
    path("datasets/", include("opslens.web.datasets.urls")),
    path("projects/", include("opslens.web.projects.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

handler403 = "opslens.web.common.views.forbidden"
handler404 = "opslens.web.common.views.not_found"
