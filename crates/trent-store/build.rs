//! Rebuilds the crate when a PostgreSQL migration is added: `sqlx::migrate!`
//! embeds the directory's files at compile time, and cargo does not otherwise
//! know the directory is an input.

fn main() {
    println!("cargo:rerun-if-changed=migrations/postgres");
}
