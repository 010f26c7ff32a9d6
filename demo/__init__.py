"""Demo data: `python manage.py seed_demo` (idempotent); each app adds `<app>/demo.py`."""
