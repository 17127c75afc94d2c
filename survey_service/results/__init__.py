"""Results: survey scores, the index with ranks and grades, the report page, and the
exports of responses, scores and index (CSV, XLSX, SPSS, JSON, API)."""
