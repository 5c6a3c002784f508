//! `idl-gen <program dir> [<out.json>]`: builds the program's IDL the way `anchor idl build`
//! does (anchor-lang-idl's `IdlBuilder`: `cargo test __anchor_private_print_idl --features
//! idl-build`, then merging, module-path shortening, sorting and verification) and writes it as
//! pretty JSON with a trailing newline (to stdout without `<out.json>`).
//!
//! Settings match this repository's Anchor.toml (`resolution = true`, `skip-lint = false`) and
//! the CLI defaults (docs included). Extra cargo arguments come from `IDL_CARGO_ARGS`
//! (whitespace-separated), e.g. `--locked`.

use anchor_lang_idl::build::IdlBuilder;
use std::{env, fs, path::PathBuf, process::Command};

fn main() {
    if let Err(e) = run() {
        eprintln!("idl-gen: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = env::args_os().skip(1);
    let program = PathBuf::from(
        args.next()
            .ok_or("usage: idl-gen <program dir> [<out.json>]")?,
    );
    let out = args.next().map(PathBuf::from);
    let program = fs::canonicalize(&program)?;

    // anchor-lang-idl 0.1.4 passes a literal "+{toolchain}" to cargo when RUSTUP_TOOLCHAIN is
    // set (rustup sets it under `cargo run`/`rustup run`). Keep the same toolchain by putting
    // its bin directory first on PATH, then drop the variable.
    if env::var_os("RUSTUP_TOOLCHAIN").is_some() {
        let sysroot = Command::new("rustc")
            .args(["--print", "sysroot"])
            .output()?;
        if sysroot.status.success() {
            let bin = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim()).join("bin");
            let path = env::var_os("PATH").unwrap_or_default();
            let joined = env::join_paths(std::iter::once(bin).chain(env::split_paths(&path)))?;
            env::set_var("PATH", joined);
        }
        env::remove_var("RUSTUP_TOOLCHAIN");
    }

    let mut cargo_args = vec!["--lib".to_string()];
    cargo_args.extend(
        env::var("IDL_CARGO_ARGS")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string),
    );

    let idl = IdlBuilder::new()
        .program_path(program)
        .resolution(true)
        .skip_lint(false)
        .no_docs(false)
        .cargo_args(cargo_args)
        .build()?;

    let json = serde_json::to_string_pretty(&idl)? + "\n";
    match out {
        Some(path) => fs::write(path, json)?,
        None => print!("{json}"),
    }
    Ok(())
}
