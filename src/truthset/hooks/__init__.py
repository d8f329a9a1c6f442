"""Pre- and post-annotation hooks of custom jobs, with Ground Truth's Lambda payloads: a Python
file run in a sandboxed process, an HTTP(S) endpoint, or a real AWS Lambda function."""
