"""Notifications: job webhooks and e-mail to workers, through an outbox the runner delivers."""
