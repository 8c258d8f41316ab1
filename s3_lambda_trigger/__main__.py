"""``python -m s3_lambda_trigger`` is the ``s3-lambda-trigger`` command."""

import sys

from .cli import main

sys.exit(main())
