//! The `tally` binary: a thin main; the commands live in the library.

/// mimalloc instead of the system allocator: the request path allocates many small, short
/// lived objects across threads, and glibc's malloc/free (with its consolidation and heap
/// trimming) took a fifth of the server's CPU in the profile of `tally bench`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tally_cli::main()
}
