//! The layerlab engine on Linux. `main.rs` only parses arguments and reports; the work is here.
pub mod content_store;
pub mod sim;
pub mod runtime;
pub mod snapshot;
pub mod registry;
pub mod pull;
pub mod progress;
pub mod engine;
