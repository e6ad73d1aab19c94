#!/usr/bin/env python3
"""Asserts on `terraform output -json` of terraform/tests/policies.

Usage: check_outputs.py OUTPUTS_JSON REPO_ROOT

Checks the exact principals, actions, conditions and resources of every policy document the
provider-free policy modules build, least privilege (no wildcard anywhere, AssumeRole only on the
listed roles), and that the generated team configs and the policies agree: every profile an
engineer gets is a role their hub role may assume and whose trust lets that hub role in.
Prints one line per failed check and a closing "N passed, N failed" line; exits 1 on failure.
"""

import configparser
import json
import pathlib
import sys

PASSED = 0
FAILED = 0


def check(name, cond, detail=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
    else:
        FAILED += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def eq(name, got, want):
    check(name, got == want, f"got {json.dumps(got, sort_keys=True)}, want {json.dumps(want, sort_keys=True)}")


def doc(text):
    return json.loads(text) if text is not None else None


def walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)


def least_privilege(name, policy):
    """Structure shared by every document: one Allow statement, no wildcards, no Not*."""
    check(f"{name}: Version", policy.get("Version") == "2012-10-17", policy.get("Version"))
    stmts = policy.get("Statement", [])
    check(f"{name}: exactly one statement", len(stmts) == 1, len(stmts))
    for s in stmts:
        check(f"{name}: Effect Allow", s.get("Effect") == "Allow", s.get("Effect"))
        for banned in ("NotPrincipal", "NotAction", "NotResource"):
            check(f"{name}: no {banned}", banned not in s)
        wild = [x for x in walk_strings({k: s.get(k) for k in ("Principal", "Action", "Resource")}) if "*" in x or "?" in x]
        check(f"{name}: no wildcard principal, action or resource", not wild, wild)
        if "Principal" in s:
            check(f"{name}: principal is not '*'", s["Principal"] != "*" and s["Principal"].get("AWS") != "*")


def hub_trust(name, policy, provider_arn, audience, extra_actions=()):
    least_privilege(name, policy)
    s = policy["Statement"][0]
    eq(f"{name}: principal", s.get("Principal"), {"Federated": provider_arn})
    eq(f"{name}: actions", s.get("Action"), ["sts:AssumeRoleWithSAML", *extra_actions])
    eq(f"{name}: condition", s.get("Condition"), {"StringEquals": {"SAML:aud": audience}})
    check(f"{name}: no Resource in a trust policy", "Resource" not in s)


def hub_assume(name, policy, role_arns, extra_actions=()):
    least_privilege(name, policy)
    s = policy["Statement"][0]
    eq(f"{name}: actions", s.get("Action"), ["sts:AssumeRole", *extra_actions])
    eq(f"{name}: resources", s.get("Resource"), role_arns)
    check(f"{name}: no principal in an identity policy", "Principal" not in s)
    check(f"{name}: no condition", "Condition" not in s)


def spoke_trust(name, policy, partition, hub, role_arns, extra_actions=(), source_identity=False):
    least_privilege(name, policy)
    s = policy["Statement"][0]
    eq(f"{name}: principal is the hub account", s.get("Principal"), {"AWS": f"arn:{partition}:iam::{hub}:root"})
    eq(f"{name}: actions", s.get("Action"), ["sts:AssumeRole", *extra_actions])
    want = {"ArnEquals": {"aws:PrincipalArn": role_arns}}
    if source_identity:
        want["Null"] = {"sts:SourceIdentity": "false"}
    eq(f"{name}: condition narrows to the hub roles", s.get("Condition"), want)


