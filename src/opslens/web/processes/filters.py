import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opslens.web.org.models import Department
from opslens.web.processes.models import Process


class ProcessFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    departments = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all()
    )

    class Meta:
        model = Process
        fields = ["q", "departments"]

    def search(self, queryset: QuerySet[Process], name: str, value: str) -> QuerySet[Process]:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(start_point__icontains=value)
            | Q(end_point__icontains=value)
            | Q(versions__steps__name__icontains=value)
        ).distinct()
