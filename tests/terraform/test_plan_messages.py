"""The module's plan-time error messages name the offending rules and say what is allowed.

`terraform test` (tests/*.tftest.hcl) only checks WHICH object failed (`expect_failures`); these
tests run a real `terraform plan` of a tiny root module that calls this module with one bad
input, and read the message itself.

No AWS account is involved: the provider gets dummy keys and every endpoint it could call points
at a stub server in this process that records each request and answers STS GetCallerIdentity
only. Variable validations fail before any AWS call (the stub must see no request at all); the
loop check is a precondition, evaluated after the data sources, so it may ask STS for the account
id and nothing else.

Needs `terraform` on PATH and the aws provider: run through `make unit`, which exports
TF_CLI_CONFIG_FILE (the provider mirror / plugin cache), or export it yourself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "build" / "handler.zip"

CALLER_IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/plan-test</Arn>"
    "<UserId>AIDAPLANTEST</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
    "</ResponseMetadata></GetCallerIdentityResponse>"
)

# Every service the module's resources and data sources belong to.
SERVICES = ("sts", "s3", "lambda", "iam", "sqs", "logs", "sns", "kms", "cloudwatchlogs")


@dataclass
class Stub:
    """A local AWS endpoint that records requests and answers only GetCallerIdentity."""

    url: str
    requests: list[str] = field(default_factory=list)

    def actions(self) -> list[str]:
        return list(self.requests)


def _handler_for(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            action = (parse_qs(body).get("Action") or ["?"])[0]
            stub.requests.append(f"{self.command} {self.path} {action}")
            if action == "GetCallerIdentity":
                data = CALLER_IDENTITY.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
            else:
                data = b'{"message": "stub: not implemented"}'
                self.send_response(501)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    return Handler


@pytest.fixture(scope="module")
def stub() -> Iterator[Stub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    box = Stub(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler_for(box)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


def _env() -> dict[str, str]:
    # No credentials, profile or endpoint of the caller's may leak in: the provider block is
    # the only AWS configuration. TF_CLI_CONFIG_FILE (mirror, plugin cache) is kept.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
    )
    return env


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, stub: Stub) -> Path:
    """A root module calling this module, initialised once; each test rewrites module.tf."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH")
    if not PACKAGE.is_file():
        pytest.fail(f"{PACKAGE} missing: run `make package`")
    work = tmp_path_factory.mktemp("plan-messages")
    endpoints = "\n".join(f'    {s} = "{stub.url}"' for s in SERVICES)
    (work / "provider.tf").write_text(
        f"""provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "dummy"
  secret_key                  = "dummy"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  max_retries                 = 1
  endpoints {{
{endpoints}
  }}
}}
"""
    )
    _write_module(work, {})
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    return work


def _write_module(work: Path, args: dict[str, str]) -> None:
    # A relative path: Terraform copies (rather than links) an absolute module source.
    source = os.path.relpath(REPO, work)
    settings = {
        "name": '"plan-messages"',
        "bucket_name": '"plan-messages-bucket"',
        "package_file": f'"{PACKAGE.as_posix()}"',
        **args,
    }
    body = "\n".join(f"  {k} = {v}" for k, v in settings.items())
    text = f'module "under_test" {{\n  source = "./{source}"\n{body}\n}}\n'
    (work / "module.tf").write_text(text)


@dataclass
class Plan:
    returncode: int
    text: str  # stderr with the diagnostics' line wrapping and box characters removed
    aws_requests: list[str]


def _plan(root: Path, stub: Stub, args: dict[str, str]) -> Plan:
    _write_module(root, args)
    stub.requests.clear()
    proc = subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    text = re.sub(r"[│╷╵]", " ", proc.stderr)
    return Plan(proc.returncode, " ".join(text.split()), stub.actions())


def _validation_errors(plan: Plan) -> int:
    return plan.text.count("Error: Invalid value for variable")


