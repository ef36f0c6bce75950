//! One component per file. Components render the state in [`crate::state`] and dispatch its
//! actions; they hold no lab logic of their own.

pub mod archive_drop;
pub mod classroom_toggle;
pub mod cow_stepper;
pub mod disk_ledger;
pub mod driver_compare;
pub mod dockerfile_editor;
pub mod file_explorer;
pub mod lesson_panel;
pub mod panel_tabs;
pub mod scenario_bar;
pub mod stack_picture;
pub mod terminal;
