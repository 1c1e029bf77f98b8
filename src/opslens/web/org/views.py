from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from opslens.web.common.services import history_of
from opslens.web.org.models import Department, Person, Role


def department_list(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.prefetch_related("people", "processes")
    rows = []
    for dept in departments:
        people = list(dept.people.all())
        head = next((p for p in people if p.role == Role.HEAD), None)
        rows.append((dept, head, len(people), len(dept.processes.all())))
    return render(request, "org/departments.html", {"rows": rows})


def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    dept = get_object_or_404(Department, code=code)
    return render(
        request,
        "org/department.html",
        {
            "dept": dept,
            "people": dept.people.select_related("user"),
            "processes": dept.processes.all(),
            "history": history_of(
                [
                    Department.history.filter(id=dept.pk),
                    Person.history.filter(department_id=dept.pk),
                ]
            ),
        },
    )


def people(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "org/people.html",
        {"people": Person.objects.select_related("department", "user")},
    )


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("department", "user"), pk=pk)
    return render(
        request,
        "org/person.html",
        {
            "person": person,
            "remedies": person.remedies.select_related("step__version__process"),
            "history": history_of([Person.history.filter(id=person.pk)]),
        },
    )
