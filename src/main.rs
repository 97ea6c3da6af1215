//! The `triage-ledger` command: argument parsing and printing only; the work
//! is done by the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
