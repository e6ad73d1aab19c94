//! Command-line interface: one file per command, each thin (parse, call the library, print).
//! The edge of the program: flags are parsed and the environment is read here, once, into
//! [`Settings`] and [`LoginOptions`], which the library below takes as arguments.
mod add;
mod cache;
mod completion;
mod config;
mod cred_process;
mod doctor;
mod each;
mod env;
mod env_format;
mod exec;
mod list;
mod login;
mod logout;
mod man;
mod pick;
mod roles;
mod write_credentials;

use crate::config::{Chain, ConfigFile};
use crate::credentials::Credentials;
use crate::keychain::{self, Backend, Keychain};
use crate::okta::factors::FactorChoice;
use crate::provider::{self, LoginOptions};
use crate::settings::Settings;
use crate::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aws-okta",
    version,
    about = "Temporary AWS credentials through Okta, for hub-and-spoke AWS accounts"
)]
pub struct Cli {
    /// Log each step to stderr (secrets are redacted).
    #[arg(long, global = true)]
    pub debug: bool,

    /// Accepted before the command too (`aws-okta --backend file exec prod`, as segmentio's
    /// aws-okta did), but listed only in the help of the commands that use them.
    #[command(flatten)]
    pub compat: CredentialFlags,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store the Okta domain, username and password in the keychain.
    Add(add::Args),
    /// Run a command with the profile's credentials in its environment.
    Exec(exec::Args),
    /// Print the profile's credentials as shell lines (`export`, or --format fish, powershell, ...).
    Env(env::Args),
    /// Print credentials in the AWS `credential_process` JSON format.
    CredProcess(cred_process::Args),
    /// List the profiles of the config file with their roles and sources.
    List(list::Args),
    /// Open the AWS console in the browser, signed in as the profile's role.
    Login(login::Args),
    /// List the roles Okta's AWS app offers you: account id, account name, role, profiles.
    Roles(roles::Args),
    /// Run a command once per matching profile, in parallel, after one Okta login.
    Each(each::Args),
    /// Write the profile's credentials into ~/.aws/credentials (or FILE).
    WriteToCredentials(write_credentials::Args),
    /// Show or clear what is cached.
    #[command(subcommand)]
    Cache(cache::Command),
    /// Forget Okta sessions and cached credentials (--all: also the stored passwords).
    Logout(logout::Args),
    /// Team configs: generate them from the source of truth, install one, validate a file.
    #[command(subcommand)]
    Config(config::Command),
    /// Check the config, keychain, Okta org, clock, STS, cache and locks: one line each, with the fix.
    Doctor(doctor::Args),
    /// Print a shell completion script (profile names complete from your config).
    Completion(completion::Args),
    /// Print the man page (roff).
    Man,
}

/// Which keychain, for the commands that read or write it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeychainFlags {
    /// Keychain backend: secret-service, keyutils, keychain, wincred or file.
    #[arg(long, env = "AWS_OKTA_BACKEND", value_name = "NAME")]
    pub backend: Option<String>,
}

/// How to log in, for the commands that may log in to Okta.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LoginFlags {
    /// MFA provider to use (e.g. OKTA, GOOGLE), overriding mfa_provider in the config.
    #[arg(long, env = "AWS_OKTA_MFA_PROVIDER", value_name = "PROVIDER")]
    pub mfa_provider: Option<String>,

    /// MFA factor type to use (e.g. push, token:software:totp), overriding mfa_factor_type.
    #[arg(long, env = "AWS_OKTA_MFA_FACTOR_TYPE", value_name = "TYPE")]
    pub mfa_factor_type: Option<String>,

    /// Duo device to push to (phone1, phone2, ...) or `passcode`, overriding mfa_duo_device;
    /// with the Duo Universal Prompt also `Phone Call`, `Passcode`, or `phone2:Phone Call`.
    #[arg(long, env = "AWS_OKTA_MFA_DUO_DEVICE", value_name = "DEVICE")]
    pub mfa_duo_device: Option<String>,

    /// Login flow: auto, classic, direct or device (Okta Identity Engine), over okta_auth_flow.
    #[arg(long, env = "AWS_OKTA_AUTH_FLOW", value_name = "FLOW")]
    pub auth_flow: Option<String>,

    /// Do not open a browser for the device flow: print the address and code only.
    #[arg(long, env = "AWS_OKTA_NO_BROWSER")]
    pub no_browser: bool,
}

