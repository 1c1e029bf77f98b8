"""Simplified Chinese formats: Django's, with amounts grouped by thousands with a comma.

Django's zh_Hans has no thousand separator; Chinese finance reports and the seeds' own tables
write 500,000 and 1,234.50, so money and large counts read that way here too.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
