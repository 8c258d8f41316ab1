"""Lets the tests import the processor package beside them (`thumbnails/`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
