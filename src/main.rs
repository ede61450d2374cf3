//! The `borderpass` binary; everything lives in the library.

/// mimalloc serves the service's many short-lived allocations (request and answer bodies, rows)
/// with less work than the system allocator: see docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    borderpass::cli::main()
}
