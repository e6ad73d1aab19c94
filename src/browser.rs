//! Opening a page in a chosen browser, browser profile or Firefox container (`login
//! --browser`, `--browser-profile`, `--container`), so consoles of several roles stay signed in
//! side by side.
//!
//! What goes on a command line is visible to every local user (`ps`, `/proc/<pid>/cmdline`):
//! the caller passes the path of a private redirect page for anything secret, never the
//! sign-in URL itself (see `cli::login::open_privately`).
use crate::{Error, Result};
use std::ffi::OsString;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chrome,
    Chromium,
    Brave,
    Edge,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 5] = [
        Browser::Chrome,
        Browser::Chromium,
        Browser::Brave,
        Browser::Edge,
        Browser::Firefox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Chromium => "chromium",
            Browser::Brave => "brave",
            Browser::Edge => "edge",
            Browser::Firefox => "firefox",
        }
    }

    /// Chrome, Chromium, Brave and Edge share Chromium's command line.
    pub fn is_chromium(self) -> bool {
        self != Browser::Firefox
    }

    /// The programs that start it on `os`, most likely first. On macOS the application name
    /// for `open -na`.
    fn programs(self, os: Os) -> &'static [&'static str] {
        match (os, self) {
            (Os::Linux, Browser::Chrome) => &["google-chrome", "google-chrome-stable"],
            (Os::Linux, Browser::Chromium) => &["chromium", "chromium-browser"],
            (Os::Linux, Browser::Brave) => &["brave-browser", "brave"],
            (Os::Linux, Browser::Edge) => &["microsoft-edge", "microsoft-edge-stable"],
            (Os::Linux, Browser::Firefox) => &["firefox"],
            (Os::MacOs, Browser::Chrome) => &["Google Chrome"],
            (Os::MacOs, Browser::Chromium) => &["Chromium"],
            (Os::MacOs, Browser::Brave) => &["Brave Browser"],
            (Os::MacOs, Browser::Edge) => &["Microsoft Edge"],
            (Os::MacOs, Browser::Firefox) => &["Firefox"],
            (Os::Windows, Browser::Chrome) => &["chrome"],
            (Os::Windows, Browser::Chromium) => &["chromium"],
            (Os::Windows, Browser::Brave) => &["brave"],
            (Os::Windows, Browser::Edge) => &["msedge"],
            (Os::Windows, Browser::Firefox) => &["firefox"],
        }
    }
}

