"""The shop database on disk: the SQLite engine, units of work, backups and migrations. Adapters of
the domain; no business rules.
"""
