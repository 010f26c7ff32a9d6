"""Demo data: `python manage.py seed_demo` (idempotent). Each app adds its part in `<app>/demo.py`."""
