//! The Files panel: an image's or a container's merged file tree, each path marked with the layer
//! that added, changed or removed it; a search through every layer; the bytes the layers store
//! but nobody sees, with an efficiency score; and the difference of two images.
//!
//! The explorer is worked out once per command (the simulator view changes only then) and per
//! choice of subject; expanding, sorting and searching only read it, and the tree shows only what
//! is expanded, at most a page of rows at a time, so an image of ten thousand files stays quick.

use std::collections::BTreeSet;
use std::rc::Rc;

use layerlab_core::cli::format::human_size;
use layerlab_core::explorer::{Change, Explorer, Kind, LayerEntry, NodeId, Order};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::explorer_view::{
    self, Choice, Explored, LayerNames, PAGE, Row, Subject, TreeMove, diff_rows, fate_text, indent, mark,
    percent, tree_key, tree_rows,
};
use crate::state::SimView;

#[derive(Debug, Properties, PartialEq)]
pub struct FileExplorerProps {
    pub sim: SimView,
}

/// What the panel shows below the subject menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tree,
    Wasted,
    Diff,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Tree, Mode::Wasted, Mode::Diff];

    fn label(self) -> &'static str {
        match self {
            Mode::Tree => "Tree",
            Mode::Wasted => "Wasted space",
            Mode::Diff => "Compare images",
        }
    }
}

fn change_class(change: Change) -> &'static str {
    match change {
        Change::Added => "mark-added",
        Change::Modified => "mark-modified",
        Change::Removed => "mark-removed",
    }
}

