//! `aws-okta env --format`: the profile's credentials as text another shell or tool reads.
//!
//! The names are those of `aws configure export-credentials --format`, so a user who knows the
//! AWS CLI knows these. Each format is one type implementing [`EnvFormat`]; the line-based ones
//! only say how to set and how to remove a variable in their syntax ([`Lines`]), and every
//! value goes through that format's own quoting: a profile name or region is user text, and
//! the output is meant for `eval`/`source`, so a quote or `$` in it must stay data.
use crate::credentials::Credentials;
use crate::{Error, Result};

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// POSIX shells (bash, zsh, sh): `export KEY='value'` (the default).
    #[default]
    Env,
    /// `KEY=value` lines, for `docker --env-file` and other dotenv readers.
    EnvNoExport,
    /// fish: `set -gx KEY 'value';` (read it with `| source`).
    Fish,
    /// PowerShell: `$Env:KEY = "value"`.
    Powershell,
    /// Windows cmd.exe: `set KEY=value`.
    WindowsCmd,
    /// The `credential_process` JSON, the same as `aws-okta cred-process`.
    Process,
}

impl Format {
    pub fn formatter(self) -> &'static dyn EnvFormat {
        match self {
            Format::Env => &Posix,
            Format::EnvNoExport => &EnvFile,
            Format::Fish => &Fish,
            Format::Powershell => &PowerShell,
            Format::WindowsCmd => &WindowsCmd,
            Format::Process => &Process,
        }
    }
}

/// What `env` exports: the variables to set (in order), those to remove, and the credentials
/// themselves (for the JSON format).
pub struct Exported<'a> {
    pub vars: &'a [(&'static str, String)],
    pub remove: &'a [&'static str],
    pub creds: &'a Credentials,
}

/// One output format of `env`.
pub trait EnvFormat {
    /// The whole output. An error means nothing is printed: half an environment is worse
    /// than none.
    fn render(&self, exported: &Exported) -> Result<String>;
}

/// A format made of lines that remove and set variables (every shell format).
trait Lines {
    /// The lines that remove `names`; empty when the format cannot remove a variable.
    fn remove(&self, names: &[&str]) -> String;
    /// One line setting `name` to `value`, quoted for this format (an error if it cannot be).
    fn set(&self, name: &str, value: &str) -> Result<String>;
}

impl<T: Lines> EnvFormat for T {
    fn render(&self, exported: &Exported) -> Result<String> {
        // Removals first: a stale AWS_PROFILE would otherwise win over the keys in some SDKs.
        let mut out = self.remove(exported.remove);
        for (name, value) in exported.vars {
            out.push_str(&self.set(name, value)?);
        }
        Ok(out)
    }
}

/// The one refusal every format without a way to quote a line break shares.
fn unrepresentable(format: &str, name: &str, what: &str) -> Error {
    Error::Usage(format!(
        "the value of {name} contains {what}, which the {format} format cannot hold safely: use another --format (env, fish, powershell or process)"
    ))
}

/// `export KEY='value'`: POSIX single quotes, `'` written as `'\''`. The default, and the
/// output `env` has always had.
struct Posix;

impl Lines for Posix {
    fn remove(&self, names: &[&str]) -> String {
        format!("unset {}\n", names.join(" "))
    }

    fn set(&self, name: &str, value: &str) -> Result<String> {
        Ok(format!(
            "export {name}={}\n",
            shell_escape::unix::escape(value.into())
        ))
    }
}

/// `KEY=value`, read verbatim: `docker --env-file` takes everything after the first `=`
/// as the value, quotes included, so there is no quoting to do and none that could carry a
/// line break. An env file cannot unset a variable either, so the removals are left out.
struct EnvFile;

impl Lines for EnvFile {
    fn remove(&self, _names: &[&str]) -> String {
        String::new()
    }

    fn set(&self, name: &str, value: &str) -> Result<String> {
        if value.contains(['\n', '\r']) {
            return Err(unrepresentable("env-no-export", name, "a line break"));
        }
        if value.contains('\0') {
            return Err(unrepresentable("env-no-export", name, "a NUL byte"));
        }
        Ok(format!("{name}={value}\n"))
    }
}

/// fish: single quotes, inside which only `\\` and `\'` are escapes. Each line ends with `;`
/// so that `eval (aws-okta env --format fish P)`, which joins the lines with spaces, works too.
struct Fish;

