"""Task types: plug-ins that define the worker UI, answer validation, consolidation and the
output line of one kind of labeling job."""
