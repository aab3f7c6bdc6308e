//! Component tests in a real browser (headless Chromium through chromedriver):
//! `cargo test --target wasm32-unknown-unknown -p pagewalk-web` with
//! `wasm-bindgen-test-runner` as the target runner (scripts/test.sh sets it).

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Waits until the page stops changing: Yew may let the browser run between a parent's render
/// and its children's (once a batch takes 16 ms), so a fixed pause can see half an update on a
/// busy machine. At most 3 s (a page that keeps playing never settles).
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(50).await;
    let body = || {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
            .map(|b| b.inner_html())
            .unwrap_or_default()
    };
    let mut last = body();
    let mut same = 0;
    for _ in 0..100 {
        gloo_timers::future::TimeoutFuture::new(30).await;
        let now = body();
        if now == last {
            same += 1;
            if same >= 2 {
                return;
            }
        } else {
            same = 0;
            last = now;
        }
    }
}

/// The app mounted for one test, taken down (with its window listeners) when the test ends,
/// pass or fail: the tests after it do not drive it with their links and keys (every app
/// left mounted would follow each later test's URL, loading and seeking its lesson too).
struct Mounted {
    root: web_sys::Element,
    app: Option<yew::AppHandle<pagewalk_web::app::App>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        self.root.remove();
    }
}

impl std::ops::Deref for Mounted {
    type Target = web_sys::Element;
    fn deref(&self) -> &web_sys::Element {
        &self.root
    }
}

/// Mounts the app at `fragment` in a new element of the page.
fn mount(fragment: &str) -> Mounted {
    let window = web_sys::window().expect("a window");
    // A language a failed test chose (its guard does not run when a wasm panic aborts) must
    // not turn the next tests' English checks into failures of their own: the link decides.
    if !fragment.contains("lang=") {
        if let Ok(Some(s)) = window.local_storage() {
            let _ = s.remove_item("pagewalk.lang");
        }
    }
    let _ = window.location().set_hash(fragment);
    let doc = window.document().expect("a document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    let app = yew::Renderer::<pagewalk_web::app::App>::with_root(root.clone()).render();
    Mounted {
        root,
        app: Some(app),
    }
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

/// Dispatches a bubbling event of `kind` (Yew listens at the root, so it must bubble).
fn fire(target: &web_sys::EventTarget, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict(kind, &init).expect("an event");
    target.dispatch_event(&ev).expect("dispatched");
}

fn click(root: &web_sys::Element, selector: &str) {
    let el = root
        .query_selector(selector)
        .ok()
        .flatten()
        .expect("the element exists");
    el.unchecked_into::<web_sys::HtmlElement>().click();
}

fn forget_scores() {
    if let Some(Ok(Some(store))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = store.remove_item("pagewalk.scores");
    }
}

/// The three questions are asked together and each answer is scored; the reveal says why;
/// the score belongs to the lesson and is shown beside it in the gallery.
#[wasm_bindgen_test]
async fn predict_then_reveal_keeps_score() {
    forget_scores();
    let root = mount("#scenario=native-walk-and-tlb-hit&step=0");
    settle().await;
    click(&root, ".predict input[type=checkbox]");
    settle().await;
    let reveal = || {
        root.query_selector("#reveal")
            .ok()
            .flatten()
            .expect("a reveal button")
    };
    assert!(
        reveal().has_attribute("disabled"),
        "nothing predicted, nothing to reveal"
    );
    // The question says which access it is about.
    let next = text(&root, ".next-access");
    assert!(
        next.starts_with("Next: ") && next.contains(" of 0x"),
        "{next}"
    );
    // The first access misses the TLB and does not fault: two answers, both right.
    click(&root, ".predict .ask button:nth-of-type(2)");
    click(&root, ".predict .ask:nth-of-type(3) button:nth-of-type(1)");
    settle().await;
    assert_eq!(
        root.query_selector_all(".predict button.picked")
            .unwrap()
            .length(),
        2,
        "the picks are shown"
    );
    click(&root, "#reveal");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "this lesson: 2 / 2");
    assert!(text(&root, ".verdict .why").contains("page-table reference"));
    // The second hits: "miss" is wrong, and the reveal says what happened.
    click(&root, ".predict .ask button:nth-of-type(2)");
    settle().await;
    click(&root, "#reveal");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "this lesson: 2 / 3");
    assert!(text(&root, ".verdict li.wrong").contains("a TLB hit (you said a TLB miss)"));
    assert!(text(&root, ".gallery li.current .lesson-score").contains("2/3"));
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

#[wasm_bindgen_test]
async fn predicting_reference_counts_and_tlb_rows_flash() {
    forget_scores();
    let root = mount("#scenario=ept-24-references&step=0");
    settle().await;
    click(&root, ".predict input[type=checkbox]");
    settle().await;
    let input = root
        .query_selector("#refs-guess")
        .ok()
        .flatten()
        .expect("the reference-count input")
        .unchecked_into::<web_sys::HtmlInputElement>();
    input.set_value("24");
    fire(&input, "input");
    settle().await;
    click(&root, "#reveal");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "this lesson: 1 / 1");
    assert!(text(&root, ".verdict li.right").contains("24 page-table references"));
    // The walk filled a TLB entry: its row is marked (and flashes); nothing was hit.
    assert!(root.query_selector(".tlb tr.fill").ok().flatten().is_some());
    assert!(root.query_selector(".tlb tr.hit").ok().flatten().is_none());
    assert!(text(&root, ".tlb h3").contains("miss"));
    // The second access hits that entry.
    click(&root, ".predict .ask button:nth-of-type(1)");
    settle().await;
    click(&root, "#reveal");
    settle().await;
    assert_eq!(text(&root, "#score").trim(), "this lesson: 2 / 2");
    assert!(root.query_selector(".tlb tr.hit").ok().flatten().is_some());
    assert!(!text(&root, ".tlb h3").contains("miss"));
}

