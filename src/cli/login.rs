use super::Global;
use crate::browser::{Browser, Choice};
use crate::config::{keys, ConfigFile, Section};
use crate::federation::{self, ConsoleService, Partition};
use crate::okta::OktaAccount;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: super::PickProfileArgs,
    /// Console page to open, e.g. /s3/home (in the profile's region).
    #[arg(long, conflicts_with_all = ["destination", "service"])]
    path: Option<String>,
    /// Full console URL to open instead of the console home.
    #[arg(long, conflicts_with = "service")]
    destination: Option<String>,
    /// Console of a service: s3, ec2, cloudwatch, iam, lambda, cloudformation, ... (the right
    /// console host for the role's partition; IAM is global) [config: okta_console_service].
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
    /// Region the console opens in [default: the profile's region].
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Open it in this browser: chrome, chromium, brave, edge or firefox [config:
    /// okta_console_browser; default: the system's browser].
    #[arg(long, value_name = "NAME")]
    browser: Option<String>,
    /// The browser's profile: Chrome/Chromium/Brave/Edge profile directory (`Default`,
    /// `Profile 1`), Firefox profile name [config: okta_console_browser_profile].
    #[arg(long, value_name = "NAME")]
    browser_profile: Option<String>,
    /// Open it in this Firefox container (needs the "Open external links in a container"
    /// add-on) [config: okta_console_container].
    #[arg(long, value_name = "NAME")]
    container: Option<String>,
    /// Print the sign-in URL instead of opening a browser (scripts, SSH sessions).
    #[arg(long)]
    stdout: bool,
}

impl Args {
    pub fn flags(&self) -> &super::CredentialFlags {
        &self.target.flags
    }
}

/// A console setting: the flag, else the target profile's key, else the `[okta]` section's.
fn setting(
    flag: &Option<String>,
    section: Option<&Section>,
    cfg: &ConfigFile,
    key: &str,
) -> Option<String> {
    flag.clone()
        .or_else(|| section.and_then(|s| s.get(key)).map(str::to_string))
        .or_else(|| cfg.okta.get(key).map(str::to_string))
        .filter(|v| !v.trim().is_empty())
}

/// The browser, profile and container: flags first, then the config's defaults. A browser
/// chosen on the command line drops the profile configured for another browser (a Chrome
/// profile directory means nothing to Firefox) and, unless it is Firefox, the container.
fn browser_choice(
    flags: [&Option<String>; 3],
    section: Option<&Section>,
    cfg: &ConfigFile,
) -> Result<Choice> {
    let [browser_flag, profile_flag, container_flag] = flags;
    let none = None;
    let configured = setting(&none, section, cfg, keys::OKTA_CONSOLE_BROWSER)
        .map(|b| b.parse::<Browser>())
        .transpose()?;
    let flagged = browser_flag
        .as_deref()
        .map(str::parse::<Browser>)
        .transpose()?;
    let browser = flagged.or(configured);
    let other_browser = flagged.is_some() && configured.is_some() && flagged != configured;
    let profile = match profile_flag {
        Some(p) => Some(p.clone()),
        None if other_browser => None,
        None => setting(&none, section, cfg, keys::OKTA_CONSOLE_BROWSER_PROFILE),
    };
    let container = match container_flag {
        Some(c) => Some(c.clone()),
        None if flagged.is_some() && flagged != Some(Browser::Firefox) => None,
        None => setting(&none, section, cfg, keys::OKTA_CONSOLE_CONTAINER),
    };
    Choice {
        browser,
        profile,
        container,
    }
    .settle()
}

pub fn run(global: &Global, args: Args) -> Result<i32> {
    let wanted = args.target.resolve("login")?;
    let cfg = global.load_config()?;
    let chain = global.chain(&cfg, &wanted)?;
    // A profile with its own aws_saml_url opens that Okta app (Okta's console role picker).
    let target = match wanted.role {
        Some(_) => None,
        None => cfg.profile(&chain.target)?,
    };
    let choice = browser_choice(
        [&args.browser, &args.browser_profile, &args.container],
        target.as_ref(),
        &cfg,
    )?;
    // Checked before any login: a typo costs no push.
    let service = match (&args.path, &args.destination) {
        (None, None) => setting(
            &args.service,
            target.as_ref(),
            &cfg,
            keys::OKTA_CONSOLE_SERVICE,
        )
        .map(|s| ConsoleService::lookup(&s))
        .transpose()?,
        _ => None,
    };
    let region = args.region.clone().or_else(|| chain.region.clone());
    let own_saml_url = target.as_ref().and_then(|p| p.get("aws_saml_url"));
    // Whether the URL carries a console sign-in token (a bearer secret for 15 minutes).
    let secret = own_saml_url.is_none();
    let url = match own_saml_url {
        Some(path) => {
            let account = OktaAccount::load(
                global.keychain()?.as_ref(),
                chain.okta.account_name.as_deref(),
            )?;
            // Opened with the system opener: only an https page on the org, never a file,
            // program or another host named by a shared config file.
            crate::okta::origin::OktaOrigin::new(account.base_url)
                .config_url("aws_saml_url", path)?
        }
        None => {
            let creds = global.chain_credentials(&chain, wanted.no_cache)?;
            let partition =
                Partition::of_arn(chain.final_role_arn().unwrap_or(&creds.assumed_role_arn));
            let destination = match (&args.destination, &service) {
                (Some(d), _) => d.clone(),
                (None, Some(service)) => partition.service_destination(service, region.as_deref()),
                (None, None) => partition.destination(region.as_deref(), args.path.as_deref()),
            };
            let endpoint = partition.federation_endpoint()?;
            let token = federation::signin_token(&endpoint, &creds)?;
            federation::login_url(&endpoint, &destination, &token)
        }
    };
    if args.stdout {
        println!("{url}");
        return Ok(0);
    }
    let page = choice.target(url.as_str());
    let opened = if secret {
        open_privately(&page, &choice)
    } else if choice.is_default() {
        open::that(&page).map_err(|e| e.to_string())
    } else {
        choice.open(&page)
    };
    if let Err(e) = opened {
        crate::notice!("aws-okta: cannot open a browser ({e}); open this URL yourself:");
        println!("{url}");
    }
    Ok(0)
}

