//! The domain, free of I/O: normalising factor scales, scoring countries, geometry and
//! the spatial index over depots, and coverage assessment. Everything here is unit
//! tested and used by the API, the benchmark and the what-if simulation alike.

pub mod coverage;
pub mod csv;
pub mod geo;
pub mod normalize;
pub mod scoring;
