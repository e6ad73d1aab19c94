//! AWS console sign-in from temporary credentials (the federation endpoint's
//! `getSigninToken` + `login` actions), for the partition the role lives in.
use crate::credentials::Credentials;
use crate::{Error, Result};
use url::Url;

/// Sign-in and console hosts of an AWS partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub signin_host: &'static str,
    pub console_host: &'static str,
    /// Commercial AWS has per-region console hosts (`us-west-2.console.aws.amazon.com`).
    pub regional_console: bool,
}

impl Partition {
    /// From any ARN (`arn:<partition>:...`); commercial AWS when unknown.
    pub fn of_arn(arn: &str) -> Partition {
        match arn.split(':').nth(1) {
            Some("aws-us-gov") => Partition {
                signin_host: "signin.amazonaws-us-gov.com",
                console_host: "console.amazonaws-us-gov.com",
                regional_console: false,
            },
            Some("aws-cn") => Partition {
                signin_host: "signin.amazonaws.cn",
                console_host: "console.amazonaws.cn",
                regional_console: false,
            },
            _ => Partition {
                signin_host: "signin.aws.amazon.com",
                console_host: "console.aws.amazon.com",
                regional_console: true,
            },
        }
    }

    /// The console page to land on: `path` (default the console home) in `region`.
    pub fn destination(&self, region: Option<&str>, path: Option<&str>) -> String {
        let path = path.map_or("/console/home".to_string(), |p| {
            format!("/{}", p.trim_start_matches('/'))
        });
        match region {
            Some(region) => {
                let host = if self.regional_console {
                    format!("{region}.{}", self.console_host)
                } else {
                    self.console_host.to_string()
                };
                let separator = if path.contains('?') { '&' } else { '?' };
                format!("https://{host}{path}{separator}region={region}")
            }
            None => format!("https://{}{path}", self.console_host),
        }
    }

    /// `https://<signin host>/federation` of the partition. The credentials themselves go
    /// there, so only builds with the `test-hooks` feature (the test suite's) let
    /// `AWS_OKTA_FEDERATION_ENDPOINT` point elsewhere.
    pub fn federation_endpoint(&self) -> Result<Url> {
        let real = format!("https://{}/federation", self.signin_host);
        #[cfg(feature = "test-hooks")]
        let text = match std::env::var("AWS_OKTA_FEDERATION_ENDPOINT") {
            Ok(v) if !v.is_empty() => v,
            _ => real,
        };
        #[cfg(not(feature = "test-hooks"))]
        let text = real;
        crate::config::urls::hooked_endpoint(
            "AWS_OKTA_FEDERATION_ENDPOINT",
            "federation endpoint",
            &text,
        )
    }
}

/// A console shortcut for `login --service NAME`: where the service's console lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleService {
    pub name: &'static str,
    /// The console path (`/s3/home`).
    pub path: &'static str,
    /// A global service (IAM, Route 53, billing): no regional host, no `region=`.
    pub global: bool,
}

/// The console shortcuts `login --service` knows, by the name users type.
pub const CONSOLE_SERVICES: &[ConsoleService] = &[
    ConsoleService {
        name: "console",
        path: "/console/home",
        global: false,
    },
    ConsoleService {
        name: "s3",
        path: "/s3/home",
        global: false,
    },
    ConsoleService {
        name: "ec2",
        path: "/ec2/home",
        global: false,
    },
    ConsoleService {
        name: "vpc",
        path: "/vpc/home",
        global: false,
    },
    ConsoleService {
        name: "cloudwatch",
        path: "/cloudwatch/home",
        global: false,
    },
    ConsoleService {
        name: "cloudtrail",
        path: "/cloudtrail/home",
        global: false,
    },
    ConsoleService {
        name: "cloudformation",
        path: "/cloudformation/home",
        global: false,
    },
    ConsoleService {
        name: "lambda",
        path: "/lambda/home",
        global: false,
    },
    ConsoleService {
        name: "rds",
        path: "/rds/home",
        global: false,
    },
    ConsoleService {
        name: "dynamodb",
        path: "/dynamodbv2/home",
        global: false,
    },
    ConsoleService {
        name: "ecs",
        path: "/ecs/home",
        global: false,
    },
    ConsoleService {
        name: "eks",
        path: "/eks/home",
        global: false,
    },
    ConsoleService {
        name: "sqs",
        path: "/sqs/v2/home",
        global: false,
    },
    ConsoleService {
        name: "sns",
        path: "/sns/v3/home",
        global: false,
    },
    ConsoleService {
        name: "kms",
        path: "/kms/home",
        global: false,
    },
    ConsoleService {
        name: "secretsmanager",
        path: "/secretsmanager/home",
        global: false,
    },
    ConsoleService {
        name: "ssm",
        path: "/systems-manager/home",
        global: false,
    },
    ConsoleService {
        name: "iam",
        path: "/iam/home",
        global: true,
    },
    ConsoleService {
        name: "route53",
        path: "/route53/v2/home",
        global: true,
    },
    ConsoleService {
        name: "billing",
        path: "/billing/home",
        global: true,
    },
];

