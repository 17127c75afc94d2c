"""The worked example: a throwaway database with the built-in plan, simulated answers
and appraisal scores, and the index computed from them (``survey-service demo``)."""
