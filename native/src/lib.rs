//! The layerlab engine on Linux. `main.rs` only parses arguments and reports; the work is here.
pub mod runtime;
pub mod sim;
