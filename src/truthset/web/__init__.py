"""The web front door: REST API, worker portal, admin console, media."""
