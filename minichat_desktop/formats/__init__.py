"""Files in and out: product import, exports to XLSX and CSV, a streaming XLSX writer. Adapters of
the domain.
"""
