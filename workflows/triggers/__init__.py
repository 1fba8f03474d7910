"""Triggers: webhooks, schedules and polls that start runs of workflows and agents."""
