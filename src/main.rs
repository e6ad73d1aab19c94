use aws_okta::cli;

fn main() {
    // Shell completion requests (`COMPLETE=bash aws-okta -- ...`) are answered and exit here.
    clap_complete::CompleteEnv::with_factory(cli::command).complete();
    let cli = cli::parse();
    if cli.debug {
        // Our own events only, at debug level. A fixed target list rather than `EnvFilter`,
        // whose directive parser links regex and its Unicode tables: thousands of relocations
        // that every run, warm ones included, pays at start-up for a flag few runs set.
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .with(
                tracing_subscriber::filter::Targets::new()
                    .with_target("aws_okta", tracing::Level::DEBUG),
            )
            .init();
    }
    aws_okta::hardening::apply();
    let code = match cli.run() {
        Ok(code) => code,
        Err(err) => {
            aws_okta::messages::error(&err);
            err.exit_code()
        }
    };
    std::process::exit(code);
}

/// The functions of the C maths library the binary calls, defined here from the `libm` crate
/// (the Rust port of musl's, which Rust's own `compiler-builtins` uses) so that the link
/// resolves them in the binary and the dynamic linker does not map and relocate libm.so.6 at
/// the start of every run for them: ~0.1 ms of each warm `cred-process` and `exec` in a VM.
/// `pow`: the AWS SDK's adaptive-retry rate limiter takes a cube root (`f64::powf`); `log2`:
/// referenced by a dependency (kept by debug builds, dropped by the release link).
/// `tests/it/layout.rs` checks libm is not needed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[no_mangle]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[no_mangle]
pub extern "C" fn log2(x: f64) -> f64 {
    libm::log2(x)
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// Within one unit in the last place.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= f64::EPSILON * b.abs()
    }

    #[test]
    fn pow_is_the_maths_function() {
        // Exact where the result is representable, the rate limiter's cube root among them.
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(27.0, 1.0 / 3.0), 3.0);
        assert_eq!(super::pow(1.5, 2.0), 2.25);
        assert_eq!(super::pow(10.0, -2.0), 0.01);
        assert_eq!(super::pow(7.0, 0.0), 1.0);
        assert_eq!(super::pow(f64::NAN, 0.0), 1.0);
        assert!(super::pow(-8.0, 0.5).is_nan());
        assert_eq!(super::pow(0.0, -1.0), f64::INFINITY);
        assert!(close(super::pow(2.0, 0.5), std::f64::consts::SQRT_2));
        assert!(close(
            super::pow(std::f64::consts::E, 1.0 / 3.0),
            1.395_612_425_086_089_6
        ));
    }

    #[test]
    fn log2_is_the_maths_function() {
        assert_eq!(super::log2(1024.0), 10.0);
        assert_eq!(super::log2(1.0), 0.0);
        assert_eq!(super::log2(0.0), f64::NEG_INFINITY);
        assert!(super::log2(-1.0).is_nan());
        assert!(close(super::log2(10.0), std::f64::consts::LOG2_10));
    }
}
