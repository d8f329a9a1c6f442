"""Work that never runs inside a request: manifest import, lease and availability expiry,
consolidation, output writing, job completion."""