/// Keychain and login flags together: what the credential commands take.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CredentialFlags {
    #[command(flatten)]
    pub keychain: KeychainFlags,
    #[command(flatten)]
    pub login: LoginFlags,
}

impl CredentialFlags {
    pub fn keychain_only(keychain: &KeychainFlags) -> CredentialFlags {
        CredentialFlags {
            keychain: keychain.clone(),
            login: LoginFlags::default(),
        }
    }

    /// These flags where given, else `fallback`'s (the ones given before the command).
    fn or(&self, fallback: &CredentialFlags) -> CredentialFlags {
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        CredentialFlags {
            keychain: KeychainFlags {
                backend: pick(&self.keychain.backend, &fallback.keychain.backend),
            },
            login: LoginFlags {
                mfa_provider: pick(&self.login.mfa_provider, &fallback.login.mfa_provider),
                mfa_factor_type: pick(&self.login.mfa_factor_type, &fallback.login.mfa_factor_type),
                mfa_duo_device: pick(&self.login.mfa_duo_device, &fallback.login.mfa_duo_device),
                auth_flow: pick(&self.login.auth_flow, &fallback.login.auth_flow),
                no_browser: self.login.no_browser || fallback.login.no_browser,
            },
        }
    }
}

/// Ids of the flags in [`CredentialFlags`], hidden from the top-level help.
const COMPAT_FLAG_IDS: &[&str] = &[
    "backend",
    "mfa_provider",
    "mfa_factor_type",
    "mfa_duo_device",
    "auth_flow",
    "no_browser",
];

/// The command line definition: [`Cli`] with the flags accepted before the command hidden
/// from the top-level help (each command lists the ones it uses).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    COMPAT_FLAG_IDS
        .iter()
        .fold(Cli::command(), |cmd, id| cmd.mut_arg(*id, |a| a.hide(true)))
}

/// Parses the process's arguments with [`command`].
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The profile argument, cache bypass and login flags shared by the credential commands.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// Profile in ~/.aws/config.
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(completion::profiles))]
    pub profile: String,
    /// Ignore cached credentials and the Okta session: log in afresh.
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten)]
    pub flags: CredentialFlags,
    /// `--role` instead of a profile (`exec`, `env`, `login`).
    #[arg(skip)]
    pub role: Option<RoleTarget>,
}

/// [`ProfileArgs`] for the commands a person runs by hand (`exec`, `env`, `login`): without a
/// PROFILE, a terminal shows a list to pick from (most recently used first); `--role` uses a
/// role of the SAML assertion with no profile at all.
#[derive(Debug, clap::Args)]
pub struct PickProfileArgs {
    /// Profile in ~/.aws/config [default on a terminal: pick from a list].
    #[arg(add = clap_complete::engine::ArgValueCompleter::new(completion::profiles))]
    pub profile: Option<String>,
    /// Ignore cached credentials and the Okta session: log in afresh.
    #[arg(long)]
    pub no_cache: bool,
    /// A role the SAML assertion offers, with no profile: its ARN, or a pattern (shell glob)
    /// matched against account-name/role-name, the account id and the role name (see
    /// `aws-okta roles`).
    #[arg(long, value_name = "ARN_OR_PATTERN", conflicts_with = "profile")]
    pub role: Option<String>,
    /// With --role: then assume this role with the first one's credentials.
    #[arg(long, value_name = "ARN", requires = "role")]
    pub assume: Option<String>,
    /// With --role: the Okta org, app and login of this profile [default: the [okta] section].
    #[arg(long, value_name = "PROFILE", requires = "role")]
    pub okta_profile: Option<String>,
    #[command(flatten)]
    pub flags: CredentialFlags,
}

