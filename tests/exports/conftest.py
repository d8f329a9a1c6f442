"""The datasets package must never try the Hub: every export test reads local files. Set before
the test modules import it (it reads these once)."""

import os

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
