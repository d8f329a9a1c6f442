"""Augmented AI (A2I): flow definitions and human loops, on top of dispatch. A flow definition is
an open-ended custom job sent to its work team; each human loop is one data object of that job."""
