"""Calls STS AssumeRoleWithSAML (unsigned, as AWS clients do) against an endpoint.

usage: python sts_assume_role_with_saml.py ENDPOINT_URL ROLE_ARN PRINCIPAL_ARN < saml_base64
Prints one JSON object: the assumed-role ARN, the access key id and the expiration.
"""
import json
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config


def main() -> int:
    endpoint, role_arn, principal_arn = sys.argv[1:4]
    assertion = sys.stdin.read().strip()
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    r = sts.assume_role_with_saml(
        RoleArn=role_arn, PrincipalArn=principal_arn, SAMLAssertion=assertion
    )
    print(
        json.dumps(
            {
                "Arn": r["AssumedRoleUser"]["Arn"],
                "AccessKeyId": r["Credentials"]["AccessKeyId"],
                "SecretAccessKey": r["Credentials"]["SecretAccessKey"],
                "SessionToken": r["Credentials"]["SessionToken"],
                "Expiration": r["Credentials"]["Expiration"].timestamp(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