/// `--role` and what goes with it.
#[derive(Debug, Clone)]
pub struct RoleTarget {
    pub role: String,
    pub assume: Option<String>,
    pub okta_profile: Option<String>,
}

impl PickProfileArgs {
    /// The profile given or picked, remembered as the most recently used one; or the role.
    pub fn resolve(self, command: &str) -> Result<ProfileArgs> {
        if let Some(role) = self.role {
            return Ok(ProfileArgs {
                profile: String::new(),
                no_cache: self.no_cache,
                flags: self.flags,
                role: Some(RoleTarget {
                    role,
                    assume: self.assume,
                    okta_profile: self.okta_profile,
                }),
            });
        }
        let profile = pick::profile(self.profile, command)?;
        pick::touch(&profile);
        Ok(ProfileArgs {
            profile,
            no_cache: self.no_cache,
            flags: self.flags,
            role: None,
        })
    }
}

impl Cli {
    pub fn run(self) -> Result<i32> {
        // The flags given after the command win over those given before it.
        let given = match &self.command {
            Command::Add(args) => Some(CredentialFlags::keychain_only(args.keychain())),
            Command::Exec(args) => Some(args.flags().clone()),
            Command::Env(args) => Some(args.flags().clone()),
            Command::CredProcess(args) => Some(args.flags().clone()),
            Command::Login(args) => Some(args.flags().clone()),
            Command::Roles(args) => Some(args.flags().clone()),
            Command::Each(args) => Some(args.flags().clone()),
            Command::WriteToCredentials(args) => Some(args.flags().clone()),
            Command::Cache(command) => Some(CredentialFlags::keychain_only(command.keychain())),
            Command::Logout(args) => Some(CredentialFlags::keychain_only(args.keychain())),
            Command::Doctor(args) => Some(CredentialFlags::keychain_only(args.keychain())),
            Command::List(_) | Command::Config(_) | Command::Completion(_) | Command::Man => None,
        };
        // The environment is read here, once, for the commands that log in or reach Okta;
        // a bad value fails before the keychain or the network is touched.
        let settings = match given {
            Some(_) => Settings::from_env()?,
            None => Settings::default(),
        };
        let flags = given.map_or_else(|| self.compat.clone(), |g| g.or(&self.compat));
        let global = Global {
            backend: flags.keychain.backend,
            factor: FactorChoice {
                provider: flags.login.mfa_provider,
                factor_type: flags.login.mfa_factor_type,
                duo_device: flags.login.mfa_duo_device,
                forget_device: !settings.remember_device,
            },
            auth_flow: flags.login.auth_flow,
            // The flag, or the environment says no browser can be opened here.
            no_browser: flags.login.no_browser || !settings.browser,
            settings,
        };
        match self.command {
            Command::Add(args) => add::run(&global, args),
            Command::Exec(args) => exec::run(&global, args),
            Command::Env(args) => env::run(&global, args),
            Command::CredProcess(args) => cred_process::run(&global, args),
            Command::List(args) => list::run(&global, args),
            Command::Login(args) => login::run(&global, args),
            Command::Roles(args) => roles::run(&global, args),
            Command::Each(args) => each::run(&global, args),
            Command::WriteToCredentials(args) => write_credentials::run(&global, args),
            Command::Cache(command) => cache::run(&global, command),
            Command::Logout(args) => logout::run(&global, args),
            Command::Config(command) => config::run(&global, command),
            Command::Doctor(args) => doctor::run(&global, args),
            Command::Completion(args) => completion::run(args),
            Command::Man => man::run(),
        }
    }
}

