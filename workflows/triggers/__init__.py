"""Triggers (§4.6): webhooks, schedules and polls that start runs of workflows and agents."""
