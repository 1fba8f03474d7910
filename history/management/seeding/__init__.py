"""Realistic runs for demos and benchmarks, made without the engine (``manage.py seed_history``).

``runs.Seeder`` yields batches of rows as tuples in the column order of the models
(``rows.COLUMNS``), so one generator feeds both PostgreSQL COPY and ``bulk_create`` on SQLite
(``writing``). The rows are shaped as the engine records runs: agent and prompt_llm steps hold
the model and tool calls made inside them (``plans``, ``steps``). JSON columns hold JSON *text*,
and payloads come from pools rendered once (``texts``), which keeps a million runs within
minutes. Primary keys are assigned here, after the largest existing ones, a block per chunk
of runs (``chunks``). The same seed on the
same database state gives the same rows, apart from times, which count back from ``now``.
"""
