"""Objects that arrive while a job runs: REST, CLI, SNS/SQS, S3 events, de-duplication, output lines."""
