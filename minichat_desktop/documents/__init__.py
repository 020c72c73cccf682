"""Printed documents, drawn with reportlab: A4 tax invoices and receipts, 80 and 58 mm
receipt rolls, 100 × 150 mm shipping labels, and ESC/POS printing of receipts as images; and
the owner's reports written to XLSX, CSV or PDF (:mod:`minichat_desktop.documents.reports`).

No Qt and no SQL here: :mod:`minichat_desktop.domain.sales.tax_documents` and
:mod:`minichat_desktop.domain.reporting.reports` gather the data,
:mod:`minichat_desktop.documents.api` ties the two together for screens and the CLI.
"""
