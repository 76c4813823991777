//! The `tally` binary: a thin main; the commands live in the library.

fn main() -> std::process::ExitCode {
    tally_cli::main()
}
