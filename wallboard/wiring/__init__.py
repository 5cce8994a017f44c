"""The wiring: the one place that connects what follows a committed change (pushing to the
screens, alerts) to the inputs that store changes (the poll), and the entry points that need
that connection: the Celery tasks, the ``poll``, ``demo`` and ``serve`` commands (ADR 014),
and the operators' endpoints ``/healthz``, ``/readyz`` and ``/metrics`` (ADR 024).

Every other app depends only on the layers below it (import-linter, ``.importlinter``).
"""
