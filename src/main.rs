//! The `triage-ledger` command: argument parsing and printing only; the work
//! is done by the library.

mod cli;

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`triage-ledger … | head`) like other Unix
    // tools, instead of panicking on the failed write.
    // SAFETY: called before any other thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}
