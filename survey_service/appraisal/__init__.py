"""Self-assessment and appraisal: each unit's workbook of self-scores out and back in,
with the council's appraised scores and the reasons of its corrections."""
