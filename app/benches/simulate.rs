//! Times the built-in 365-day scenario (hourly steps) end to end: runtime start, fund setup,
//! 8,760 steps, report. A plain main, not a timed test: `cargo bench -p ifund`.
//! The quality bar is under a minute on a 2-core machine.

fn main() {
    let scenario = ifund::scenario::Scenario::default_scenario();
    let out = std::env::temp_dir().join("ifund-bench");
    let started = std::time::Instant::now();
    let result = ifund::simulate::run(
        &scenario,
        &ifund::simulate::SimOptions {
            days: None,
            seed: None,
            out: out.clone(),
            progress: false,
        },
    );
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(r) => {
            print!("{}", ifund::report::summary_table(&r));
            println!(
                "\nbench simulate/default-365d: {secs:.1} s for {} steps ({:.2} ms/step), {} transactions; report {}",
                r.metrics.steps,
                secs * 1000.0 / r.metrics.steps.max(1) as f64,
                r.metrics.transactions,
                r.report_path.display()
            );
        }
        Err(e) => {
            eprintln!("bench simulate/default-365d failed after {secs:.1} s: {e:#}");
            std::process::exit(1);
        }
    }
}
