"""Tests of opslens.core.planning (T2 跨部门协作任务追踪表)."""
