"""The published report of a round: ``survey-service publish`` and the download on the
report page, as a Word file, a PDF or an Excel workbook, in Vietnamese or English."""
