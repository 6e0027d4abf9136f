//! Multi-file join (being built).
