//! One integration-test binary, one module per topic.
mod runtime;
mod lesson;
mod sim_cli;
mod registry;
mod support;
mod unpack;
mod native_cli;
mod fidelity;
mod native_commands;
mod registry_token;
mod web_e2e;
mod native_sim;
