"""A directory put first on a task's PYTHONPATH so that `python3 -m pip` finds `pip/` here."""
