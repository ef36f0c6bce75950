//! The storage drivers side by side: one row per driver with bars for the bytes copied and the
//! bytes on disk on the lab's current workload, each bar labelled with its number, and why the
//! drivers differ. The numbers come from [`crate::drivers`].

use layerlab_core::cli::format::human_size;
use yew::prelude::*;

use crate::drivers::{self, Comparison, DriverRow, percent};
use crate::state::SimView;

#[derive(Debug, Properties, PartialEq)]
pub struct DriverCompareProps {
    pub sim: SimView,
}

/// A bar with its number written beside it: the length compares rows, the text is the value.
fn bar_cell(kind: &'static str, bytes: u64, max: u64, title: String) -> Html {
    html! {
        <td class={classes!("num", "bar-cell", kind)} {title}>
            <span class="bar-track" aria-hidden="true">
                <span class={classes!("bar", kind)} style={format!("width: {}%", percent(bytes, max))}></span>
            </span>
            <span class="bar-num">{ human_size(bytes) }</span>
        </td>
    }
}

fn driver_row(row: &DriverRow, c: &Comparison) -> Html {
    let name = row.driver.name();
    let copied_title = format!(
        "{} bytes copied{}",
        row.copied,
        if row.copied_at_create > 0 {
            format!(", {} of them when containers were created", row.copied_at_create)
        } else {
            String::new()
        }
    );
    let disk_title = format!(
        "{} bytes: {} for image layers, {} for containers",
        row.on_disk(),
        row.layers,
        row.containers
    );
    let edit_title = format!("{} bytes", row.one_byte_edits);
    let max_edits = c.rows.iter().map(|r| r.one_byte_edits).max().unwrap_or(0);
    html! {
        <tr data-driver={name}>
            <th scope="row">{ name }</th>
            { bar_cell("copied", row.copied, c.max_copied(), copied_title) }
            { bar_cell("disk", row.on_disk(), c.max_on_disk(), disk_title) }
            { bar_cell("edits", row.one_byte_edits, max_edits, edit_title) }
        </tr>
    }
}

#[component]
pub fn DriverCompare(props: &DriverCompareProps) -> Html {
    let comparison = {
        let sim = props.sim.clone();
        use_memo(props.sim.revision(), move |_| drivers::compare(&sim.borrow()))
    };
    let c = &*comparison;
    html! {
        <section class="panel drivers" aria-labelledby="drivers-title">
            <h2 id="drivers-title">{ "Storage drivers side by side" }</h2>
            if c.images == 0 {
                <p class="empty">
                    { "No images yet. Pull or run one, for example docker run -d --name web nginx:1.15.8, \
                       then change a file in the container to see what each driver copies." }
                </p>
            } else {
                <p class="legend drivers-workload">{ c.workload() }</p>
                if let Some(headline) = c.headline() {
                    <p class="drivers-headline">{ headline }</p>
                }
                <table class="drivers-table">
                    <caption>{ "The same workload under four storage drivers. Bar lengths compare the drivers; the numbers are the values." }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "driver" }</th>
                            <th scope="col" class="num">{ "bytes copied" }</th>
                            <th scope="col" class="num">{ "bytes on disk" }</th>
                            <th scope="col" class="num">{ "1-byte edits would copy" }</th>
                        </tr>
                    </thead>
                    <tbody>{ for c.rows.iter().map(|r| driver_row(r, c)) }</tbody>
                </table>
                <ul class="drivers-why">
                    { for c.rows.iter().map(|r| html! {
                        <li><strong>{ r.driver.name() }</strong>{ ": " }{ drivers::why(r.driver) }</li>
                    }) }
                </ul>
                <p class="legend">
                    { "Bytes copied: what copy-on-write copied for the containers, including a full copy \
                       of the image when a driver makes one for each new container. Bytes on disk: the \
                       image layers, each stored once, plus the containers' own data. The last column \
                       asks what changing one byte in the middle of each changed file would copy instead." }
                </p>
            }
        </section>
    }
}
