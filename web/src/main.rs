//! Entry point: renders the app into the page body.

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        // What the app cannot prevent it still shows: a panic puts a message on the page
        // (and in the console) instead of leaving a dead page.
        std::panic::set_hook(Box::new(|info| {
            let msg = format!(
                "pagewalk stopped on an internal error: {info}. Reload the page; the link you opened may name something pagewalk cannot show."
            );
            web_sys::console::error_1(&msg.clone().into());
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                if let (Ok(div), Some(body)) = (doc.create_element("div"), doc.body()) {
                    div.set_class_name("fatal");
                    let _ = div.set_attribute("role", "alert");
                    div.set_text_content(Some(&msg));
                    let _ = body.prepend_with_node_1(&div);
                }
            }
        }));
        yew::Renderer::<pagewalk_web::app::App>::new().render();
    }
}
