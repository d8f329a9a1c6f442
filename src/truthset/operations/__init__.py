"""Operations: Prometheus metrics, health and readiness, request logs, worker activity."""