def main():
    outputs = json.loads(pathlib.Path(sys.argv[1]).read_text())
    root = pathlib.Path(sys.argv[2])
    out = {k: v["value"] for k, v in outputs.items()}

    # ---- hub-role policies, per partition.
    hub = out["hub"]
    hub_trust("hub aws trust", doc(hub["aws"]["trust"]), "arn:aws:iam::111111111111:saml-provider/okta",
              "https://signin.aws.amazon.com/saml")
    hub_assume("hub aws assume", doc(hub["aws"]["assume"]),
               ["arn:aws:iam::222222222222:role/Administrator", "arn:aws:iam::333333333333:role/ReadOnly"])
    hub_trust("hub without spokes trust", doc(hub["no_spokes"]["trust"]),
              "arn:aws:iam::111111111111:saml-provider/okta", "https://signin.aws.amazon.com/saml")
    eq("hub without spokes: no assume policy", hub["no_spokes"]["assume"], None)
    hub_trust("hub us-gov trust", doc(hub["gov"]["trust"]),
              "arn:aws-us-gov:iam::012345678901:saml-provider/agency-okta",
              "https://signin.amazonaws-us-gov.com/saml", ("sts:TagSession", "sts:SetSourceIdentity"))
    hub_assume("hub us-gov assume", doc(hub["gov"]["assume"]),
               ["arn:aws-us-gov:iam::098765432109:role/teams/Auditor"], ("sts:TagSession", "sts:SetSourceIdentity"))
    hub_trust("hub cn trust", doc(hub["cn"]["trust"]), "arn:aws-cn:iam::123456789012:saml-provider/okta",
              "https://signin.amazonaws.cn/saml")
    hub_assume("hub cn assume", doc(hub["cn"]["assume"]), ["arn:aws-cn:iam::210987654321:role/ReadOnly"])
    oidc = doc(hub["oidc"]["trust"])
    least_privilege("hub oidc trust", oidc)
    issuer = "example.okta.com/oauth2/aus1awshub"
    eq("hub oidc trust: statement", oidc["Statement"][0], {
        "Sid": "OktaOidcFederation",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{issuer}"},
        "Action": ["sts:AssumeRoleWithWebIdentity"],
        "Condition": {"StringEquals": {
            f"{issuer}:aud": ["0oa1awsoktacli"],
            f"{issuer}:sub": ["00u1alice", "00u1bob"],
        }},
    })
    check("hub oidc trust: no wildcard in conditions",
          not any("*" in x or "?" in x for x in walk_strings(oidc["Statement"][0]["Condition"])))
    hub_assume("hub oidc assume", doc(hub["oidc"]["assume"]), ["arn:aws:iam::222222222222:role/Administrator"])

    # ---- spoke-role policies.
    spoke = out["spoke"]
    spoke_trust("spoke aws", doc(spoke["aws"]), "aws", "111111111111",
                ["arn:aws:iam::111111111111:role/team-oncall", "arn:aws:iam::111111111111:role/team-product"])
    spoke_trust("spoke us-gov", doc(spoke["gov"]), "aws-us-gov", "012345678901",
                ["arn:aws-us-gov:iam::012345678901:role/teams/Security"],
                ("sts:TagSession", "sts:SetSourceIdentity"), source_identity=True)
    spoke_trust("spoke cn", doc(spoke["cn"]), "aws-cn", "123456789012",
                ["arn:aws-cn:iam::123456789012:role/team-oncall"])

    # ---- the example's per-account selection of the generated org.
    org_json = json.loads((root / "team-configs/generated/terraform.json").read_text())
    org = out["org"]
    h = org["hub"]
    eq("org hub: is_hub", h["is_hub"], True)
    eq("org hub: account", (h["account_id"], h["region"]), ("111111111111", "us-east-1"))
    eq("org hub: no spoke roles", h["spoke_roles"], {})
    eq("org hub: one role per team", sorted(h["hub_roles"]), sorted(org_json["teams"]))
    for team, t in org_json["teams"].items():
        r = h["hub_roles"][team]
        eq(f"org hub {team}: role", (r["name"], r["policy_arns"], r["assumable_role_arns"], r["max_session_duration"]),
           (t["hub_role_name"], t["policy_arns"], t["assumable_role_arns"], t["max_session_duration"]))
    eq("org hub: finance is hub-only with billing read access", (h["hub_roles"]["finance"]["assumable_role_arns"],
                                                                 "arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess" in h["hub_roles"]["finance"]["policy_arns"]),
       ([], True))
    for name, acct, roles in (("dev", "222222222222", ["Administrator", "Developer", "ReadOnly"]),
                              ("prod", "444444444444", ["Administrator", "ReadOnly"])):
        o = org[name]
        eq(f"org {name}: not hub", o["is_hub"], False)
        eq(f"org {name}: account id", o["account_id"], acct)
        eq(f"org {name}: hub account id", o["hub_account_id"], "111111111111")
        eq(f"org {name}: no hub roles", o["hub_roles"], {})
        eq(f"org {name}: roles", sorted(o["spoke_roles"]), roles)
    eq("org prod Administrator: only on-call", org["prod"]["spoke_roles"]["Administrator"]["trusted_hub_role_names"], ["team-oncall"])
    eq("org dev ReadOnly: on-call and product", org["dev"]["spoke_roles"]["ReadOnly"]["trusted_hub_role_names"], ["team-oncall", "team-product"])
    g = org["gov_hub"]
    eq("org us-gov hub", (g["is_hub"], g["partition"], g["role_path"], g["require_source_identity"], g["saml_provider"]["arn"]),
       (True, "aws-us-gov", "/teams/", True, "arn:aws-us-gov:iam::012345678901:saml-provider/agency-okta"))
    eq("org us-gov workloads", (org["gov_workloads"]["account_id"], sorted(org["gov_workloads"]["spoke_roles"])),
       ("098765432109", ["Auditor", "Deployer"]))

    # ---- end to end: the profiles in team-configs/teams/*.config against the policies built
    # from the same org (hub: every team; prod: every role).
    pol = out["org_policies"]
    saml_arn = org_json["saml_provider"]["arn"]
    for team, p in pol["hub_teams"].items():
        hub_trust(f"example hub {team} trust", doc(p["trust"]), saml_arn, "https://signin.aws.amazon.com/saml")
        arns = org_json["teams"][team]["assumable_role_arns"]
        if arns:
            hub_assume(f"example hub {team} assume", doc(p["assume"]), sorted(arns))
        else:
            eq(f"example hub {team}: no assume policy", p["assume"], None)
    prod_trust = {}
    for role, text in pol["prod_roles"].items():
        names = org_json["spokes"]["prod"]["roles"][role]["trusted_hub_role_names"]
        arns = sorted(f"arn:aws:iam::111111111111:role/{n}" for n in names)
        spoke_trust(f"example prod {role}", doc(text), "aws", "111111111111", arns)
        prod_trust[f"arn:aws:iam::444444444444:role/{role}"] = arns

    teams_dir = root / "team-configs/teams"
    configs = sorted(teams_dir.glob("*.config"))
    eq("one team config per team", sorted(c.stem for c in configs), sorted(org_json["teams"]))
    for path in configs:
        team = path.stem
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(path)
        hub_profile = f"profile {team}-hub"
        check(f"{team}.config: has [{hub_profile}]", cp.has_section(hub_profile))
        if not cp.has_section(hub_profile):
            continue
        # SDK-native profiles (what `config generate` writes): the chain keys are aws-okta's
        # own (okta_role_arn, okta_source_profile); AWS SDKs use credential_process.
        hub_arn = cp[hub_profile]["okta_role_arn"]
        eq(f"{team}.config: hub has no role_arn an SDK would assume", cp[hub_profile].get("role_arn"), None)
        eq(f"{team}.config: hub credential_process", cp[hub_profile].get("credential_process"),
           f"aws-okta cred-process {team}-hub")
        eq(f"{team}.config: hub role", hub_arn, f"arn:aws:iam::111111111111:role/{org_json['teams'][team]['hub_role_name']}")
        check(f"{team}.config: [okta] aws_saml_url", cp.has_option("okta", "aws_saml_url"))
        assume = doc(pol["hub_teams"][team]["assume"])
        allowed = set(assume["Statement"][0]["Resource"]) if assume else set()
        spoke_profiles = [s for s in cp.sections() if s.startswith("profile ") and s != hub_profile]
        eq(f"{team}.config: one profile per assumable role", sorted(cp[s]["okta_role_arn"] for s in spoke_profiles), sorted(allowed))
        for s in spoke_profiles:
            arn = cp[s]["okta_role_arn"]
            eq(f"{team}.config [{s}]: chains from the hub profile", cp[s].get("okta_source_profile"), f"{team}-hub")
            eq(f"{team}.config [{s}]: credential_process", cp[s].get("credential_process"),
               f"aws-okta cred-process {s.removeprefix('profile ')}")
            check(f"{team}.config [{s}]: hub role may assume {arn}", arn in allowed)
            if arn in prod_trust:
                check(f"{team}.config [{s}]: {arn} trusts {hub_arn}", hub_arn in prod_trust[arn], prod_trust[arn])

    print(f"policies: {PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
