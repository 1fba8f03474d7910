"""The engine's API: list and start workflows and agents, cancel, retry and rerun runs, resume
hooks, list, fire and switch triggers, receive webhooks. Reading runs is History's API
(history.api)."""
