"""Printed documents, drawn with reportlab: A4 tax invoices and receipts, 80 and 58 mm
receipt rolls, 100 × 150 mm shipping labels, and ESC/POS printing of receipts as images.

No Qt and no SQL here: :mod:`minichat_desktop.domain.sales.tax_documents` gathers the data,
:mod:`minichat_desktop.documents.api` ties the two together for screens and the CLI.
"""
