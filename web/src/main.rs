//! Entry point: renders the app into the page body.

fn main() {
    #[cfg(target_arch = "wasm32")]
    yew::Renderer::<pagewalk_web::app::App>::new().render();
}
