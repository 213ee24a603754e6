//! Pure functions from results to text.

pub mod format;
pub mod table;
