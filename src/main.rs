use std::process::ExitCode;

fn main() -> ExitCode {
    lockbench::app::main()
}
