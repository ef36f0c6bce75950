//! Mounts the lab into the page's `#app` element (or the body if the page has none).

fn main() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<layerlab_web::App>::with_root(root).render(),
        None => yew::Renderer::<layerlab_web::App>::new().render(),
    };
}
