//! `sqlx::migrate!` embeds `migrations/` when the crate compiles, and cargo does not watch
//! that folder by itself: without this, a new migration file ships only after an
//! unrelated edit forces a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
