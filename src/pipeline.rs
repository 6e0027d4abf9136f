//! The pipeline (being built).