fn select_value(e: &Event) -> String {
    e.target_dyn_into::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

/// A select of subjects (only images when `images_only`).
fn subject_select(
    label: &str,
    choices: &[Choice],
    current: &str,
    images_only: bool,
    onchange: Callback<Event>,
) -> Html {
    let options = choices
        .iter()
        .filter(|c| !images_only || matches!(c.subject, Subject::Image(_)))
        .map(|c| {
            let key = c.subject.key();
            let selected = key == current;
            html! { <option value={key} {selected}>{ c.label.clone() }</option> }
        });
    html! {
        <label class="fx-field">
            <span class="fx-label">{ label.to_owned() }</span>
            <select {onchange}>{ for options }</select>
        </label>
    }
}

fn size_cell(bytes: u64) -> Html {
    html! { <span class="fx-size" title={format!("{bytes} bytes")}>{ human_size(bytes) }</span> }
}

/// The rows of a layer-entry list (search results, wasted copies), capped at `limit`.
fn entry_table(
    caption: &str,
    entries: &[LayerEntry<'_>],
    names: &LayerNames,
    limit: usize,
    onreveal: &Callback<String>,
) -> Html {
    let rows = entries.iter().take(limit).map(|le| {
        let kind = Kind::of(&le.entry.kind);
        let onclick = {
            let (onreveal, path) = (onreveal.clone(), le.entry.path.clone());
            Callback::from(move |_: MouseEvent| onreveal.emit(path.clone()))
        };
        html! {
            <tr class={classes!((!matches!(le.fate, layerlab_core::explorer::Fate::Visible)).then_some("fx-hidden"))}>
                <td class="fx-path"><button type="button" class="fx-reveal" title="Show in the tree" {onclick}>
                    <code>{ format!("/{}", le.entry.path) }</code></button>
                    <span class="fx-kind">{ format!(" {}", kind.word()) }</span></td>
                <td class={classes!("fx-mark", change_class(le.change))} title={names.long(le.layer)}>
                    { format!("{} {}", le.change.symbol(), names.short(le.layer)) }
                    <span class="fx-instr">{ format!(" {}", names.brief(le.layer)) }</span>
                </td>
                <td class="num">{ size_cell(le.size()) }</td>
                <td class="fx-fate">{ fate_text(le.fate, names) }</td>
            </tr>
        }
    });
    html! {
        <table class="fx-entries">
            <caption>{ caption.to_owned() }</caption>
            <thead><tr>
                <th scope="col">{ "path" }</th><th scope="col">{ "layer" }</th>
                <th scope="col" class="num">{ "size" }</th><th scope="col">{ "what became of it" }</th>
            </tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn more_button(shown: usize, total: Option<usize>, limit: &UseStateHandle<usize>) -> Html {
    let onclick = {
        let limit = limit.clone();
        Callback::from(move |_: MouseEvent| limit.set(*limit + PAGE))
    };
    let text = match total {
        Some(t) => format!("Show more ({shown} of {t} shown)"),
        None => format!("Show more ({shown} shown)"),
    };
    html! { <button type="button" class="fx-more" {onclick}>{ text }</button> }
}

/// One row of the tree.
fn tree_row(
    x: &Explorer,
    names: &LayerNames,
    row: &Row,
    index: usize,
    focus: usize,
    onrow: &Callback<usize>,
) -> Html {
    let Some(node) = x.node(row.id) else {
        return html! {};
    };
    let m = mark(node.presence, names);
    let disclosure = if row.expandable {
        if row.expanded { "▾ " } else { "▸ " }
    } else {
        "  "
    };
    let target = match x.entry(row.id).map(|e| &e.kind) {
        Some(layerlab_core::layer::EntryKind::Symlink { target }) => format!(" -> {target}"),
        Some(layerlab_core::layer::EntryKind::Hardlink { target }) => format!(" link to /{target}"),
        _ => String::new(),
    };
    let suffix = if node.kind == Kind::Dir { "/" } else { "" };
    let onclick = {
        let onrow = onrow.clone();
        Callback::from(move |_: MouseEvent| onrow.emit(index))
    };
    let removed = !node.presence.is_visible();
    html! {
        <li role="treeitem" data-node={row.id.0.to_string()} data-path={node.path.to_string()}
            aria-level={(row.depth + 1).to_string()}
            aria-posinset={row.position.to_string()} aria-setsize={row.siblings.to_string()}
            aria-expanded={row.expandable.then(|| row.expanded.to_string())}
            aria-selected={(index == focus).to_string()}
            tabindex={if index == focus { "0" } else { "-1" }}
            class={classes!("fx-row", removed.then_some("fx-removed"), (index == focus).then_some("focused"))}
            title={format!("/{}: {}", node.path, m.sentence)}
            {onclick}>
            <span class="fx-name" style={indent(row.depth)}>
                <span class="fx-disclosure" aria-hidden="true">{ disclosure }</span>
                { format!("{}{suffix}", node.name()) }
                <span class="fx-target">{ target }</span>
            </span>
            <span class={classes!("fx-mark", change_class(m.change))}>
                <span class="fx-badge">{ m.short.clone() }</span>
                <span class="fx-instr">{ format!(" {}", m.instruction) }</span>
                <span class="visually-hidden">{ format!(" ({})", m.sentence) }</span>
            </span>
            { size_cell(node.total) }
        </li>
    }
}

#[component]
pub fn FileExplorer(props: &FileExplorerProps) -> Html {
    let chosen = use_state(String::new);
    let mode = use_state(|| Mode::Tree);
    let order = use_state(Order::default);
    let show_removed = use_state(|| true);
    let expanded = use_state(|| Rc::new(BTreeSet::<String>::new()));
    let focus = use_state(|| None::<String>);
    let limit = use_state(|| PAGE);
    let query = use_state(String::new);
    let diff_a = use_state(String::new);
    let diff_b = use_state(String::new);
    let tree_ref = use_node_ref();
    let focus_pending = use_mut_ref(|| false);

    let choices = use_memo(props.sim.clone(), |sim| explorer_view::choices(&sim.borrow()));
    // A chosen subject that is gone (an image removed) falls back to the first one.
    let current: String = choices
        .iter()
        .map(|c| c.subject.key())
        .find(|k| *k == *chosen)
        .or_else(|| choices.first().map(|c| c.subject.key()))
        .unwrap_or_default();
    let explored: Rc<Option<Explored>> = use_memo((props.sim.clone(), current.clone()), |(sim, key)| {
        Subject::from_key(key).and_then(|s| explorer_view::explore(&sim.borrow(), &s))
    });

    let image_keys: Vec<String> = choices
        .iter()
        .filter(|c| matches!(c.subject, Subject::Image(_)))
        .map(|c| c.subject.key())
        .collect();
    let pick = |wanted: &str, fallback: usize| -> String {
        if image_keys.iter().any(|k| k == wanted) {
            wanted.to_owned()
        } else {
            image_keys
                .get(fallback)
                .or_else(|| image_keys.first())
                .cloned()
                .unwrap_or_default()
        }
    };
    let a_key = pick(&diff_a, 0);
    let b_key = pick(&diff_b, 1);
    let diff = use_memo(
        (
            props.sim.clone(),
            a_key.clone(),
            b_key.clone(),
            *mode == Mode::Diff,
        ),
        |(sim, a, b, on)| {
            let (Some(Subject::Image(a)), Some(Subject::Image(b))) =
                (Subject::from_key(a), Subject::from_key(b))
            else {
                return None;
            };
            if !*on {
                return None;
            }
            explorer_view::image_diff(&sim.borrow(), &a, &b)
        },
    );

    // Rows of the tree, worked out before the handlers that need them.
    let rows: Rc<Vec<Row>>;
    let more: bool;
    match explored.as_ref() {
        Some(e) if *mode == Mode::Tree && query.is_empty() => {
            let t = tree_rows(&e.explorer, &expanded, *order, *show_removed, *limit);
            rows = Rc::new(t.rows);
            more = t.more;
        }
        _ => {
            rows = Rc::new(Vec::new());
            more = false;
        }
    }
    let focus_index = explored
        .as_ref()
        .as_ref()
        .and_then(|e| {
            let f = (*focus).as_deref()?;
            rows.iter()
                .position(|r| e.explorer.node(r.id).is_some_and(|n| &*n.path == f))
        })
        .unwrap_or(0);

    {
        let tree_ref = tree_ref.clone();
        let focus_pending = focus_pending.clone();
        use_effect_with((*focus).clone(), move |_| {
            if std::mem::take(&mut *focus_pending.borrow_mut()) {
                let row = tree_ref
                    .cast::<HtmlElement>()
                    .and_then(|t| t.query_selector("[role=treeitem][tabindex='0']").ok().flatten())
                    .and_then(|r| r.dyn_into::<HtmlElement>().ok());
                if let Some(row) = row {
                    let _ = row.focus();
                }
            }
        });
    }

    let path_of = {
        let explored = explored.clone();
        move |id: NodeId| -> Option<String> {
            explored
                .as_ref()
                .as_ref()
                .and_then(|e| e.explorer.node(id))
                .map(|n| n.path.to_string())
        }
    };
    let toggle = {
        let expanded = expanded.clone();
        move |path: String, open: bool| {
            let mut set = (**expanded).clone();
            if open {
                set.insert(path);
            } else {
                set.remove(&path);
            }
            expanded.set(Rc::new(set));
        }
    };
    let onrow = {
        let (rows, focus, toggle, path_of) = (rows.clone(), focus.clone(), toggle.clone(), path_of.clone());
        Callback::from(move |index: usize| {
            let Some(row) = rows.get(index) else { return };
            let Some(path) = path_of(row.id) else { return };
            if row.expandable {
                toggle(path.clone(), !row.expanded);
            }
            focus.set(Some(path));
        })
    };
    let onkeydown = {
        let (rows, focus, focus_pending) = (rows.clone(), focus.clone(), focus_pending.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Some(m) = tree_key(&e.key(), &rows, focus_index) else {
                return;
            };
            e.prevent_default();
            match m {
                TreeMove::Focus(i) => {
                    if let Some(p) = rows.get(i).and_then(|r| path_of(r.id)) {
                        *focus_pending.borrow_mut() = true;
                        focus.set(Some(p));
                    }
                }
                TreeMove::Expand(id) => {
                    if let Some(p) = path_of(id) {
                        toggle(p, true);
                    }
                }
                TreeMove::Collapse(id) => {
                    if let Some(p) = path_of(id) {
                        toggle(p, false);
                    }
                }
            }
        })
    };

    // A path picked in a list: open its folders, show removed files if it is one, and focus it.
    let onreveal = {
        let (expanded, focus, focus_pending, query, mode, show_removed) = (
            expanded.clone(),
            focus.clone(),
            focus_pending.clone(),
            query.clone(),
            mode.clone(),
            show_removed.clone(),
        );
        Callback::from(move |path: String| {
            let mut set = (**expanded).clone();
            set.extend(explorer_view::ancestors_of(&path));
            expanded.set(Rc::new(set));
            show_removed.set(true);
            query.set(String::new());
            mode.set(Mode::Tree);
            *focus_pending.borrow_mut() = true;
            focus.set(Some(path));
        })
    };
    let on_subject = {
        let (chosen, limit, focus) = (chosen.clone(), limit.clone(), focus.clone());
        Callback::from(move |e: Event| {
            chosen.set(select_value(&e));
            limit.set(PAGE);
            focus.set(None);
        })
    };
    let on_order = {
        let order = order.clone();
        Callback::from(move |e: Event| {
            order.set(if select_value(&e) == "size" {
                Order::Size
            } else {
                Order::Name
            });
        })
    };
    let on_removed = {
        let show_removed = show_removed.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                show_removed.set(i.checked());
            }
        })
    };
    let on_query = {
        let (query, limit) = (query.clone(), limit.clone());
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                query.set(i.value());
                limit.set(PAGE);
            }
        })
    };
    let on_diff_a = {
        let (diff_a, limit) = (diff_a.clone(), limit.clone());
        Callback::from(move |e: Event| {
            diff_a.set(select_value(&e));
            limit.set(PAGE);
        })
    };
    let on_diff_b = {
        let (diff_b, limit) = (diff_b.clone(), limit.clone());
        Callback::from(move |e: Event| {
            diff_b.set(select_value(&e));
            limit.set(PAGE);
        })
    };

    let mode_buttons = Mode::ALL.into_iter().map(|m| {
        let onclick = {
            let (mode, limit) = (mode.clone(), limit.clone());
            Callback::from(move |_: MouseEvent| {
                mode.set(m);
                limit.set(PAGE);
            })
        };
        html! {
            <button type="button" class={classes!("fx-mode", (*mode == m).then_some("selected"))}
                    aria-pressed={(*mode == m).to_string()} {onclick}>{ m.label() }</button>
        }
    });
    let order_select = html! {
        <label class="fx-field">
            <span class="fx-label">{ "Sort by" }</span>
            <select onchange={on_order}>
                <option value="name" selected={*order == Order::Name}>{ "name" }</option>
                <option value="size" selected={*order == Order::Size}>{ "size, biggest first" }</option>
            </select>
        </label>
    };

    let body = match (explored.as_ref(), *mode) {
        (_, Mode::Diff) => diff_body(
            &choices,
            &a_key,
            &b_key,
            on_diff_a,
            on_diff_b,
            diff.as_ref().as_ref(),
            &limit,
            order_select,
            *order,
        ),
        (None, _) => html! {},
        (Some(e), Mode::Wasted) => wasted_body(e, &limit, &onreveal),
        (Some(e), Mode::Tree) => {
            let x = &e.explorer;
            let results = if query.is_empty() {
                html! {}
            } else {
                let found = x.search(&query);
                let caption = format!(
                    "{} entr{} in all layers match \"{}\" (hidden copies and whiteouts included)",
                    found.len(),
                    if found.len() == 1 { "y" } else { "ies" },
                    *query
                );
                html! {
                    <div class="fx-search-results" aria-live="polite">
                        { entry_table(&caption, &found, &e.names, *limit, &onreveal) }
                        if found.len() > *limit { { more_button(*limit, Some(found.len()), &limit) } }
                    </div>
                }
            };
            let tree = if query.is_empty() {
                let items = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| tree_row(x, &e.names, r, i, focus_index, &onrow));
                html! {
                    <>
                        <ul class="fx-tree" role="tree" ref={tree_ref.clone()}
                            aria-label={format!("Merged files of {}", label_of(&choices, &current))}
                            onkeydown={onkeydown}>
                            { for items }
                        </ul>
                        if more { { more_button(rows.len(), None, &limit) } }
                    </>
                }
            } else {
                html! {}
            };
            html! {
                <>
                    <div class="fx-controls">
                        <label class="fx-field fx-search">
                            <span class="fx-label">{ "Search all layers" }</span>
                            <input type="search" value={(*query).clone()} oninput={on_query}
                                   placeholder="nginx.conf, /etc/ssl, .so" />
                        </label>
                        { order_select }
                        <label class="fx-check">
                            <input type="checkbox" checked={*show_removed} onchange={on_removed} />
                            { " show removed files" }
                        </label>
                    </div>
                    { layer_key(&e.names) }
                    <p class="legend fx-legend">
                        { "Marks: + added, ~ changed, - removed, then the layer (L1 is the bottom layer, RW a \
                           container's writable layer) and the instruction that made it. Arrow keys move \
                           through the tree; Right opens a folder, Left closes it." }
                    </p>
                    { results }
                    { tree }
                </>
            }
        }
    };

    let summary = explored.as_ref().as_ref().map(|e| {
        let x = &e.explorer;
        let (files, dirs) = explorer_view::counts(x);
        html! {
            <p class="fx-summary">
                { format!("{files} files and {dirs} directories visible, {} of {} stored in {} layers; efficiency ",
                          human_size(x.visible_bytes()), human_size(x.stored_bytes()), x.layers().len()) }
                <strong class="fx-efficiency">{ percent(x) }</strong>
                { format!(", {} wasted.", human_size(x.wasted_bytes())) }
            </p>
        }
    });

    html! {
        <section class="panel files" aria-labelledby="files-title">
            <h2 id="files-title">{ "Files" }</h2>
            if choices.is_empty() {
                <p class="empty">{ "No images yet. Pull or run one, for example: docker run nginx:1.15.8" }</p>
            } else {
                <div class="fx-controls">
                    { subject_select("Image or container", &choices, &current, false, on_subject) }
                </div>
                <div class="fx-modes" role="group" aria-label="What to show">{ for mode_buttons }</div>
                { for summary }
                { body }
            }
        </section>
    }
}

