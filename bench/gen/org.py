#!/usr/bin/env python3
"""An org.toml (docs/hub-and-spoke.md) with ACCOUNTS spokes of ROLES roles each and TEAMS teams,
each granted one role in every spoke (account = "*"): ACCOUNTS profiles per team (bench/scale)."""
import sys
accounts, teams, roles = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
role_names = [f"Role{r}" for r in range(roles)]
out = ['[okta]\ndomain = "example.okta.com"\naws_saml_url = "home/amazon_aws/0oa1abcdEFGH/272"\nmfa_factor_type = "push"\n',
       '[hub]\nname = "hub"\naccount_id = "111111111111"\nregion = "us-east-1"\n']
for a in range(accounts):
    out.append(f'[[spoke]]\nname = "acct{a:04d}"\naccount_id = "{200000000000 + a:012d}"\nregion = "us-west-2"\n')
    for r in role_names:
        out.append(f'[[spoke.role]]\nname = "{r}"\npolicies = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n')
for t in range(teams):
    out.append(f'[[team]]\nname = "team{t:02d}"\nspoke_roles = [ {{ account = "*", role = "{role_names[t % roles]}" }} ]\n\n[team.hub_role]\nname = "team-{t:02d}"\n')
print("\n".join(out))