impl Lines for Fish {
    fn remove(&self, names: &[&str]) -> String {
        names
            .iter()
            .map(|name| format!("set -e {name};\n"))
            .collect()
    }

    fn set(&self, name: &str, value: &str) -> Result<String> {
        let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
        Ok(format!("set -gx {name} '{quoted}';\n"))
    }
}

/// PowerShell: a double-quoted string, with the backtick escaping what it would otherwise
/// expand or end on: `` ` ``, `$`, and every character PowerShell takes for a double quote
/// (it also accepts the typographic “ ” „ as quotes).
struct PowerShell;

impl Lines for PowerShell {
    fn remove(&self, names: &[&str]) -> String {
        names
            .iter()
            .map(|name| format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n"))
            .collect()
    }

    fn set(&self, name: &str, value: &str) -> Result<String> {
        let mut quoted = String::with_capacity(value.len() + 2);
        for c in value.chars() {
            if matches!(c, '`' | '$' | '"' | '\u{201C}' | '\u{201D}' | '\u{201E}') {
                quoted.push('`');
            }
            quoted.push(c);
        }
        Ok(format!("$Env:{name} = \"{quoted}\"\n"))
    }
}

/// cmd.exe: `set KEY=value` with cmd's metacharacters escaped by `^` (outside quotes a `^"`
/// is a literal quote that does not start a quoted run). `%` cannot be escaped in a way that
/// holds both at the prompt and in a batch file, `!` expands under delayed expansion, and a
/// line break ends the command: such values are refused rather than written wrongly.
struct WindowsCmd;

impl Lines for WindowsCmd {
    fn remove(&self, names: &[&str]) -> String {
        // `set NAME=` with nothing after the `=` deletes the variable.
        names.iter().map(|name| format!("set {name}=\n")).collect()
    }

