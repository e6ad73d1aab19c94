#!/usr/bin/env python3
"""A ~/.aws/config with an [okta] section, a hub and N spokes chained from it (bench/scale)."""
import sys
n = int(sys.argv[1])
print("[okta]\naws_saml_url = home/amazon_aws/0oa1abcdEFGH/272\n")
print("[profile hub]\nrole_arn = arn:aws:iam::111111111111:role/hub-team\nregion = us-east-1\n")
for i in range(n):
    print(f"[profile gen{i:05d}]\nsource_profile = hub\nrole_arn = arn:aws:iam::{i:012d}:role/team-{i}\nregion = eu-west-1\n")
