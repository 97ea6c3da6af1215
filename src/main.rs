//! The `triage-ledger` command: argument parsing and printing only; the work
//! is done by the library.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`triage-ledger … | head`) like other Unix
    // tools, instead of panicking on the failed write.
    triage_ledger::os::default_sigpipe();
    cli::main()
}
