"""s3-lambda-trigger: the commands and test helpers that are not deployed.

``handler/`` is what runs in Lambda (standard library only); this package is what
runs on a developer's machine or in CI:

- ``s3-lambda-trigger package``: build the function's zip (handler + your code + wheels
  for the target runtime and architecture), see :mod:`s3_lambda_trigger.packaging`;
- ``s3-lambda-trigger event`` / ``invoke``: sample events and local invokes;
- :mod:`s3_lambda_trigger.testing`: build events and run your processor against a
  moto-mocked bucket in pytest.
"""
