//! The docker-style command language shared by both terminals: the grammar, and the renderers that
//! print what Docker prints. The browser's terminal and the native one both go through here, so
//! their output is identical by construction.
//!
//! - [`args`]: the command grammar (a typed line to a [`args::Command`]).
//! - `grammar`: the table of commands, groups and flags the grammar reads.
//! - `flags`: reading one command's flags and operands against its row of the table.
//! - `help`: `--help` output rendered from the table.
//! - [`format`]: single values (sizes, durations, times, cut-off text, short IDs).
//! - [`table`]: Docker's column layout (Go's tabwriter).
//! - [`template`]: the `--format` subset of Go templates.
//! - [`render`]: what each command prints, from row data.

pub mod args;
pub mod dispatch;
mod flags;
pub mod format;
mod grammar;
mod help;
pub mod render;
pub mod table;
pub mod template;
