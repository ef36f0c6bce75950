//! The picture of every image as a stack of layer boxes (bottom layer at the bottom), with each
//! container drawn as a thin writable layer resting on the image's top layer.

use std::rc::Rc;

use layerlab_core::cli::format::{ellipsis, human_size};
use layerlab_core::digest::Digest;
use yew::prelude::*;

use crate::stacks::{ContainerLayer, ImageStack, RowKind, StackRow};

// Geometry in SVG user units; the picture scales with its box, so these only set proportions.
const WIDTH: u32 = 400;
const LAYER_H: u32 = 26;
const EMPTY_H: u32 = 16;
const CONTAINER_H: u32 = 22;
const GAP: u32 = 3;
const CONTAINERS_PER_ROW: usize = 2;
/// Characters of instruction that fit beside the size column at the picture's font size.
const INSTRUCTION_CHARS: usize = 40;

#[derive(Debug, Properties, PartialEq)]
pub struct StackPictureProps {
    pub stacks: Rc<Vec<ImageStack>>,
}

/// A layer's colour, from its chain ID: the same layer has the same colour in every image that
/// holds it, which is what makes sharing visible.
fn layer_hue(chain_id: &Digest) -> u32 {
    let [a, b, ..] = *chain_id.as_bytes();
    (u32::from(a) << 8 | u32::from(b)) % 360
}

fn layer_row(row: &StackRow, y: u32) -> (Html, u32) {
    match &row.kind {
        RowKind::Layer {
            chain_id,
            size,
            shared_with,
        } => {
            let shared = match shared_with {
                0 => String::new(),
                1 => "also in 1 other image".to_owned(),
                n => format!("also in {n} other images"),
            };
            let title = format!(
                "{}\n{} bytes, chain ID {}{}",
                row.instruction,
                size,
                chain_id.short(),
                if shared.is_empty() {
                    String::new()
                } else {
                    format!(", {shared}")
                }
            );
            let html = html! {
                <g class={classes!("layer", (*shared_with > 0).then_some("shared"))}>
                    <title>{ title }</title>
                    <rect x="0" y={y.to_string()} width={WIDTH.to_string()} height={LAYER_H.to_string()}
                          rx="3" style={format!("fill: hsl({}, 60%, 86%)", layer_hue(chain_id))} />
                    <text x="8" y={(y + 17).to_string()} class="instr">
                        { ellipsis(&row.instruction, INSTRUCTION_CHARS) }
                    </text>
                    <text x={(WIDTH - 8).to_string()} y={(y + 17).to_string()} class="size"
                          text-anchor="end">{ human_size(*size) }</text>
                </g>
            };
            (html, LAYER_H)
        }
        RowKind::Empty => {
            let html = html! {
                <g class="empty-layer">
                    <title>{ format!("{}\nchanges only the image's settings: no layer", row.instruction) }</title>
                    <rect x="0" y={y.to_string()} width={WIDTH.to_string()} height={EMPTY_H.to_string()}
                          rx="2" />
                    <text x="8" y={(y + 12).to_string()} class="instr">
                        { ellipsis(&row.instruction, INSTRUCTION_CHARS + 6) }
                    </text>
                    <text x={(WIDTH - 8).to_string()} y={(y + 12).to_string()} class="size"
                          text-anchor="end">{ "no layer" }</text>
                </g>
            };
            (html, EMPTY_H)
        }
    }
}

fn container_box(c: &ContainerLayer, x: u32, y: u32, width: u32) -> Html {
    let state = if c.running { "running" } else { "stopped" };
    html! {
        <g class={classes!("container", state)}>
            <title>{ format!("container {} ({}), {state}\nwritable layer: {} bytes", c.name, c.short_id, c.size_rw) }</title>
            <rect x={x.to_string()} y={y.to_string()} width={width.to_string()}
                  height={CONTAINER_H.to_string()} rx="3" />
            <text x={(x + 6).to_string()} y={(y + 15).to_string()} class="instr">
                { ellipsis(&c.name, 22) }
            </text>
            <text x={(x + width - 6).to_string()} y={(y + 15).to_string()} class="size"
                  text-anchor="end">{ human_size(c.size_rw) }</text>
        </g>
    }
}

fn stack_figure(stack: &ImageStack) -> Html {
    let container_rows = stack.containers.len().div_ceil(CONTAINERS_PER_ROW) as u32;
    let containers_h = container_rows * (CONTAINER_H + GAP);
    let box_w = (WIDTH - GAP * (CONTAINERS_PER_ROW as u32 - 1)) / CONTAINERS_PER_ROW as u32;
    let containers = stack.containers.iter().enumerate().map(|(i, c)| {
        let col = (i % CONTAINERS_PER_ROW) as u32;
        // Newest containers on the highest row, as a stack grows upwards.
        let row = container_rows - 1 - (i / CONTAINERS_PER_ROW) as u32;
        container_box(c, col * (box_w + GAP), row * (CONTAINER_H + GAP), box_w)
    });
    let mut y = containers_h;
    let mut rows = Vec::with_capacity(stack.rows.len());
    for row in stack.rows.iter().rev() {
        let (html, h) = layer_row(row, y);
        rows.push(html);
        y += h + GAP;
    }
    let height = y.saturating_sub(GAP).max(1);
    let layers = stack
        .rows
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Layer { .. }))
        .count();
    let label = format!(
        "{}: {} layers, {} history rows without a layer, {} containers",
        stack.label(),
        layers,
        stack.rows.len() - layers,
        stack.containers.len()
    );
    html! {
        <figure class="stack">
            <figcaption>
                <span class="image-name">{ stack.label() }</span>
                <span class="image-size">{ human_size(stack.size) }</span>
            </figcaption>
            <svg class="stack-svg" viewBox={format!("0 0 {WIDTH} {height}")} role="img"
                 aria-label={label} preserveAspectRatio="xMidYMax meet">
                { for containers }
                { for rows }
            </svg>
        </figure>
    }
}

#[component]
pub fn StackPicture(props: &StackPictureProps) -> Html {
    html! {
        <section class="panel stacks" aria-labelledby="stacks-title">
            <h2 id="stacks-title">{ "Images and containers" }</h2>
            if props.stacks.is_empty() {
                <p class="empty">{ "No images yet. Pull or run one, for example: docker run nginx:1.15.8" }</p>
            } else {
                <p class="legend">
                    { "Each box is a read-only layer, the first one at the bottom; thin dashed rows \
                       made no layer. Containers sit on top, each with its own writable layer. \
                       The same colour in two images is the same layer, stored once." }
                </p>
                <div class="stack-list">{ for props.stacks.iter().map(stack_figure) }</div>
            }
        </section>
    }
}
