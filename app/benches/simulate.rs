//! Times the simulator end to end (a plain main, not a timed test: `cargo bench -p ifund`):
//!
//! 1. the built-in 365-day scenario, one path, hourly (8,760 steps): the calm-year figures;
//! 2. 1,000 paths of the 14-day `crash` scenario, hourly, over the machine's cores (one
//!    embedded runtime per worker): the distribution table and paths per second. The bar is
//!    120 s on the 2-core machine. `IFUND_BENCH_PATHS=N` changes the path count.

fn main() {
    let out = std::env::temp_dir().join("ifund-bench");
    let scenario = ifund::scenario::Scenario::default_scenario();
    let started = std::time::Instant::now();
    let result = ifund::simulate::run(
        &scenario,
        &ifund::simulate::SimOptions {
            days: None,
            seed: None,
            out: out.join("default"),
            progress: false,
        },
    );
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(r) => {
            print!("{}", ifund::report::summary_table(&r));
            println!(
                "\nbench simulate/default-365d: {secs:.1} s for {} steps ({:.2} ms/step), {} transactions; report {}\n",
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

    let paths: u32 = std::env::var("IFUND_BENCH_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let crash = ifund::scenario::Scenario::parse(
        ifund::scenario::built_in("crash").expect("built in"),
        "crash",
    )
    .expect("valid");
    let cpu = cpu_seconds();
    let started = std::time::Instant::now();
    let result = ifund::paths::run_paths(
        &crash,
        &ifund::paths::PathsOptions {
            days: None,
            seed: None,
            paths,
            threads: None,
            out: out.join("crash"),
            progress: false,
            label: "crash".into(),
        },
    );
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    match result {
        Ok(r) => {
            print!("{}", ifund::report_paths::summary(&r));
            println!(
                "\nbench simulate/crash-{paths}-paths: {secs:.1} s wall on {} threads ({:.2} paths/s), {cpu:.1} s CPU ({:.1} ms CPU per path, {:.3} ms per step); report {}",
                r.threads,
                f64::from(paths) / secs.max(1e-9),
                cpu * 1000.0 / f64::from(paths),
                cpu * 1000.0 / (f64::from(paths) * r.steps as f64),
                r.report_path.display()
            );
            // the wall time depends on what else the machine runs; the CPU time divided over
            // the workers is what the same run takes on that many free cores
            println!(
                "bench simulate/crash-{paths}-paths: CPU time over {} workers = {:.1} s (the bar: 120 s on 2 cores)",
                r.threads,
                cpu / r.threads as f64
            );
        }
        Err(e) => {
            eprintln!("bench simulate/crash failed after {secs:.1} s: {e:#}");
            std::process::exit(1);
        }
    }
}

/// CPU time of this process so far (user + system), seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}
