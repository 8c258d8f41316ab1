"""A stand-in for the Lambda context object, for local invokes and tests."""

import uuid


class FakeContext:
    """Enough of the Lambda context object for the handler and most processors."""

    function_name = "s3-lambda-trigger-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local"
    memory_limit_in_mb = 128
    log_group_name = "/aws/lambda/local"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
