use aws_okta::cli;

fn main() {
    // Shell completion requests (`COMPLETE=bash aws-okta -- ...`) are answered and exit here.
    clap_complete::CompleteEnv::with_factory(cli::command).complete();
    let cli = cli::parse();
    if cli.debug {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(tracing_subscriber::EnvFilter::new("aws_okta=debug"))
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
