"""From answers to the index: aggregation, normalisation, index, ranks and grades.

A plain library on pandas DataFrames, usable in a notebook; it never imports the web
service, Flask or SQLAlchemy.  (Filled in by the scoring and index work.)
"""

__all__: list[str] = []
