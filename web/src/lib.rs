//! The layerlab browser lab: core's simulated engine running in the page, a terminal to drive it,
//! and pictures of what each command did to the layers on disk.

pub mod completion;
pub mod components;
pub mod disk;
pub mod stacks;
pub mod state;

use yew::prelude::*;

use crate::components::classroom_toggle::{self, ClassroomToggle};
use crate::components::disk_ledger::DiskLedger;
use crate::components::stack_picture::StackPicture;
use crate::components::terminal::Terminal;
use crate::state::Lab;

/// The whole lab page.
#[component]
pub fn App() -> Html {
    let lab = use_reducer(Lab::new);
    let classroom = use_state(classroom_toggle::remembered);
    let onchange = {
        let classroom = classroom.clone();
        Callback::from(move |on| classroom.set(on))
    };
    html! {
        <main class={classes!("lab", (*classroom).then_some("classroom"))}>
            <header class="masthead">
                <h1>{ "layerlab" }</h1>
                <p class="tagline">{ "See what images, layers and containers really are." }</p>
                <ClassroomToggle on={*classroom} {onchange} />
            </header>
            <div class="workbench">
                <Terminal transcript={lab.transcript.clone()} input={AttrValue::from(lab.input.clone())}
                          dispatch={lab.dispatcher()} />
                <StackPicture stacks={lab.stacks.clone()} />
                <DiskLedger disk={lab.disk.clone()} />
            </div>
        </main>
    }
}