def test_unknown_event_names_are_named_per_rule_with_allowed_list(root: Path, stub: Stub) -> None:
    plan = _plan(
        root,
        stub,
        {
            "notifications": """{
    uploads = { events = ["s3:ObjectCreated:Upload"], filter_prefix = "in/" }
    cleanup = { events = ["s3:ObjectRemoved:*", "ObjectRemoved:Delete"], filter_prefix = "tmp/" }
    fine    = { filter_prefix = "ok/" }
  }""",
        },
    )
    assert plan.returncode != 0
    assert _validation_errors(plan) == 1, plan.text
    assert 'unknown S3 event name(s) cleanup: "ObjectRemoved:Delete", uploads: ' in plan.text
    assert '"s3:ObjectCreated:Upload"' in plan.text
    assert "fine" not in plan.text.split("unknown S3 event name(s)")[1].split("Allowed:")[0]
    assert "Allowed: s3:ObjectCreated:* (or :Put, :Post, :Copy, :CompleteMultipartUpload)" in (
        plan.text
    )
    assert "s3:ObjectAcl:Put." in plan.text
    assert plan.aws_requests == [], "a variable validation must fail before any AWS call"


def test_overlapping_rules_are_named_in_pairs(root: Path, stub: Stub) -> None:
    plan = _plan(
        root,
        stub,
        {
            "notifications": """{
    any_create = { events = ["s3:ObjectCreated:*"], filter_prefix = "in/" }
    put_only   = { events = ["s3:ObjectCreated:Put"], filter_prefix = "in/raw/" }
    csv        = { filter_prefix = "data/", filter_suffix = ".csv" }
    json       = { filter_prefix = "data/", filter_suffix = ".json" }
    removed    = { events = ["s3:ObjectRemoved:*"], filter_prefix = "in/" }
  }""",
        },
    )
    assert plan.returncode != 0
    # A precondition since delivery = "eventbridge" allows overlaps (it reads two variables).
    assert plan.text.count("Resource precondition failed") == 1, plan.text
    assert 'notifications: rules "any_create" and "put_only" overlap' in plan.text
    # Different suffixes and a different event family do not overlap: not named.
    named = plan.text.split("notifications: rules ")[1].split(" overlap")[0]
    assert named == '"any_create" and "put_only"'
    assert "S3 would reject them as ambiguous" in plan.text
    assert "an empty prefix or suffix matches all" in plan.text
    assert 'With delivery = "eventbridge" rules may overlap.' in plan.text
    assert {r.split()[-1] for r in plan.aws_requests} <= {"GetCallerIdentity"}


def test_bucket_name_message_says_what_s3_allows(root: Path, stub: Stub) -> None:
    plan = _plan(root, stub, {"bucket_name": '"My_Bucket.."'})
    assert plan.returncode != 0
    assert _validation_errors(plan) == 1, plan.text
    assert 'bucket_name "My_Bucket.." would be refused by S3' in plan.text
    assert "use 3 to 63 characters from a-z, 0-9, '.' and '-'" in plan.text
    assert "no '..', not an IP address, not starting with xn--" in plan.text
    assert "not ending with -s3alias" in plan.text
    assert plan.aws_requests == []


def test_bad_rule_names_slash_prefix_and_function_arn_name_rules(root: Path, stub: Stub) -> None:
    plan = _plan(
        root,
        stub,
        {
            "notifications": """{
    "bad name" = { filter_prefix = "a/" }
    rooted     = { filter_prefix = "/incoming/" }
    elsewhere  = { filter_prefix = "c/", function_arn = "my-function" }
  }""",
        },
    )
    assert plan.returncode != 0
    assert _validation_errors(plan) == 3, plan.text
    assert 'rule name(s) "bad name" not allowed' in plan.text
    assert "use 1 to 48 characters from A-Z, a-z, 0-9, '-' and '_'" in plan.text
    assert "filter_prefix of rule(s) rooted starts with '/'" in plan.text
    assert 'write "incoming/", not "/incoming/"' in plan.text
    assert "function_arn of rule(s) elsewhere is not a Lambda function ARN" in plan.text
    assert "arn:aws:lambda:<region>:<account>:function:<name>[:<alias>]" in plan.text
    assert plan.aws_requests == []


