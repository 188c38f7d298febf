"""The account registry (台账) as spreadsheets: ``dutybot accounts import / export``.

columns.py names the columns (the filing form's fields and the variants people type),
table.py reads .xlsx and .csv into rows, rows.py checks each row, importer.py applies them
in one audited transaction, exporter.py writes the registry back. docs/accounts-import.md
is the user's guide.
"""
