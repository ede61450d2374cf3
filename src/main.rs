//! The `borderpass` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    borderpass::cli::main()
}