/// Which instruction made each layer, top first, so a row's `L3` can be read off.
fn layer_key(names: &LayerNames) -> Html {
    let items = (0..names.len()).rev().map(|l| {
        html! {
            <li title={names.long(l)}>
                <span class="fx-badge">{ names.short(l) }</span>
                { format!(" {}", names.brief(l)) }
            </li>
        }
    });
    html! {
        <details class="fx-layer-key" open=true>
            <summary>{ "Layers, top first" }</summary>
            <ol>{ for items }</ol>
        </details>
    }
}

fn label_of(choices: &[Choice], key: &str) -> String {
    choices
        .iter()
        .find(|c| c.subject.key() == key)
        .map(|c| c.label.clone())
        .unwrap_or_default()
}

fn wasted_body(e: &Explored, limit: &UseStateHandle<usize>, onreveal: &Callback<String>) -> Html {
    let x = &e.explorer;
    let stats = x.layer_stats().iter().enumerate().rev().map(|(l, s)| {
        html! {
            <tr>
                <th scope="row" title={e.names.long(l)}>
                    { e.names.short(l) }<span class="fx-instr">{ format!(" {}", e.names.brief(l)) }</span>
                </th>
                <td class="num">{ format!("+{} ~{} -{}", s.added, s.modified, s.removed) }</td>
                <td class="num">{ size_cell(s.stored) }</td>
                <td class="num">{ size_cell(s.wasted) }</td>
            </tr>
        }
    });
    let wasted = x.wasted();
    html! {
        <div class="fx-wasted">
            <p class="fx-score">
                <strong class="fx-efficiency">{ percent(x) }</strong>
                { " efficiency" }
            </p>
            <p class="legend">
                { format!("efficiency = bytes visible / bytes stored = {} / {} bytes. The rest, {} bytes, \
                           is stored in layers but hidden by a higher layer that overwrote or deleted it: \
                           deleting a file in a later layer never gives its space back.",
                          x.visible_bytes(), x.stored_bytes(), x.wasted_bytes()) }
            </p>
            <table class="fx-layers">
                <caption>{ "Each layer, top first: entries added, changed and removed; bytes stored and wasted" }</caption>
                <thead><tr>
                    <th scope="col">{ "layer" }</th><th scope="col" class="num">{ "entries" }</th>
                    <th scope="col" class="num">{ "stored" }</th><th scope="col" class="num">{ "wasted" }</th>
                </tr></thead>
                <tbody>{ for stats }</tbody>
            </table>
            if wasted.is_empty() {
                <p class="empty">{ "No layer stores a file that a higher layer hides." }</p>
            } else {
                { entry_table(&format!("{} hidden copies, biggest first", wasted.len()), &wasted, &e.names, **limit, onreveal) }
                if wasted.len() > **limit { { more_button(**limit, Some(wasted.len()), limit) } }
            }
        </div>
    }
}

