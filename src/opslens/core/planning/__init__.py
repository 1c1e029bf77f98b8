"""Cross-department projects (T2 跨部门协作任务追踪表): the pure scheduling and escalation rules.

* :mod:`~opslens.core.planning.tasks` — :class:`Task` (duration, finish-to-start
  :class:`Dependency` links with a lag, milestone 关键节点 and buffer, :class:`TaskStatus`
  未开始 / 进行中 / 已完成 / 受阻, fixed or actual start, actual finish); :func:`sort_tasks`
  checks a project's tasks and orders them, :func:`find_cycle` names a dependency cycle.
* :mod:`~opslens.core.planning.schedule` — :func:`schedule_tasks`: forward and backward pass,
  total and free slack, the critical path, the project end, each milestone's margin (a
  :class:`Schedule` of :class:`ScheduledTask`); :func:`preview_slip`: "if this task slips N
  days", the tasks and milestones that move (:class:`SlipPreview`).
* :mod:`~opslens.core.planning.tracking` — 滞后 is computed: :func:`is_lagging`,
  :func:`finished_late`, and :func:`task_state` (:class:`DisplayState`, e.g. 受阻 and 滞后 at once).
* :mod:`~opslens.core.planning.escalation` — an unanswered support request climbs
  :class:`EscalationLevel` PROJECT_OWNER → COORDINATION_GROUP → MANAGEMENT, one level per response
  time: :func:`escalation_level`, :func:`escalation_steps`, :func:`escalation_due`.

Days are calendar days unless a schedule is asked for ``workdays=True`` (Monday to Friday);
dates are inclusive (a task's finish is its last day of work). Contradictory or impossible
plans (unknown predecessor, cycle, negative duration, naive datetimes…) raise
:class:`~opslens.core.errors.ConfigError` naming the task.
"""

from opslens.core.planning.escalation import (
    DEFAULT_RESPONSE_HOURS,
    EscalationLevel,
    EscalationStep,
    escalation_due,
    escalation_level,
    escalation_steps,
)
from opslens.core.planning.schedule import (
    MovedTask,
    Schedule,
    ScheduledTask,
    SlipPreview,
    preview_slip,
    schedule_tasks,
)
from opslens.core.planning.tasks import (
    Dependency,
    Task,
    TaskStatus,
    as_task_status,
    find_cycle,
    sort_tasks,
)
from opslens.core.planning.tracking import DisplayState, finished_late, is_lagging, task_state

__all__ = [
    "DEFAULT_RESPONSE_HOURS",
    "Dependency",
    "DisplayState",
    "EscalationLevel",
    "EscalationStep",
    "MovedTask",
    "Schedule",
    "ScheduledTask",
    "SlipPreview",
    "Task",
    "TaskStatus",
    "as_task_status",
    "escalation_due",
    "escalation_level",
    "escalation_steps",
    "find_cycle",
    "finished_late",
    "is_lagging",
    "preview_slip",
    "schedule_tasks",
    "sort_tasks",
    "task_state",
]
