from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "opslens.web.projects"
    label = "projects"
    verbose_name = _("Cross-department projects")
