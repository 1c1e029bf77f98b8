from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CostsConfig(AppConfig):
    name = "opslens.web.costs"
    label = "costs"
    verbose_name = _("Monthly cost analysis")
