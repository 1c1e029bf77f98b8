"""Reports rendered from an :class:`~opslens.core.mining.results.AnalysisResult`.

``render_html`` writes one self-contained HTML file (process map, tables, case-duration
histogram) that opens without any network.
"""

from opslens.core.report.html import render_html

__all__ = ["render_html"]
