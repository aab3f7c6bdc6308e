//! Component tests in a real browser (headless Chromium through chromedriver):
//! `cargo test --target wasm32-unknown-unknown -p pagewalk-web` with
//! `wasm-bindgen-test-runner` as the target runner (scripts/test.sh sets it).

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn settle() {
    gloo_timers::future::TimeoutFuture::new(50).await;
}

fn mount(fragment: &str) -> web_sys::Element {
    let window = web_sys::window().expect("a window");
    let _ = window.location().set_hash(fragment);
    let doc = window.document().expect("a document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    yew::Renderer::<pagewalk_web::app::App>::with_root(root.clone()).render();
    root
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_ept_walk_shows_24_numbered_cells() {
    let root = mount("#scenario=ept-24-references&step=1");
    settle().await;
    let cells = root.query_selector_all("[data-ref]").expect("query");
    assert_eq!(cells.length(), 24);
    assert_eq!(text(&root, "[data-counter=memory_refs]"), "24");
    assert_eq!(text(&root, "[data-counter=tlb_misses]"), "1");
}

#[wasm_bindgen_test]
async fn stepping_with_the_keyboard() {
    let root = mount("#scenario=native-walk-and-tlb-hit&step=0");
    settle().await;
    assert_eq!(text(&root, "[data-counter=accesses]"), "0");
    let app = root.query_selector(".app").ok().flatten().expect("the app");
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("an event");
        app.dispatch_event(ev.unchecked_ref()).expect("dispatched");
    };
    key("ArrowRight");
    settle().await;
    assert_eq!(text(&root, "[data-counter=memory_refs]"), "4");
    key("ArrowRight");
    settle().await;
    assert_eq!(text(&root, "[data-counter=tlb_hits]"), "1");
    key("ArrowLeft");
    settle().await;
    assert_eq!(text(&root, "[data-counter=tlb_hits]"), "0");
}

fn click(root: &web_sys::Element, selector: &str) {
    let el = root
        .query_selector(selector)
        .ok()
        .flatten()
        .expect("the element exists");
    el.unchecked_into::<web_sys::HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn predict_then_reveal_keeps_score() {
    let root = mount("#scenario=native-walk-and-tlb-hit&step=0");
    settle().await;
    click(&root, ".predict input[type=checkbox]");
    settle().await;
    // The first access misses the TLB; the second hits.
    click(&root, ".predict .ask button:nth-of-type(2)");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "score 1 / 1");
    click(&root, ".predict .ask button:nth-of-type(2)");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "score 1 / 2");
    assert!(text(&root, ".verdict").contains("TLB hit"));
}

#[wasm_bindgen_test]
async fn charts_appear_once_there_is_history() {
    let root = mount("#scenario=vpid-off&step=40");
    settle().await;
    let charts = root.query_selector_all(".chart polyline").expect("query");
    assert!(charts.length() >= 3);
}

/// Not a timed test (it asserts only the count): it prints how long "run to end" of a
/// 1,000,000-access scenario takes in this browser, the figure docs/performance.md reports.
#[wasm_bindgen_test]
fn run_to_end_of_a_million_accesses() {
    let src = "schema = 1\nname = \"1M\"\nlesson = \"x\"\n[machine]\nmode = \"ept\"\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\nsize = \"4M\"\n[[trace]]\nop = \"strided\"\nstart = \"0x7f00_0000_0000\"\nstride = \"4K\"\ncount = 1024\nrepeat = 977\n";
    let mut p = pagewalk_web::state::Player::load("1m.toml", src).expect("valid");
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("performance");
    let t0 = perf.now();
    p.run_to_end();
    let ms = perf.now() - t0;
    assert_eq!(p.counters().accesses, 1024 * 977);
    console_log!(
        "run to end of {} accesses: {ms:.0} ms",
        p.counters().accesses
    );
}

#[wasm_bindgen_test]
async fn reference_by_reference() {
    let root = mount("#scenario=ept-24-references&step=1");
    settle().await;
    let app = root.query_selector(".app").ok().flatten().expect("the app");
    for _ in 0..8 {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("ArrowDown");
        init.set_bubbles(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("an event");
        app.dispatch_event(ev.unchecked_ref()).expect("dispatched");
    }
    settle().await;
    // Events 0-7: access, two TLB misses, walk, nested begin, then references 1, 2 and 3.
    let future = root.query_selector_all(".grid td.future").expect("query");
    assert_eq!(future.length(), 21);
    assert_eq!(text(&root, ".grid td.now"), "3");
}
