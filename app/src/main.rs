use clap::Parser;

fn main() {
    // A bug must still end in a readable line, never a panic trace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("error: internal error: {msg} (please report this)");
    }));
    let cli = ifund::cli::Cli::parse();
    if let Err(e) = ifund::cli::run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
