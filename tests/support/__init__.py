"""Test support: real PostgreSQL, live servers, seeded deployments."""