fn diff_row(
    symbol: char,
    class: &'static str,
    path: &str,
    kind: Kind,
    a: Option<u64>,
    b: Option<u64>,
    note: &str,
) -> Html {
    let cell = |s: Option<u64>| match s {
        Some(bytes) => html! { <td class="num">{ size_cell(bytes) }</td> },
        None => html! { <td class="num fx-absent">{ "absent" }</td> },
    };
    html! {
        <tr class={class}>
            <td class="fx-diff-mark">{ symbol }</td>
            <td class="fx-path"><code>{ format!("/{path}") }</code><span class="fx-kind">{ format!(" {}", kind.word()) }</span></td>
            { cell(a) }
            { cell(b) }
            <td>{ note.to_owned() }</td>
        </tr>
    }
}

fn diff_class(mark: char) -> &'static str {
    match mark {
        '-' => "only-a",
        '+' => "only-b",
        _ => "changed",
    }
}

#[allow(clippy::too_many_arguments)]
fn diff_body(
    choices: &[Choice],
    a_key: &str,
    b_key: &str,
    on_a: Callback<Event>,
    on_b: Callback<Event>,
    diff: Option<&layerlab_core::explorer::ImageDiff>,
    limit: &UseStateHandle<usize>,
    order_select: Html,
    order: Order,
) -> Html {
    let images = choices
        .iter()
        .filter(|c| matches!(c.subject, Subject::Image(_)))
        .count();
    let pickers = html! {
        <div class="fx-controls">
            { subject_select("Image A", choices, a_key, true, on_a) }
            { subject_select("Image B", choices, b_key, true, on_b) }
            { order_select }
        </div>
    };
    if images < 2 {
        return html! {
            <>
                { pickers }
                <p class="empty">{ "Pull a second image to compare, for example: docker pull ubuntu:15.04" }</p>
            </>
        };
    }
    let Some(d) = diff else {
        return pickers;
    };
    let all = diff_rows(d, order);
    let total = all.len();
    let rows = all
        .iter()
        .take(**limit)
        .map(|r| diff_row(r.mark, diff_class(r.mark), r.path, r.kind, r.a, r.b, &r.note));
    html! {
        <>
            { pickers }
            <p class="fx-summary fx-diff-summary">
                { format!("{} paths only in A ({}), {} only in B ({}), {} changed.",
                          d.only_in_a.len(), human_size(d.bytes_only_in_a()),
                          d.only_in_b.len(), human_size(d.bytes_only_in_b()), d.changed.len()) }
            </p>
            if d.is_empty() {
                <p class="empty">{ "The two images show exactly the same files." }</p>
            } else {
                <table class="fx-diff">
                    <caption>{ "- only in A, + only in B, ~ in both but different (times are ignored)" }</caption>
                    <thead><tr>
                        <th scope="col"><span class="visually-hidden">{ "mark" }</span></th>
                        <th scope="col">{ "path" }</th><th scope="col" class="num">{ "size in A" }</th>
                        <th scope="col" class="num">{ "size in B" }</th><th scope="col">{ "difference" }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                if total > **limit { { more_button(**limit, Some(total), limit) } }
            }
        </>
    }
}