impl ConsoleService {
    /// The shortcut called `name` (case-insensitive); a usage error names the known ones.
    pub fn lookup(name: &str) -> Result<ConsoleService> {
        let wanted = name.trim().to_ascii_lowercase();
        CONSOLE_SERVICES
            .iter()
            .find(|s| s.name == wanted)
            .copied()
            .ok_or_else(|| {
                let known: Vec<&str> = CONSOLE_SERVICES.iter().map(|s| s.name).collect();
                Error::Usage(format!(
                    "unknown console service '{name}': use one of {} (or --path /SERVICE/home)",
                    known.join(", ")
                ))
            })
    }
}

impl Partition {
    /// The console page of `service` in `region` (a global service ignores the region).
    pub fn service_destination(&self, service: &ConsoleService, region: Option<&str>) -> String {
        let region = if service.global { None } else { region };
        self.destination(region, Some(service.path))
    }
}

/// Exchanges temporary credentials for a console sign-in token.
pub fn signin_token(endpoint: &Url, creds: &Credentials) -> Result<String> {
    let session = serde_json::json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": creds.session_token,
    })
    .to_string();
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("Action", "getSigninToken")
        .append_pair("Session", &session);
    let runtime = crate::runtime::current_thread()?;
    let host = endpoint.host_str().unwrap_or("?").to_string();
    runtime.block_on(async {
        let client = signin_client(endpoint)?;
        tracing::debug!(endpoint = %crate::redact::url(url.as_str()), "federation getSigninToken");
        let response = client
            .get(url)
            .send()
            .await
            // Without the URL: its query holds the credentials themselves.
            .map_err(|e| match crate::tls::certificate_problem(&e) {
                Some(problem) => problem.error("AWS federation endpoint", &host),
                None => {
                    let e = e.without_url();
                    Error::network_caused(
                        format!("cannot reach the AWS federation endpoint ({host}): {e}"),
                        e,
                    )
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Federation(format!(
                "the AWS federation endpoint ({host}) answered HTTP {status}: the credentials were not accepted for console sign-in"
            )));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| Error::Federation(format!("the AWS federation endpoint ({host}) sent no JSON ({})", e.without_url())))?;
        body.get("SigninToken")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::Federation(format!("the AWS federation endpoint ({host}) answered without a SigninToken")))
    })
}

/// The URL that signs the browser in and lands on `destination`.
pub fn login_url(endpoint: &Url, destination: &str, token: &str) -> Url {
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", "aws-okta")
        .append_pair("Destination", destination)
        .append_pair("SigninToken", token);
    url
}

