"""Tests of opslens.core.kpi (T5 关键运营指标监控表)."""