impl FromStr for Browser {
    type Err = Error;
    fn from_str(s: &str) -> Result<Browser> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = match wanted.as_str() {
            "google-chrome" => "chrome",
            "msedge" | "microsoft-edge" => "edge",
            other => other,
        };
        Browser::ALL
            .into_iter()
            .find(|b| b.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Browser::ALL.iter().map(|b| b.name()).collect();
                Error::Usage(format!(
                    "unknown browser '{s}': use one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// The operating system whose command lines to build (a parameter so every one is tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// Where and how to open a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// `None`: the system's default opener (unless a container asks for Firefox).
    pub browser: Option<Browser>,
    /// The browser's profile: Chromium's `--profile-directory` (`Default`, `Profile 1`, ...),
    /// Firefox's `-P` (the profile's name).
    pub profile: Option<String>,
    /// A Firefox container, through the "Open external links in a container" add-on.
    pub container: Option<String>,
}

impl Choice {
    /// Checks the combination and settles the browser: a container means Firefox.
    pub fn settle(mut self) -> Result<Choice> {
        if self.container.is_some() {
            match self.browser {
                None => self.browser = Some(Browser::Firefox),
                Some(Browser::Firefox) => {}
                Some(other) => {
                    return Err(Error::Usage(format!(
                    "--container opens a Firefox container: it cannot be used with --browser {}",
                    other.name()
                )))
                }
            }
        }
        if self.profile.is_some() && self.browser.is_none() {
            return Err(Error::Usage(
                "a browser profile needs a browser: --browser (or okta_console_browser) chrome, chromium, brave, edge or firefox"
                    .into(),
            ));
        }
        Ok(self)
    }

    /// Whether the system's default opener does (no browser chosen).
    pub fn is_default(&self) -> bool {
        self.browser.is_none()
    }

    /// The page to hand to the browser for `url`: the `ext+container:` URL when a container
    /// is chosen, else `url` itself.
    pub fn target(&self, url: &str) -> String {
        match &self.container {
            Some(name) => container_url(name, url),
            None => url.to_string(),
        }
    }

    /// The command lines (program first) that open `target` (a path or URL) on `os`, to be
    /// tried in order until one starts. Empty when no browser is chosen.
    pub fn command_lines(&self, os: Os, target: &str) -> Vec<Vec<OsString>> {
        let Some(browser) = self.browser else {
            return Vec::new();
        };
        let mut args: Vec<OsString> = Vec::new();
        if let Some(profile) = &self.profile {
            if browser.is_chromium() {
                args.push(format!("--profile-directory={profile}").into());
            } else {
                args.push("-P".into());
                args.push(profile.into());
            }
        }
        args.push(target.into());
        browser
            .programs(os)
            .iter()
            .map(|program| {
                let mut line: Vec<OsString> = match os {
                    // A new instance of the app gets our arguments (`-n`); `--args` passes
                    // them to it.
                    Os::MacOs => vec![
                        "open".into(),
                        "-na".into(),
                        (*program).into(),
                        "--args".into(),
                    ],
                    // `start` finds the browser through App Paths; "" is the window title.
                    Os::Windows => vec![
                        "cmd".into(),
                        "/C".into(),
                        "start".into(),
                        "".into(),
                        (*program).into(),
                    ],
                    Os::Linux => vec![(*program).into()],
                };
                line.extend(args.iter().cloned());
                line
            })
            .collect()
    }

    /// Starts the chosen browser on `target` (detached: it outlives us). The browser gets
    /// the user's environment without aws-okta's own secrets.
    pub fn open(&self, target: &str) -> std::result::Result<(), String> {
        let lines = self.command_lines(Os::current(), target);
        let mut last = String::from("no browser chosen");
        for line in &lines {
            let mut command = std::process::Command::new(&line[0]);
            command
                .args(&line[1..])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            crate::hardening::prepare_child(&mut command);
            match command.spawn() {
                Ok(_) => return Ok(()),
                Err(e) => {
                    last = format!("cannot start {}: {e}", line[0].to_string_lossy());
                }
            }
        }
        Err(last)
    }
}

/// The "Open external links in a container" add-on's URL: `ext+container:name=NAME&url=URL`,
/// both values percent-encoded (the sign-in URL has `&` of its own).
pub fn container_url(name: &str, url: &str) -> String {
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!("ext+container:name={}&url={}", encode(name), encode(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(choice: &Choice, os: Os, target: &str) -> Vec<Vec<String>> {
        choice
            .command_lines(os, target)
            .into_iter()
            .map(|l| l.into_iter().map(|a| a.into_string().unwrap()).collect())
            .collect()
    }

    fn choice(browser: &str, profile: Option<&str>, container: Option<&str>) -> Choice {
        Choice {
            browser: (!browser.is_empty()).then(|| browser.parse().unwrap()),
            profile: profile.map(str::to_string),
            container: container.map(str::to_string),
        }
        .settle()
        .unwrap()
    }

    const PAGE: &str = "/home/u/.aws-okta/signin/0a1b.html";

    #[test]
    fn chromium_browsers_take_the_profile_directory() {
        let cases = [
            ("chrome", vec!["google-chrome", "google-chrome-stable"]),
            ("chromium", vec!["chromium", "chromium-browser"]),
            ("brave", vec!["brave-browser", "brave"]),
            ("edge", vec!["microsoft-edge", "microsoft-edge-stable"]),
        ];
        for (name, programs) in cases {
            let got = lines(&choice(name, Some("Profile 2"), None), Os::Linux, PAGE);
            let want: Vec<Vec<String>> = programs
                .iter()
                .map(|p| {
                    vec![
                        p.to_string(),
                        "--profile-directory=Profile 2".into(),
                        PAGE.into(),
                    ]
                })
                .collect();
            assert_eq!(got, want, "{name}");
            // Without a profile: the page alone.
            let plain = lines(&choice(name, None, None), Os::Linux, PAGE);
            assert_eq!(plain[0], vec![programs[0].to_string(), PAGE.to_string()]);
        }
    }

    #[test]
    fn firefox_takes_dash_p() {
        assert_eq!(
            lines(&choice("firefox", Some("work"), None), Os::Linux, PAGE),
            vec![vec!["firefox", "-P", "work", PAGE]]
        );
        assert_eq!(
            lines(&choice("firefox", None, None), Os::Linux, PAGE),
            vec![vec!["firefox", PAGE]]
        );
    }

    #[test]
    fn macos_and_windows_command_lines() {
        assert_eq!(
            lines(&choice("chrome", Some("Default"), None), Os::MacOs, PAGE),
            vec![vec![
                "open",
                "-na",
                "Google Chrome",
                "--args",
                "--profile-directory=Default",
                PAGE
            ]]
        );
        assert_eq!(
            lines(&choice("firefox", Some("work"), None), Os::MacOs, PAGE),
            vec![vec!["open", "-na", "Firefox", "--args", "-P", "work", PAGE]]
        );
        assert_eq!(
            lines(&choice("edge", Some("Profile 1"), None), Os::Windows, PAGE),
            vec![vec![
                "cmd",
                "/C",
                "start",
                "",
                "msedge",
                "--profile-directory=Profile 1",
                PAGE
            ]]
        );
        assert_eq!(
            lines(&choice("brave", None, None), Os::Windows, PAGE),
            vec![vec!["cmd", "/C", "start", "", "brave", PAGE]]
        );
    }

    #[test]
    fn a_container_means_firefox_and_an_encoded_ext_container_url() {
        let c = choice("", None, Some("prod admin"));
        assert_eq!(c.browser, Some(Browser::Firefox));
        let signin =
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=aws-okta&SigninToken=t";
        let target = c.target(signin);
        assert_eq!(
            target,
            "ext+container:name=prod+admin&url=https%3A%2F%2Fsignin.aws.amazon.com%2Ffederation%3FAction%3Dlogin%26Issuer%3Daws-okta%26SigninToken%3Dt"
        );
        // With a Firefox profile too.
        let c = choice("firefox", Some("work"), Some("prod"));
        assert_eq!(
            lines(&c, Os::Linux, PAGE),
            vec![vec!["firefox", "-P", "work", PAGE]]
        );
        // A container in Chrome does not exist.
        let err = Choice {
            browser: Some(Browser::Chrome),
            container: Some("x".into()),
            ..Choice::default()
        }
        .settle()
        .unwrap_err();
        assert!(err.to_string().contains("Firefox container"), "{err}");
    }

    #[test]
    fn a_profile_needs_a_browser_and_names_parse() {
        let err = Choice {
            profile: Some("p".into()),
            ..Choice::default()
        }
        .settle()
        .unwrap_err();
        assert!(err.to_string().contains("--browser"), "{err}");
        assert_eq!("Google-Chrome".parse::<Browser>().unwrap(), Browser::Chrome);
        assert_eq!("msedge".parse::<Browser>().unwrap(), Browser::Edge);
        assert!("netscape".parse::<Browser>().is_err());
        assert!(Choice::default().command_lines(Os::Linux, PAGE).is_empty());
    }
}