/// How long a sign-in page file is kept: the federation sign-in token's own lifetime.
const SIGNIN_FILE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Opens the sign-in URL without putting it in any process's arguments (the opener, the
/// browser), where every local user can read it (`ps`, `/proc/<pid>/cmdline`): the URL goes
/// into a 0600 page in aws-okta's private state directory that redirects to it, and the
/// browser is given that file's path. Pages older than the token's lifetime are removed.
/// `url` may be the `ext+container:` URL that carries the sign-in URL into a Firefox
/// container: the page redirects there instead.
fn open_privately(url: &str, choice: &Choice) -> std::result::Result<(), String> {
    use std::io::Write;
    let dir = crate::paths::state_dir().join("signin");
    crate::fsutil::private_state_dir(&dir).map_err(|e| e.to_string())?;
    remove_stale_pages(&dir);
    let mut name = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut name);
    let path = dir.join(format!("{}.html", hex::encode(name)));
    let page = redirect_page(url);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| e.to_string())?;
    file.write_all(page.as_bytes()).map_err(|e| e.to_string())?;
    drop(file);
    if choice.is_default() {
        open::that(&path).map_err(|e| e.to_string())
    } else {
        choice.open(&path.to_string_lossy())
    }
}

/// The page that sends the browser on to `url` (also a link, for a browser that does not
/// follow the refresh to an `ext+container:` URL by itself).
fn redirect_page(url: &str) -> String {
    let escaped = html_escape::encode_double_quoted_attribute(url);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={escaped}\"><title>aws-okta</title></head>\
         <body><a href=\"{escaped}\">Open the AWS console</a></body></html>\n"
    )
}

fn remove_stale_pages(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > SIGNIN_FILE_LIFETIME);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("config"), text).unwrap()
    }

    fn choice(cfg: &ConfigFile, profile: &str, flags: [Option<&str>; 3]) -> Result<Choice> {
        let section = cfg.profile(profile).unwrap();
        let [b, p, c] = flags.map(|f| f.map(str::to_string));
        browser_choice([&b, &p, &c], section.as_ref(), cfg)
    }

    const CONFIG: &str = "[okta]\nokta_console_browser = chrome\n\
        [profile prod]\nokta_console_browser_profile = Profile 3\n\
        [profile sandbox]\nokta_console_browser = firefox\nokta_console_container = sandbox\n";

    #[test]
    fn console_defaults_come_from_the_profile_then_okta_and_flags_win() {
        let cfg = cfg(CONFIG);
        let prod = choice(&cfg, "prod", [None, None, None]).unwrap();
        assert_eq!(prod.browser, Some(Browser::Chrome));
        assert_eq!(prod.profile.as_deref(), Some("Profile 3"));
        assert_eq!(prod.container, None);
        let sandbox = choice(&cfg, "sandbox", [None, None, None]).unwrap();
        assert_eq!(
            (sandbox.browser, sandbox.container.as_deref()),
            (Some(Browser::Firefox), Some("sandbox"))
        );
        // Another browser on the command line drops the configured profile and container.
        let brave = choice(&cfg, "prod", [Some("brave"), None, None]).unwrap();
        assert_eq!((brave.browser, brave.profile), (Some(Browser::Brave), None));
        let chrome = choice(&cfg, "sandbox", [Some("chrome"), None, None]).unwrap();
        assert_eq!(
            (chrome.browser, chrome.container),
            (Some(Browser::Chrome), None)
        );
        // A container on the command line is Firefox whatever the config's browser.
        let err = choice(&cfg, "prod", [None, None, Some("x")]).unwrap_err();
        assert!(err.to_string().contains("Firefox container"), "{err}");
        let ff = choice(&cfg, "prod", [Some("firefox"), Some("work"), Some("x")]).unwrap();
        assert_eq!(
            (ff.browser, ff.profile.as_deref(), ff.container.as_deref()),
            (Some(Browser::Firefox), Some("work"), Some("x"))
        );
        // Nothing configured: the system's opener.
        let plain = cfg_none();
        assert!(choice(&plain, "p", [None, None, None])
            .unwrap()
            .is_default());
    }

    fn cfg_none() -> ConfigFile {
        cfg("[profile p]\nregion = us-east-1\n")
    }

    #[test]
    fn the_container_page_redirects_to_the_ext_container_url_only() {
        let signin = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret";
        let target = Choice {
            container: Some("prod".into()),
            ..Choice::default()
        }
        .settle()
        .unwrap()
        .target(signin);
        let page = redirect_page(&target);
        assert!(
            page.contains("content=\"0;url=ext+container:name=prod&amp;url=https%3A%2F%2Fsignin.aws.amazon.com"),
            "{page}"
        );
    }
}
