"""The plan of a round and its questionnaires: loading them (``init``), showing them,
and moving questionnaires in and out as XLSForm workbooks."""