def test_reserved_environment_variables_and_function_settings(root: Path, stub: Stub) -> None:
    plan = _plan(
        root,
        stub,
        {
            "environment_variables": '{ AWS_REGION = "eu-west-1", LOG_LEVEL = "DEBUG" }',
            "runtime": '"python3.9"',
            "architecture": '"aarch64"',
        },
    )
    assert plan.returncode != 0
    assert _validation_errors(plan) == 3, plan.text
    assert "environment_variables: AWS_REGION reserved by Lambda and cannot be set" in plan.text
    assert "LOG_LEVEL" not in plan.text.split("environment_variables:")[1].split("reserved")[0]
    assert 'runtime "python3.9" is not supported: use one of python3.11, python3.12' in plan.text
    assert 'architecture "aarch64" is not allowed: use x86_64 or arm64' in plan.text
    assert plan.aws_requests == []


def test_missing_package_file_says_how_to_build_it(root: Path, stub: Stub) -> None:
    missing = (REPO / "build" / "no-such-handler.zip").as_posix()
    plan = _plan(root, stub, {"package_file": f'"{missing}"'})
    assert plan.returncode != 0
    assert _validation_errors(plan) == 1, plan.text
    assert f'package_file "{missing}" must be an existing .zip file' in plan.text
    assert "make package" in plan.text
    assert plan.aws_requests == []


def test_loop_precondition_names_the_rules_and_asks_only_sts(root: Path, stub: Stub) -> None:
    plan = _plan(
        root,
        stub,
        {
            "output_prefix": '"in/processed/"',
            "notifications": """{
    uploads  = { filter_prefix = "in/" }
    archive  = { filter_prefix = "archive/" }
    external = {
      events        = ["s3:ObjectRemoved:*"]
      filter_prefix = "in/processed/"
      function_arn  = "arn:aws:lambda:us-east-1:123456789012:function:other"
    }
  }""",
        },
    )
    assert plan.returncode != 0
    assert "Resource precondition failed" in plan.text, plan.text
    assert 'output_prefix "in/processed/" is matched by rule(s) uploads, which invoke' in (
        plan.text
    )
    assert "(a loop)" in plan.text
    assert "Choose an output_prefix that no such rule's filter_prefix starts" in plan.text
    # The precondition is checked after the data sources: STS for the account id, nothing else.
    assert plan.aws_requests, "expected the account id lookup"
    assert all(r.endswith(" GetCallerIdentity") for r in plan.aws_requests), plan.aws_requests


def test_python310_is_refused_with_the_supported_list(root: Path, stub: Stub) -> None:
    plan = _plan(root, stub, {"runtime": '"python3.10"'})
    assert plan.returncode != 0
    assert _validation_errors(plan) == 1, plan.text
    assert (
        'runtime "python3.10" is not supported: use one of python3.11, python3.12, python3.13'
        in plan.text
    )
    assert "the handler needs Python 3.11 or later" in plan.text
    assert plan.aws_requests == []


def test_extra_policy_json_without_attach_extra_policy_names_both(root: Path, stub: Stub) -> None:
    policy = 'jsonencode({ Version = "2012-10-17", Statement = [] })'
    plan = _plan(root, stub, {"extra_policy_json": policy})
    assert plan.returncode != 0
    assert "Resource precondition failed" in plan.text, plan.text
    assert "extra_policy_json is set but attach_extra_policy is false" in plan.text
    assert "set attach_extra_policy = true" in plan.text


def test_attach_extra_policy_without_extra_policy_json_names_both(root: Path, stub: Stub) -> None:
    plan = _plan(root, stub, {"attach_extra_policy": "true"})
    assert plan.returncode != 0
    assert "Resource precondition failed" in plan.text, plan.text
    assert "attach_extra_policy is true but extra_policy_json is null" in plan.text
    assert "Missing required argument" not in plan.text