/// Not a timed test (it asserts only that frames were drawn and the scenario advanced): it
/// plays a scenario at the fastest speed (a step every 16 ms) for two seconds, from step 4500
/// of 5000-odd (near the recording limit, where the charts have the longest history), counts the
/// animation frames the browser drew meanwhile and the longest gap between two of them, and
/// prints them: the frame-rate figures docs/performance.md reports.
#[wasm_bindgen_test]
async fn frame_rate_while_playing() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;

    let root = mount("#scenario=kvm-5000-pages&step=4500");
    settle().await;
    let select = root
        .query_selector(".speed select")
        .ok()
        .flatten()
        .expect("the speed control")
        .unchecked_into::<web_sys::HtmlSelectElement>();
    select.set_value("16");
    fire(&select, "change");
    settle().await;
    click(&root, "button[aria-label='Play or pause']");

    // Record every animation frame's timestamp for two seconds.
    let stamps: Rc<RefCell<Vec<f64>>> = Rc::default();
    /// The frame callback, which re-registers itself until taken out.
    type Tick = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;
    let tick: Tick = Rc::default();
    let (s, t) = (stamps.clone(), tick.clone());
    *tick.borrow_mut() = Some(Closure::new(move |ts: f64| {
        s.borrow_mut().push(ts);
        if let Some(cb) = t.borrow().as_ref() {
            let _ = web_sys::window()
                .expect("a window")
                .request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    let window = web_sys::window().expect("a window");
    window
        .request_animation_frame(
            tick.borrow()
                .as_ref()
                .expect("set above")
                .as_ref()
                .unchecked_ref(),
        )
        .expect("requested");
    gloo_timers::future::TimeoutFuture::new(2000).await;
    tick.borrow_mut().take(); // stops the loop
    click(&root, "button[aria-label='Play or pause']");
    settle().await;

    let stamps = stamps.borrow();
    let step: usize = text(&root, "#position")
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(stamps.len() > 1, "no animation frames were drawn");
    assert!(step > 4500, "playing did not advance the scenario");
    let span = stamps[stamps.len() - 1] - stamps[0];
    let worst = stamps
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    console_log!(
        "playing at 16 ms per step: {} frames in {:.0} ms = {:.1} frames per second; longest frame gap {:.1} ms; {} steps played",
        stamps.len() - 1,
        span,
        (stamps.len() - 1) as f64 * 1000.0 / span,
        worst,
        step
    );
}

/// Keys work as soon as the page opens (no click first), never while the learner types in a
/// field, and a handled key does not also scroll the page.
#[wasm_bindgen_test]
async fn keys_work_on_load_but_not_in_fields() {
    let root = mount("#scenario=native-walk-and-tlb-hit&step=0");
    settle().await;
    let window = web_sys::window().expect("a window");
    let press = |target: &web_sys::EventTarget, k: &str| -> bool {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
            .expect("an event");
        target
            .dispatch_event(ev.unchecked_ref())
            .expect("dispatched")
    };
    let body: web_sys::EventTarget = window
        .document()
        .and_then(|d| d.body())
        .expect("a body")
        .into();
    let not_cancelled = press(&body, "ArrowRight");
    settle().await;
    assert_eq!(
        text(&root, "[data-counter=accesses]"),
        "1",
        "a key on the page steps"
    );
    assert!(
        !not_cancelled,
        "the handled key's default (scrolling) is prevented"
    );
    let doc = window.document().expect("a document");
    let field = doc.create_element("textarea").expect("a textarea");
    root.append_child(&field).expect("appended");
    press(&field, "ArrowRight");
    settle().await;
    assert_eq!(
        text(&root, "[data-counter=accesses]"),
        "1",
        "a key in a text field does not step"
    );
}

/// Back after following "next lesson" returns to the lesson the learner came from: another
/// lesson is a history entry of its own (steps of one lesson are not).
#[wasm_bindgen_test]
async fn back_returns_to_the_previous_lesson() {
    let root = mount("#scenario=native-walk-and-tlb-hit&step=0");
    settle().await;
    let first = text(&root, "#scenario-name");
    assert!(!first.is_empty(), "a lesson is open");
    let next: web_sys::HtmlElement = root
        .query_selector(".lesson-nav button:last-of-type:not(.compare-btn)")
        .ok()
        .flatten()
        .or_else(|| {
            let all = root.query_selector_all(".lesson-nav button").ok()?;
            (0..all.length())
                .filter_map(|i| all.item(i))
                .find(|b| b.text_content().unwrap_or_default().starts_with("next:"))
                .and_then(|b| b.dyn_into::<web_sys::Element>().ok())
        })
        .expect("a next-lesson button")
        .unchecked_into();
    next.click();
    settle().await;
    let second = text(&root, "#scenario-name");
    assert_ne!(first, second, "next opens another lesson");
    let window = web_sys::window().expect("a window");
    window.history().expect("history").back().expect("back");
    // History traversal is asynchronous: wait for the hashchange to arrive.
    for _ in 0..20 {
        settle().await;
        if text(&root, "#scenario-name") == first {
            break;
        }
    }
    assert_eq!(
        text(&root, "#scenario-name"),
        first,
        "Back returns to the previous lesson"
    );
}

/// The TLB panel says how many entries it lists, and "see all" lists every one.
#[wasm_bindgen_test]
async fn see_all_tlb_entries() {
    let root = mount("#scenario=tlb-reach-4k-vs-2m&step=300");
    settle().await;
    let rows = |root: &web_sys::Element| {
        root.query_selector_all(".tlb tbody tr")
            .expect("query")
            .length()
    };
    assert_eq!(rows(&root), 48, "the first 48 rows");
    assert!(text(&root, ".tlb-count").contains("the first 48 of 364"));
    let button: web_sys::HtmlElement = root
        .query_selector(".tlb-all")
        .ok()
        .flatten()
        .expect("a see-all button")
        .unchecked_into();
    button.click();
    settle().await;
    assert_eq!(rows(&root), 364, "every entry");
    assert!(text(&root, ".tlb-count").contains("all 364 entries"));
}

/// The practice page generates a question from a seed, judges the answer against what the
/// simulator does, says why, links the question to the player, and generates another.
#[wasm_bindgen_test]
async fn practice_questions_are_judged_and_regenerated() {
    forget_scores();
    let root = mount("#page=practice");
    settle().await;
    assert!(text(&root, ".practice h3").contains("seed 0"));
    let input = root
        .query_selector("#practice-answer")
        .ok()
        .flatten()
        .expect("an answer box")
        .unchecked_into::<web_sys::HtmlInputElement>();
    // Seed 0 is a 5-level guest over 5-level EPT, both with 2 MiB pages: (4+1)(4+1)-1 = 24.
    input.set_value("23");
    fire(&input, "input");
    settle().await;
    click(&root, "#practice-check");
    settle().await;
    let verdict = text(&root, ".practice .verdict");
    assert!(
        verdict.contains("Not this time: the answer is 24 page-table references"),
        "{verdict}"
    );
    assert!(verdict.contains("4 guest, 20 EPT"), "{verdict}");
    assert!(root
        .query_selector(".practice .verdict a[href^='#text=']")
        .ok()
        .flatten()
        .is_some());
    click(&root, "#practice-next");
    settle().await;
    assert!(text(&root, ".practice h3").contains("seed 1"));
    assert!(text(&root, ".practice pre.given").contains("CR3 = "));
    assert!(root
        .query_selector(".practice .verdict")
        .ok()
        .flatten()
        .is_none());
}

/// Pointing at a grid cell highlights its line in the event list and the other way round;
/// the cell's title is that line.
#[wasm_bindgen_test]
async fn grid_cells_and_event_lines_highlight_each_other() {
    let root = mount("#scenario=ept-24-references&step=1");
    settle().await;
    let hover = |selector: &str, kind: &str| {
        let el = root
            .query_selector(selector)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{selector} exists"));
        let ev = web_sys::MouseEvent::new(kind).expect("an event");
        el.dispatch_event(&ev).expect("dispatched");
    };
    hover("td[data-ref='7']", "mouseenter");
    settle().await;
    let line = text(&root, ".events li.linked");
    assert!(line.starts_with("7. "), "the 7th reference's line: {line}");
    let cell = root
        .query_selector("td[data-ref='7']")
        .ok()
        .flatten()
        .expect("cell 7");
    assert!(cell
        .get_attribute("class")
        .unwrap_or_default()
        .contains("linked"));
    let title = cell.get_attribute("title").unwrap_or_default();
    assert!(
        !title.is_empty() && line.ends_with(&title),
        "{title} / {line}"
    );
    hover("td[data-ref='7']", "mouseleave");
    hover("li[data-ref-line='12']", "mouseenter");
    settle().await;
    assert_eq!(
        root.query_selector_all(".linked").expect("query").length(),
        2,
        "one cell and one line"
    );
    assert!(root
        .query_selector("td[data-ref='12'].linked")
        .ok()
        .flatten()
        .is_some());
}

/// Types `value` into the field `selector` as a learner would (an `input` event).
fn type_into(root: &web_sys::Element, selector: &str, value: &str) {
    let input = root
        .query_selector(selector)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{selector} exists"))
        .unchecked_into::<web_sys::HtmlInputElement>();
    input.set_value(value);
    fire(&input, "input");
}

/// The host page's RAM-for-VMs calculator: the core's formula for what is typed, which
/// formula applied, and the post's slip (`32 - 2 = 10`) beside the formula's 30.
#[wasm_bindgen_test]
async fn ram_for_vms_follows_the_host_ram_typed() {
    let root = mount("#page=host");
    settle().await;
    type_into(&root, "#host-ram", "256");
    settle().await;
    let r = text(&root, "#ram-result");
    assert!(r.contains("RAM for VMs: 252 GiB"), "{r}");
    assert!(r.contains("second formula"), "{r}");
    type_into(&root, "#host-ram", "32");
    settle().await;
    let r = text(&root, "#ram-result");
    assert!(r.contains("RAM for VMs: 30 GiB"), "{r}");
    assert!(r.contains("first formula"), "{r}");
    let note = text(&root, ".host-page .note");
    assert!(
        note.contains("32 - 2 = 10") && note.contains("gives 30 GiB"),
        "{note}"
    );
    type_into(&root, "#host-ram", "lots");
    settle().await;
    assert!(root
        .query_selector("#ram-result.error")
        .ok()
        .flatten()
        .is_some());
}

/// The `-m` reader: what QEMU makes of `-m 4G`, and of a size it cannot read.
#[wasm_bindgen_test]
async fn the_m_reader_reads_what_qemu_would() {
    let root = mount("#page=host");
    settle().await;
    type_into(&root, "#qemu-m", "2048");
    settle().await;
    assert!(text(&root, "#m-result").contains("2048 MiB"));
    type_into(&root, "#qemu-m", "4G");
    settle().await;
    let r = text(&root, "#m-result");
    assert!(
        r.contains("4096 MiB") && r.contains("4294967296 bytes"),
        "{r}"
    );
    type_into(&root, "#qemu-m", "4X");
    settle().await;
    let r = text(&root, "#m-result");
    assert!(r.contains("not a size suffix") && !r.contains("MiB"), "{r}");
}

/// The huge-page planner: 2048 MiB on 2 MiB pages needs 1024, and the QEMU line has
/// `-mem-prealloc` exactly when it is asked for.
#[wasm_bindgen_test]
async fn the_planner_counts_pages_and_writes_the_commands() {
    let root = mount("#page=host");
    settle().await;
    type_into(&root, "#vm-m", "4096");
    settle().await;
    assert_eq!(text(&root, "#hp-count"), "2048");
    type_into(&root, "#vm-m", "2048");
    settle().await;
    assert_eq!(text(&root, "#hp-count"), "1024");
    let prealloc = || {
        text(&root, "#hp-commands")
            .lines()
            .filter(|l| l.contains("-mem-prealloc"))
            .count()
    };
    let commands = text(&root, "#hp-commands");
    assert!(
        commands.contains("sysctl vm.nr_hugepages=1024"),
        "{commands}"
    );
    assert_eq!(prealloc(), 0, "off: no line has -mem-prealloc");
    click(&root, "#prealloc");
    settle().await;
    assert_eq!(prealloc(), 1, "on: the QEMU line has it");
    assert!(text(&root, "#hp-commands").contains("-mem-path /dev/hugepages -mem-prealloc"));
    click(&root, "#page-1g");
    settle().await;
    assert_eq!(text(&root, "#hp-count"), "2", "2048 MiB is two 1 GiB pages");
}

/// The swap table marks the row for the RAM typed: 6 GiB is "> 2 GB – 8 GB", at least 6 GiB.
#[wasm_bindgen_test]
async fn the_swap_table_marks_the_row_that_applies() {
    let root = mount("#page=host");
    settle().await;
    type_into(&root, "#swap-ram", "6");
    settle().await;
    let rows = root
        .query_selector_all(".swap-table tr.applies")
        .expect("query");
    assert_eq!(rows.length(), 1, "one row applies");
    let row = text(&root, ".swap-table tr.applies");
    assert!(
        row.contains("> 2 GB – 8 GB") && row.contains("equal to memory size"),
        "{row}"
    );
    assert!(text(&root, "#swap-result").contains("at least 6 GiB"));
    type_into(&root, "#swap-ram", "1");
    settle().await;
    assert!(text(&root, ".swap-table tr.applies").contains("≤ 2 GB"));
}

/// The value of a line of the host panel's /proc/meminfo (`HugePages_Free:   738` -> 738).
fn meminfo(root: &web_sys::Element, key: &str) -> String {
    text(root, &format!(".host-panel tr[data-meminfo='{key}'] code"))
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// The player's host panel shows the step shown, not the last step run: the post's 738 at
/// the end of the hugetlbfs lesson, something else at step 0, and 738 again at the end.
#[wasm_bindgen_test]
async fn the_host_panel_follows_the_step_shown() {
    let root = mount("#scenario=hugetlbfs-738-free&step=285");
    settle().await;
    assert_eq!(meminfo(&root, "HugePages_Total"), "1024");
    assert_eq!(meminfo(&root, "HugePages_Free"), "738");
    assert_eq!(meminfo(&root, "HugePages_Rsvd"), "738");
    assert_eq!(
        text(&root, ".host-panel [data-counter=host_page_faults]"),
        "285"
    );
    assert_eq!(
        text(&root, "[data-vm='1'][data-field='resident']"),
        "572 MiB"
    );
    let seek = |n: &str| {
        let range = root
            .query_selector(".controls input[type=range]")
            .ok()
            .flatten()
            .expect("the timeline")
            .unchecked_into::<web_sys::HtmlInputElement>();
        range.set_value(n);
        fire(&range, "input");
    };
    seek("0");
    settle().await;
    let free = meminfo(&root, "HugePages_Free");
    assert!(!free.is_empty() && free != "738", "step 0: {free}");
    assert_eq!(meminfo(&root, "HugePages_Rsvd"), free);
    assert!(text(&root, ".host-panel h3").contains("after step 0"));
    assert!(root
        .query_selector(".host-panel [data-counter=host_page_faults]")
        .ok()
        .flatten()
        .is_none());
    seek("285");
    settle().await;
    assert_eq!(meminfo(&root, "HugePages_Free"), "738");
    // A lesson without a host side has no host panel.
    let other = mount("#scenario=ept-24-references&step=1");
    settle().await;
    assert!(other
        .root
        .query_selector(".host-panel")
        .ok()
        .flatten()
        .is_none());
}

/// zh-TW from the link: the app speaks it (`<html lang>`, the start page, a lesson's own
/// texts, the controls), switching to English and back keeps the step, and the choice is in
/// the link.
#[wasm_bindgen_test]
async fn the_app_speaks_zh_tw_and_switching_keeps_the_step() {
    let window = web_sys::window().expect("a window");
    let html_lang = || {
        window
            .document()
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("lang"))
            .unwrap_or_default()
    };
    // Whatever happens here, the next tests start in English.
    struct English;
    impl Drop for English {
        fn drop(&mut self) {
            if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                let _ = s.remove_item("pagewalk.lang");
            }
        }
    }
    let _english = English;
    let start = mount("#lang=zh-TW&page=start");
    settle().await;
    assert_eq!(html_lang(), "zh-TW");
    assert!(
        text(&start, "article.start h2").contains("CPU 與 hypervisor"),
        "{}",
        text(&start, "article.start h2")
    );
    assert!(text(&start, ".path").contains("位址與分頁表走訪"));
    drop(start);
    let root = mount("#lang=zh-TW&scenario=native-walk-and-tlb-hit&step=2");
    settle().await;
    assert_eq!(
        text(&root, "#scenario-name"),
        "原生的四層分頁表走訪，接著一次 TLB 命中"
    );
    assert_eq!(text(&root, "#position"), "第 2 步，共 3 步");
    assert!(
        text(&root, ".step-label").contains("L1 TLB 命中"),
        "{}",
        text(&root, ".step-label")
    );
    let select: web_sys::HtmlSelectElement = root
        .query_selector("#lang")
        .ok()
        .flatten()
        .expect("the language switch")
        .unchecked_into();
    select.set_value("en");
    fire(&select, "change");
    settle().await;
    assert_eq!(html_lang(), "en");
    assert_eq!(
        text(&root, "#scenario-name"),
        "A native 4-level walk, then a TLB hit"
    );
    assert_eq!(text(&root, "#position"), "step 2 of 3", "the step is kept");
    assert!(window
        .location()
        .hash()
        .unwrap_or_default()
        .contains("lang=en"));
    select.set_value("zh-TW");
    fire(&select, "change");
    settle().await;
    assert_eq!(text(&root, "#position"), "第 2 步，共 3 步");
    assert!(window
        .location()
        .hash()
        .unwrap_or_default()
        .contains("lang=zh-TW"));
}
