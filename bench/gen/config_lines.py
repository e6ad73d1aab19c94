#!/usr/bin/env python3
"""A user's own ~/.aws/config of about N lines (bench/scale: config init into it)."""
import sys
# A user's ~/.aws/config of about N lines: [okta] plus 5-line profiles (header, 3 keys, blank).
n = int(sys.argv[1])
out = ["[okta]", "aws_saml_url = home/amazon_aws/0oa1abcdEFGH/272", "",
       "[profile hub]", "role_arn = arn:aws:iam::111111111111:role/hub-team", "region = us-east-1", ""]
i = 0
while len(out) + 5 <= n:
    out += [f"[profile own{i:05d}]", "source_profile = hub", f"role_arn = arn:aws:iam::{i:012d}:role/own-{i}", "region = eu-west-1", ""]
    i += 1
print("\n".join(out))
