//! layerlab's model of container images: layers, copy-on-write, and a simulated engine.
//!
//! Pure Rust with no I/O, no clock, no threads and no randomness, so that it builds for
//! `wasm32-unknown-unknown` and replays a scenario to the same bytes every time.
#![forbid(unsafe_code)]

pub mod accounting;
pub mod archive;
pub mod catalog;
pub mod cli;
pub mod container;
pub mod decimal;
pub mod digest;
pub mod dockerfile;
pub mod driver;
pub mod engine;
pub mod explorer;
pub mod fs;
pub mod gzip;
pub mod layer;
pub mod oci;
pub mod reference;
pub mod shell;
pub mod sort;
pub mod store;
pub mod union;