    fn set(&self, name: &str, value: &str) -> Result<String> {
        let mut quoted = String::with_capacity(value.len());
        for c in value.chars() {
            match c {
                '\n' | '\r' => return Err(unrepresentable("windows-cmd", name, "a line break")),
                '%' | '!' => {
                    return Err(unrepresentable(
                        "windows-cmd",
                        name,
                        &format!("'{c}' (expanded by cmd.exe)"),
                    ))
                }
                '\0' => return Err(unrepresentable("windows-cmd", name, "a NUL byte")),
                '^' | '&' | '|' | '<' | '>' | '(' | ')' | '"' => {
                    quoted.push('^');
                    quoted.push(c);
                }
                _ => quoted.push(c),
            }
        }
        Ok(format!("set {name}={quoted}\n"))
    }
}

/// The `credential_process` JSON: the same bytes as `aws-okta cred-process`.
struct Process;

impl EnvFormat for Process {
    fn render(&self, exported: &Exported) -> Result<String> {
        Ok(format!(
            "{}\n",
            super::cred_process::json(exported.creds, false)?
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Every character a shell might act on, and a plain ARN.
    const NASTY: &str = "it's \"$HOME\" `id` \\n %PATH% !x! ^&|<>() “q” ;#~*?[a]";

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et=".into(),
            session_token: "to/ken+=".into(),
            expiration: chrono::Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap(),
            assumed_role_arn: "arn:aws:sts::1:assumed-role/r/s".into(),
        }
    }

    fn render(format: Format, vars: &[(&'static str, String)]) -> Result<String> {
        let creds = creds();
        format.formatter().render(&Exported {
            vars,
            remove: &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"],
            creds: &creds,
        })
    }

    fn one(format: Format, value: &str) -> Result<String> {
        render(format, &[("AWS_OKTA_PROFILE", value.to_string())])
    }

    #[test]
    fn posix_single_quotes_everything_and_unsets_in_one_line() {
        let out = one(Format::Env, "it's $HOME").unwrap();
        assert_eq!(
            out,
            "unset AWS_PROFILE AWS_DEFAULT_PROFILE\nexport AWS_OKTA_PROFILE='it'\\''s $HOME'\n"
        );
        // Plain values stay readable.
        assert_eq!(
            one(Format::Env, "us-west-2").unwrap().lines().nth(1),
            Some("export AWS_OKTA_PROFILE=us-west-2")
        );
    }

    #[test]
    fn env_file_is_verbatim_never_unsets_and_refuses_line_breaks() {
        assert_eq!(
            one(Format::EnvNoExport, NASTY).unwrap(),
            format!("AWS_OKTA_PROFILE={NASTY}\n"),
            "docker --env-file takes the value verbatim: no quoting to add"
        );
        for bad in ["a\nb", "a\rb", "a\0b"] {
            let err = one(Format::EnvNoExport, bad).unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{err}");
            assert!(err.to_string().contains("AWS_OKTA_PROFILE"), "{err}");
        }
    }

    #[test]
    fn fish_escapes_only_backslash_and_quote_inside_single_quotes() {
        let out = one(Format::Fish, "it's $HOME \\ (x)").unwrap();
        assert_eq!(
            out,
            "set -e AWS_PROFILE;\nset -e AWS_DEFAULT_PROFILE;\n\
             set -gx AWS_OKTA_PROFILE 'it\\'s $HOME \\\\ (x)';\n"
        );
    }

    #[test]
    fn powershell_backtick_escapes_what_double_quotes_would_expand_or_end() {
        let out = one(Format::Powershell, "it's \"$HOME\" `x` “q” ”r„").unwrap();
        assert_eq!(
            out,
            "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n\
             Remove-Item Env:AWS_DEFAULT_PROFILE -ErrorAction SilentlyContinue\n\
             $Env:AWS_OKTA_PROFILE = \"it's `\"`$HOME`\" ``x`` `“q`” `”r`„\"\n"
        );
        // A single quote, % and ! mean nothing inside PowerShell double quotes.
        assert_eq!(
            one(Format::Powershell, "a'%b%!").unwrap().lines().nth(2),
            Some("$Env:AWS_OKTA_PROFILE = \"a'%b%!\"")
        );
    }

    /// The value PowerShell reads back from a double-quoted string (backtick escapes only:
    /// enough to check that the escaping round-trips).
    fn powershell_unquote(line: &str) -> String {
        let body = line
            .split_once(" = \"")
            .unwrap()
            .1
            .strip_suffix('"')
            .unwrap();
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '`' => out.push(chars.next().unwrap()),
                '$' | '"' | '\u{201C}' | '\u{201D}' | '\u{201E}' => {
                    panic!("unescaped {c:?} in {line}")
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn powershell_round_trips_every_nasty_value() {
        let out = one(Format::Powershell, NASTY).unwrap();
        assert_eq!(powershell_unquote(out.lines().nth(2).unwrap()), NASTY);
    }

    #[test]
    fn windows_cmd_caret_escapes_and_refuses_what_it_cannot_hold() {
        let out = one(Format::WindowsCmd, "it's \"$HOME\" a&b|c<d>e^f (g)").unwrap();
        assert_eq!(
            out,
            "set AWS_PROFILE=\nset AWS_DEFAULT_PROFILE=\n\
             set AWS_OKTA_PROFILE=it's ^\"$HOME^\" a^&b^|c^<d^>e^^f ^(g^)\n"
        );
        for bad in ["%PATH%", "a!b", "a\nb", "a\rb"] {
            let err = one(Format::WindowsCmd, bad).unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn process_is_the_cred_process_json() {
        let out = render(Format::Process, &[("AWS_REGION", "x".into())]).unwrap();
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["Version"], 1);
        assert_eq!(json["AccessKeyId"], "ASIAEXAMPLE");
        assert_eq!(json["SecretAccessKey"], "se/cr+et=");
        assert_eq!(json["SessionToken"], "to/ken+=");
        assert_eq!(json["Expiration"], "2030-01-02T03:04:05Z");
        assert_eq!(
            out,
            format!(
                "{}\n",
                crate::cli::cred_process::json(&creds(), false).unwrap()
            )
        );
    }

    #[test]
    fn every_format_renders_every_variable_once() {
        let vars = [
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE".to_string()),
            ("AWS_REGION", "us-west-2".to_string()),
        ];
        for format in [
            Format::Env,
            Format::EnvNoExport,
            Format::Fish,
            Format::Powershell,
            Format::WindowsCmd,
        ] {
            let out = render(format, &vars).unwrap();
            for (name, value) in &vars {
                assert_eq!(out.matches(name).count(), 1, "{format:?}: {out}");
                assert!(out.contains(value.as_str()), "{format:?}: {out}");
            }
            let removes_profile = out.contains("AWS_PROFILE");
            assert_eq!(
                removes_profile,
                format != Format::EnvNoExport,
                "{format:?} clears AWS_PROFILE unless it cannot: {out}"
            );
        }
    }
}
