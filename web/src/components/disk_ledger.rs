//! The disk ledger: what `docker ps -s` says each container takes, the lesson's formula worked
//! out with those numbers, and the rest of what is on the disk.

use std::rc::Rc;

use layerlab_core::cli::format::human_size;
use yew::prelude::*;

use crate::disk::DiskView;

#[derive(Debug, Properties, PartialEq)]
pub struct DiskLedgerProps {
    pub disk: Rc<DiskView>,
}

fn bytes_cell(bytes: u64) -> Html {
    html! { <td class="num" title={format!("{bytes} bytes")}>{ human_size(bytes) }</td> }
}

#[component]
pub fn DiskLedger(props: &DiskLedgerProps) -> Html {
    let disk = &props.disk;
    let ledger = &disk.ledger;
    let containers = disk.containers.iter().map(|c| {
        html! {
            <tr>
                <td>{ c.name.clone() }</td>
                <td>{ c.image.clone() }</td>
                <td class="num" title={format!("{} bytes in the writable layer; {} bytes with the image", c.size, c.virtual_size)}>
                    { format!("{} (virtual {})", human_size(c.size), human_size(c.virtual_size)) }
                </td>
            </tr>
        }
    });
    let formulas = disk.formulas.iter().map(|f| {
        let n = f.sizes.len();
        html! {
            <li>
                <span class="formula-image">{ format!("{n} container{} of {}: ", if n == 1 { "" } else { "s" }, f.image) }</span>
                <code>{ f.worked() }</code>
            </li>
        }
    });
    html! {
        <section class="panel disk" aria-labelledby="disk-title">
            <h2 id="disk-title">{ "Disk ledger" }</h2>
            if disk.containers.is_empty() {
                <p class="empty">{ "No containers yet. `docker ps -s` sizes and the disk formula appear here once you run one." }</p>
            } else {
                <table class="sizes">
                    <caption>{ "docker ps -s: SIZE is the writable layer; virtual adds the image" }</caption>
                    <thead><tr><th scope="col">{ "NAME" }</th><th scope="col">{ "IMAGE" }</th><th scope="col" class="num">{ "SIZE" }</th></tr></thead>
                    <tbody>{ for containers }</tbody>
                </table>
                <p class="formula-intro">
                    { "Containers of one image share its layers, so their disk use is every SIZE plus the image once, Σ size + (virtual − size) of one container:" }
                </p>
                <ul class="formulas">{ for formulas }</ul>
                <p class="naive">
                    { format!("Adding up the virtual sizes instead would claim {}.", human_size(disk.naive_total)) }
                </p>
            }
            <table class="ledger">
                <caption>{ "Everything on the simulated disk" }</caption>
                <tbody>
                    <tr><th scope="row">{ "image layers, each stored once" }</th>{ bytes_cell(ledger.image_layers) }</tr>
                    <tr><th scope="row">{ "writable container layers" }</th>{ bytes_cell(ledger.writable_layers()) }</tr>
                    <tr class="subtotal"><th scope="row">{ "counted by the formula" }</th>{ bytes_cell(ledger.formula_part()) }</tr>
                    <tr><th scope="row">{ "json-file logs" }</th>{ bytes_cell(ledger.logs()) }</tr>
                    <tr><th scope="row">{ "volumes" }</th>{ bytes_cell(ledger.volumes) }</tr>
                    <tr><th scope="row">{ "container config files" }</th>{ bytes_cell(ledger.config()) }</tr>
                    <tr><th scope="row">{ "checkpoints" }</th>{ bytes_cell(ledger.checkpoints()) }</tr>
                    <tr><th scope="row">{ "build cache" }</th>{ bytes_cell(ledger.build_cache) }</tr>
                    <tr class="subtotal"><th scope="row">{ "left out by the formula" }</th>{ bytes_cell(ledger.left_out()) }</tr>
                    <tr class="total"><th scope="row">{ "total" }</th>{ bytes_cell(ledger.total()) }</tr>
                </tbody>
            </table>
        </section>
    }
}
