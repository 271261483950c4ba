//! Demo data for `symbolon dev --demo` (filled in below).
