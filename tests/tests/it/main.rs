//! One integration-test binary, one module per topic.
mod runtime;
mod registry;
mod support;
mod unpack;
