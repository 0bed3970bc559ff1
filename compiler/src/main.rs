//! `balletc`: the Ballet command line.

fn main() -> std::process::ExitCode {
    ballet_compiler::cli::main()
}