/// The client for AWS's sign-in hosts (federation `getSigninToken`, the SAML sign-in page):
/// aws-okta's trusted roots, https except on loopback (tests), and no redirect followed. What
/// it sends is a bearer secret (credentials, a SAML assertion); a 307 or 308 would send it
/// again to wherever it points, and neither endpoint answers with a redirect.
pub(crate) fn signin_client(endpoint: &Url) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(crate::tls::client_config()?)
        .user_agent(crate::USER_AGENT)
        .timeout(std::time::Duration::from_secs(30))
        .https_only(!crate::config::urls::is_loopback(endpoint))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::network(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_per_partition_and_region() {
        let aws = Partition::of_arn("arn:aws:sts::1:assumed-role/r/s");
        assert_eq!(
            aws.destination(Some("us-west-2"), None),
            "https://us-west-2.console.aws.amazon.com/console/home?region=us-west-2"
        );
        assert_eq!(
            aws.destination(None, None),
            "https://console.aws.amazon.com/console/home"
        );
        assert_eq!(
            aws.destination(Some("eu-west-1"), Some("s3/home")),
            "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        let gov = Partition::of_arn("arn:aws-us-gov:iam::1:role/r");
        assert_eq!(
            gov.destination(Some("us-gov-west-1"), None),
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"
        );
        assert_eq!(gov.signin_host, "signin.amazonaws-us-gov.com");
        let cn = Partition::of_arn("arn:aws-cn:iam::1:role/r");
        assert_eq!(
            cn.destination(Some("cn-north-1"), Some("/ec2/home?x=1")),
            "https://console.amazonaws.cn/ec2/home?x=1&region=cn-north-1"
        );
    }

    #[test]
    fn service_shortcuts_per_partition() {
        let s3 = ConsoleService::lookup("s3").unwrap();
        let iam = ConsoleService::lookup("IAM").unwrap();
        let aws = Partition::of_arn("arn:aws:iam::1:role/r");
        assert_eq!(
            aws.service_destination(&s3, Some("eu-west-1")),
            "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            aws.service_destination(&s3, None),
            "https://console.aws.amazon.com/s3/home"
        );
        // IAM is global: no regional host, no region parameter, whatever region is asked for.
        assert_eq!(
            aws.service_destination(&iam, Some("eu-west-1")),
            "https://console.aws.amazon.com/iam/home"
        );
        let gov = Partition::of_arn("arn:aws-us-gov:iam::1:role/r");
        assert_eq!(
            gov.service_destination(
                &ConsoleService::lookup("ec2").unwrap(),
                Some("us-gov-east-1")
            ),
            "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1"
        );
        assert_eq!(
            gov.service_destination(&iam, Some("us-gov-west-1")),
            "https://console.amazonaws-us-gov.com/iam/home"
        );
        let cn = Partition::of_arn("arn:aws-cn:iam::1:role/r");
        assert_eq!(
            cn.service_destination(
                &ConsoleService::lookup("cloudwatch").unwrap(),
                Some("cn-northwest-1")
            ),
            "https://console.amazonaws.cn/cloudwatch/home?region=cn-northwest-1"
        );
        assert_eq!(
            cn.service_destination(
                &ConsoleService::lookup("lambda").unwrap(),
                Some("cn-north-1")
            ),
            "https://console.amazonaws.cn/lambda/home?region=cn-north-1"
        );
        assert_eq!(
            aws.service_destination(
                &ConsoleService::lookup("cloudformation").unwrap(),
                Some("us-west-2")
            ),
            "https://us-west-2.console.aws.amazon.com/cloudformation/home?region=us-west-2"
        );
        assert_eq!(
            aws.service_destination(
                &ConsoleService::lookup("dynamodb").unwrap(),
                Some("us-east-1")
            ),
            "https://us-east-1.console.aws.amazon.com/dynamodbv2/home?region=us-east-1"
        );
        let err = ConsoleService::lookup("s4").unwrap_err();
        assert!(err.to_string().contains("s3, ec2"), "{err}");
        // Every shortcut is a plain path: the region parameter is appended to it.
        for service in CONSOLE_SERVICES {
            assert!(service.path.starts_with('/') && !service.path.contains(['?', '#']));
        }
    }

    #[test]
    fn login_url_encodes_the_destination() {
        let endpoint = Url::parse("https://signin.aws.amazon.com/federation").unwrap();
        let url = login_url(
            &endpoint,
            "https://console.aws.amazon.com/console/home?region=a",
            "tok",
        );
        assert_eq!(
            url.as_str(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=aws-okta&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Da&SigninToken=tok"
        );
    }
}
