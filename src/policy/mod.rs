//! Policy: what leaves the school, decided field by field.
//!
//! A policy names one operator for every field path (fail closed: a field the policy does not
//! cover stops the run). The stage turns each accepted pupil into its *released* form — a JSON
//! object of the model's shape whose values may have been dropped, masked, pseudonymised,
//! tokenised, generalised or shifted — which the writers then write. Anonymisation (k-anonymity,
//! l-diversity) needs the whole data set's quasi-identifier histogram, so policies that ask for
//! it run in two passes.

pub mod anonymity;
pub mod keys;
pub mod tokens;
