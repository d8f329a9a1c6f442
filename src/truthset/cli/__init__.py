"""The `truthset` command line: a thin front door onto the same domain functions as the web."""