/// Options every command shares.
pub struct Global {
    backend: Option<String>,
    factor: FactorChoice,
    auth_flow: Option<String>,
    no_browser: bool,
    pub settings: Settings,
}

impl Global {
    pub fn backend(&self) -> Result<Backend> {
        match &self.backend {
            Some(name) if !name.is_empty() => name.parse(),
            _ => Ok(Backend::platform_default()),
        }
    }

    pub fn keychain(&self) -> Result<Box<dyn Keychain>> {
        keychain::open(self.backend()?)
    }

    pub fn load_config(&self) -> Result<ConfigFile> {
        ConfigFile::load(&crate::paths::config_file())
    }

    /// The chain of the profile, or of `--role` (whose pattern may need the assertion: the
    /// cached Okta session, or a login).
    pub fn chain(&self, cfg: &ConfigFile, args: &ProfileArgs) -> Result<Chain> {
        match &args.role {
            None => Chain::resolve(cfg, &args.profile),
            Some(target) => roles::chain(self, cfg, target, args.no_cache),
        }
    }

    /// Resolves the profile and gets its final credentials (cache first).
    pub fn credentials(&self, args: &ProfileArgs) -> Result<(Chain, Credentials)> {
        let chain = self.chain(&self.load_config()?, args)?;
        let creds = self.chain_credentials(&chain, args.no_cache)?;
        Ok((chain, creds))
    }

    pub fn chain_credentials(&self, chain: &Chain, no_cache: bool) -> Result<Credentials> {
        let keychain = self.keychain()?;
        self.chain_credentials_in(chain, keychain.as_ref(), no_cache)
    }

    /// [`Global::chain_credentials`] with a keychain the caller keeps using.
    pub fn chain_credentials_in(
        &self,
        chain: &Chain,
        keychain: &dyn Keychain,
        no_cache: bool,
    ) -> Result<Credentials> {
        let profile = chain.target.as_str();
        tracing::debug!(
            profile,
            hops = chain.hops.len() + 1,
            "resolved profile chain"
        );
        provider::credentials(chain, keychain, &self.login_options(no_cache)?)
    }

    /// The login flags, parsed: a bad `--auth-flow`/`AWS_OKTA_AUTH_FLOW` fails here, before
    /// the keychain or Okta is reached.
    pub fn login_options(&self, no_cache: bool) -> Result<LoginOptions> {
        Ok(LoginOptions {
            factor: self.factor.clone(),
            no_cache,
            auth_flow: self.auth_flow.as_deref().map(str::parse).transpose()?,
            no_browser: self.no_browser,
            settings: self.settings.clone(),
        })
    }
}

/// The variables a command run under a profile sees, and those it must not inherit.
pub fn credential_env(
    chain: &Chain,
    creds: &Credentials,
) -> (Vec<(&'static str, String)>, &'static [&'static str]) {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.clone()),
        ("AWS_SESSION_TOKEN", creds.session_token.clone()),
        ("AWS_SECURITY_TOKEN", creds.session_token.clone()),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            crate::credentials::rfc3339(&creds.expiration),
        ),
    ];
    if let Some(region) = &chain.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    vars.push(("AWS_OKTA_PROFILE", chain.target.clone()));
    vars.push(("AWS_OKTA_ASSUMED_ROLE_ARN", creds.assumed_role_arn.clone()));
    vars.push((
        "AWS_OKTA_SESSION_EXPIRATION",
        creds.expiration.timestamp().to_string(),
    ));
    const REMOVE: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CREDENTIAL_FILE"];
    (vars, REMOVE)
}

/// Three left-aligned columns separated by two spaces (`list`, `cache list`).
fn table(rows: &[[String; 3]]) -> String {
    let width = |col: usize| rows.iter().map(|r| r[col].len()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    rows.iter()
        .map(|row| format!("{:w0$}  {:w1$}  {}\n", row[0], row[1], row[2]))
        .collect()
}
