//! The layerlab browser lab: core's simulated engine running in the page, a terminal to drive it,
//! and pictures of what each command did to the layers on disk.

pub mod completion;
pub mod components;
pub mod cow;
pub mod disk;
pub mod drivers;
pub mod explorer_view;
pub mod lessons;
pub mod panel;
pub mod scenario;
pub mod stacks;
pub mod state;

use yew::prelude::*;

use crate::components::archive_drop::ArchiveDrop;
use crate::components::classroom_toggle::{self, ClassroomToggle};
use crate::components::cow_stepper::CowStepper;
use crate::components::disk_ledger::DiskLedger;
use crate::components::driver_compare::DriverCompare;
use crate::components::file_explorer::FileExplorer;
use crate::components::lesson_panel::LessonPanel;
use crate::components::panel_tabs::PanelTabs;
use crate::components::scenario_bar::ScenarioBar;
use crate::components::stack_picture::StackPicture;
use crate::components::terminal::Terminal;
use crate::panel::Panel;
use crate::state::Lab;

/// The whole lab page.
#[component]
pub fn App() -> Html {
    let lab = use_reducer(|| {
        let mut lab = Lab::new();
        lab.editor = components::dockerfile_editor::remembered_draft().into();
        lab
    });
    let classroom = use_state(classroom_toggle::remembered);
    let panel = use_state(|| Panel::Layers);
    let onchange = {
        let classroom = classroom.clone();
        Callback::from(move |on| classroom.set(on))
    };
    let onselect = {
        let panel = panel.clone();
        Callback::from(move |p| panel.set(p))
    };
    let onsettings = {
        let (classroom, panel) = (classroom.clone(), panel.clone());
        Callback::from(move |(on, p)| {
            classroom.set(on);
            panel.set(p);
        })
    };
    let shown = match *panel {
        Panel::Layers => html! { <StackPicture stacks={lab.stacks.clone()} /> },
        Panel::Disk => html! { <DiskLedger disk={lab.disk.clone()} /> },
        Panel::Cow => {
            let dispatch = lab.dispatcher();
            let run = Callback::from(move |line| dispatch.dispatch(crate::state::Action::Run(line)));
            html! { <CowStepper sim={lab.sim()} events={lab.events.clone()} {run} /> }
        }
        Panel::Drivers => html! { <DriverCompare sim={lab.sim()} /> },
        Panel::Files => html! { <FileExplorer sim={lab.sim()} /> },
        Panel::Lessons => html! {
            <LessonPanel sim={lab.sim()} history={lab.history.clone()}
                         transcript={lab.transcript.clone()} editor={lab.editor.clone()}
                         dispatch={lab.dispatcher()} />
        },
    };
    html! {
        <main class={classes!("lab", (*classroom).then_some("classroom"))}>
            <header class="masthead">
                <h1>{ "layerlab" }</h1>
                <p class="tagline">{ "See what images, layers and containers really are." }</p>
                <ClassroomToggle on={*classroom} {onchange} />
                <ScenarioBar record={lab.record.clone()} transcript={lab.transcript.clone()}
                             classroom={*classroom} panel={*panel} dispatch={lab.dispatcher()} {onsettings} />
            </header>
            <ArchiveDrop dispatch={lab.dispatcher()} transcript={lab.transcript.clone()}>
            <div class="workbench">
                <Terminal transcript={lab.transcript.clone()} input={AttrValue::from(lab.input.clone())}
                          dispatch={lab.dispatcher()} />
                <section class="pictures">
                    <PanelTabs current={*panel} {onselect} />
                    <div class="tabpanel" role="tabpanel" id={format!("panel-{}", panel.slug())}
                         aria-labelledby={format!("tab-{}", panel.slug())}>
                        { shown }
                    </div>
                </section>
            </div>
            </ArchiveDrop>
        </main>
    }
}
