fn main() {
    std::process::exit(poetry_dash::cli::main());
}
