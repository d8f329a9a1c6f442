"""Where data objects, manifests and output live: local folders (confined to the allowed
roots) and S3. Every path a user gives goes through here."""
