//! The Yew components. Stable hooks for end-to-end tests: counters carry
//! `data-counter="KEY"` with the plain number as text; cells of the 2D grid carry
//! `data-ref="K"` for the K-th reference.

pub use crate::reducer::Msg;
use crate::reducer::{State, Ticker};
use crate::state::{bundled, gallery, link_fragment, Score, TlbMark};
use pagewalk_core::{Event, TlbSlot};
use pagewalk_scenario::Action;
use std::rc::Rc;
use yew::prelude::*;

fn window_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Shows `f` in the address bar. Another lesson or page gets a history entry of its own, so
/// Back returns to the previous one; another step of the same lesson replaces the entry (a
/// history entry per step would make Back useless after playback).
fn set_fragment(f: &str) {
    if let Some(w) = web_sys::window() {
        if let Ok(h) = w.history() {
            let same_place = lesson_part(&window_fragment()) == lesson_part(f);
            let _ = if same_place {
                h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(f))
            } else {
                h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(f))
            };
        }
    }
}

/// A fragment without its step: which lesson, page or comparison it shows.
fn lesson_part(f: &str) -> &str {
    f.split("&step=").next().unwrap_or(f)
}

/// Remembers where the learner is, for the next visit (a lesson or a page, not edited text,
/// which can be long). Not called on every step of playback: storage is slow.
fn remember(f: &str) {
    if f.contains("text=") {
        return;
    }
    if let Some(Ok(Some(store))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = store.set_item("pagewalk.last", f);
    }
}

/// The learner's predict-mode scores from earlier visits.
fn load_scores() -> std::collections::BTreeMap<String, Score> {
    let text = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("pagewalk.scores").ok().flatten())
        .unwrap_or_default();
    crate::state::parse_scores(&text)
}

fn save_scores(scores: &std::collections::BTreeMap<String, Score>) {
    if let Some(Ok(Some(store))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = store.set_item("pagewalk.scores", &crate::state::write_scores(scores));
    }
}

/// Where the learner was last time, if anywhere.
fn remembered() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item("pagewalk.last")
        .ok()?
        .filter(|f| f.starts_with("#scenario=") || f.starts_with("#page="))
}

/// The app.
pub struct App {
    model: State,
    /// The playback timer, while playing.
    ticker: Option<gloo_timers::callback::Interval>,
    /// Keeps the `hashchange` listener alive as long as the app.
    _on_hash: Option<wasm_bindgen::closure::Closure<dyn Fn()>>,
    /// Keeps the window's `keydown` listener alive as long as the app.
    _on_key: Option<wasm_bindgen::closure::Closure<dyn Fn(web_sys::KeyboardEvent)>>,
}

/// The keys the app handles.
const KEYS: [&str; 7] = [
    "ArrowRight",
    "ArrowLeft",
    " ",
    "End",
    "ArrowDown",
    "ArrowUp",
    ".",
];

/// Listens for keys on the whole window, so they work as soon as the page opens, but never
/// while the learner types in a field; a handled key does not also scroll the page.
fn listen_keys(
    cb: Callback<String>,
) -> Option<wasm_bindgen::closure::Closure<dyn Fn(web_sys::KeyboardEvent)>> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let closure = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(
        move |e: web_sys::KeyboardEvent| {
            let key = e.key();
            let in_field = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| match el.tag_name().as_str() {
                    "INPUT" | "TEXTAREA" | "SELECT" => true,
                    // Space presses a focused button; arrows still step.
                    "BUTTON" => key == " ",
                    _ => false,
                });
            if in_field || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            if KEYS.contains(&key.as_str()) || key == "," {
                e.prevent_default();
                cb.emit(key);
            }
        },
    );
    window
        .add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref())
        .ok()?;
    Some(closure)
}

/// Listens for changes of the URL fragment (a followed link, Back and Forward).
fn listen_hash(cb: Callback<String>) -> Option<wasm_bindgen::closure::Closure<dyn Fn()>> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        cb.emit(window_fragment());
    });
    window
        .add_event_listener_with_callback("hashchange", closure.as_ref().unchecked_ref())
        .ok()?;
    Some(closure)
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        let model = State::new(&window_fragment(), load_scores());
        let on_hash = listen_hash(_ctx.link().callback(Msg::Hash));
        let on_key = listen_keys(_ctx.link().callback(Msg::Key));
        App {
            model,
            ticker: None,
            _on_hash: on_hash,
            _on_key: on_key,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        let fx = self.model.reduce(msg);
        if let Some(t) = fx.ticker {
            self.ticker = match t {
                Ticker::Start(ms) => {
                    let link = ctx.link().clone();
                    Some(gloo_timers::callback::Interval::new(ms, move || {
                        link.send_message(Msg::Step)
                    }))
                }
                Ticker::Stop => None,
            };
        }
        if fx.sync_url {
            let f = link_fragment(&self.model.link);
            set_fragment(&f);
            if !self.model.playing {
                remember(&f);
            }
        }
        if fx.save_scores {
            save_scores(&self.model.scores);
        }
        fx.render
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        html! {
            <div class="app">
                <header>
                    <h1>{"pagewalk"}</h1>
                    <p class="tagline">{"how a CPU and a hypervisor translate memory, one reference at a time"}</p>
                </header>
                <div class="columns">
                    <nav class="gallery" aria-label="Scenarios">{ self.gallery(ctx) }</nav>
                    <main>
                    if let Some(n) = &self.model.notice {
                        <p class="notice" role="alert">{ n }</p>
                    }
                    if let Some((l, r)) = self.model.link.compare.clone() {
                        { self.compare(&l, &r) }
                    } else if self.model.link.page.as_deref() == Some("start") {
                        { self.start(ctx) }
                    } else if self.model.link.page.as_deref() == Some("practice") {
                        { self.practice_page(ctx) }
                    } else if let Some(page) = self.model.link.page.as_deref().and_then(crate::pages::page) {
                        { self.page(page) }
                    } else {
                        { self.title(ctx) }
                        { self.controls(ctx) }
                        { self.predict(ctx) }
                        <crate::components::editor::Diagnostics errors={self.model.errors.clone()} />
                        <div class="panes">
                            <section class="pane walk" aria-label="The walk">{ self.walk(ctx) }</section>
                            <section class="pane side">
                                { self.counters() }
                                { self.charts() }
                                { self.address() }
                                { self.tlb(ctx) }
                            </section>
                        </div>
                        <crate::components::editor::Editor text={self.model.text.clone()}
                            has_errors={!self.model.errors.is_empty()} editing={self.model.editing}
                            dispatch={ctx.link().callback(|m| m)} />
                        <crate::components::kvm::KvmResults results={self.model.kvm.clone()} dispatch={ctx.link().callback(|m| m)} />
                    }
                    </main>
                </div>
            </div>
        }
    }
}

impl App {
    /// The start page: the four address spaces and what maps each to the next, what the
    /// panels show, the keys, and the path through the lessons.
    fn start(&self, ctx: &Context<Self>) -> Html {
        html! {
            <article class="reading start">
                <h2>{"How a CPU and a hypervisor translate memory"}</h2>
                <p>{"A program in a virtual machine uses addresses that pass through four address spaces before they reach a byte of RAM. Each step has its own map, kept by someone else. pagewalk shows every step a CPU and KVM take, reference by reference, and checks its model of KVM against the real /dev/kvm."}</p>
                <figure class="spaces" aria-label="The four address spaces">
                    <ol class="chain">
                        <li class="space"><b>{"GVA"}</b><span>{"guest virtual"}</span><small>{"what a guest program uses"}</small></li>
                        <li class="map">{"guest page tables"}<small>{"kept by the guest kernel; root in CR3"}</small></li>
                        <li class="space"><b>{"GPA"}</b><span>{"guest physical"}</span><small>{"what the guest thinks is RAM"}</small></li>
                        <li class="map">{"memslots"}<small>{"kept by the VMM (QEMU): guest RAM is its memory"}</small></li>
                        <li class="space"><b>{"HVA"}</b><span>{"host virtual"}</span><small>{"the VMM process's addresses"}</small></li>
                        <li class="map">{"host page tables"}<small>{"kept by the host kernel; change with swap, KSM, THP, compaction"}</small></li>
                        <li class="space"><b>{"HPA"}</b><span>{"host physical"}</span><small>{"where the byte is"}</small></li>
                    </ol>
                    <figcaption>
                        <p><b>{"What the CPU walks."}</b>{" The CPU cannot read the middle two maps, so KVM composes them into tables it can walk: under EPT (Intel) or NPT (AMD), stage-2 tables map GPA → HPA and the CPU walks the guest's tables and those, a two-dimensional walk of up to 24 references (35 with 5 levels); under shadow paging, shadow tables map GVA → HPA directly, and KVM keeps them in step with the guest's tables in software."}</p>
                        <p><b>{"When the host changes its mind."}</b>{" If the host moves or frees the page behind an HVA (swap, KSM, compaction, THP), an MMU notifier tells KVM, which drops its stage-2 or shadow entries; the guest's next touch faults and KVM maps the page again."}</p>
                    </figcaption>
                </figure>
                <h3>{"What the panels show"}</h3>
                <ul>
                    <li><b>{"The walk"}</b>{": for a two-dimensional walk, a grid whose rows are the guest entries read and whose columns are the stage-2 levels walked for each, every reference numbered in the order the hardware makes it; below it, every event of the access in order (TLB lookups, table reads, faults, VM exits, what the hypervisor did)."}</li>
                    <li><b>{"Counters"}</b>{": what happened so far, folded from those events; KVM's own statistics come from the same events."}</li>
                    <li><b>{"Address"}</b>{": the bits of the address, split into the indexes each level uses."}</li>
                    <li><b>{"TLB"}</b>{": the cached translations, with the array and slot that hold them and their tags (VPID, PCID)."}</li>
                    <li><b>{"Shadow view"}</b>{" (shadow paging): the guest's entries beside the hypervisor's shadow entries."}</li>
                </ul>
                <h3>{"Keys"}</h3>
                <p>{"→ next access, ← previous, ↓ / ↑ one event of the access at a time, space play or pause, End run to the end."}</p>
                if let Some(last) = remembered().filter(|f| f != "#page=start") {
                    <p class="resume"><a href={last.clone()}>{"Continue where you left off"}</a></p>
                }
                <h3>{"The path"}</h3>
                <p>{"The lessons follow the post pagewalk teaches. Start with the first; each lesson's page says what to look at."}</p>
                <ol class="path">
                { for gallery().into_iter().filter(|(_, e)| !e.is_empty()).map(|(topic, entries)| {
                    let first = entries[0].name.clone();
                    let onclick = ctx.link().callback(move |_: MouseEvent| Msg::Open(first.clone()));
                    html! {
                        <li>
                            <b>{ topic }</b>{": "}
                            <button class="linkish" {onclick}>{ &entries[0].title }</button>
                            if entries.len() > 1 {
                                <small>{ format!(" and {} more", entries.len() - 1) }</small>
                            }
                        </li>
                    }
                }) }
                </ol>
                <p>{"Also: "}<a href="#page=post-claims">{"what the post says, and what holds today"}</a>{"."}</p>
            </article>
        }
    }

    /// Two lessons side by side: every counter that is not zero on either side with the
    /// difference, and the cycles by kind as bars on one scale.
    fn compare(&self, l: &str, r: &str) -> Html {
        let (Some(a), Some(b)) = (crate::state::run_side(l), crate::state::run_side(r)) else {
            return html! {
                <div class="lesson"><h2>{"Nothing to compare"}</h2>
                <p class="error">{ format!("no bundled lesson is named \"{l}\" or \"{r}\"") }</p></div>
            };
        };
        let what = crate::state::COMPARISONS
            .iter()
            .find(|(x, y, _)| *x == l && *y == r)
            .map_or("side by side", |(_, _, w)| *w);
        let rows = crate::state::compare_rows(&a.counters, &b.counters);
        // Each comparison names both sides in full: "VPID off | VPID on".
        let (left, right) = what.split_once(" | ").unwrap_or(("left", "right"));
        let kinds: Vec<(&str, &str, u64, u64)> = crate::state::CYCLE_KINDS
            .iter()
            .map(|(name, class, cycles)| (*name, *class, cycles(&a.counters), cycles(&b.counters)))
            .collect();
        let max = a.counters.cycles().max(b.counters.cycles()).max(1) as f64;
        let bar = |side: usize| {
            let mut x = 0.0;
            let segments: Vec<Html> = kinds
                .iter()
                .map(|(name, class, va, vb)| {
                    let v = if side == 0 { *va } else { *vb };
                    let w = 560.0 * v as f64 / max;
                    let seg = html! {
                        <rect class={*class} x={format!("{x:.1}")} y="0" width={format!("{w:.1}")} height="22">
                            <title>{ format!("{name}: {v} cycles") }</title>
                        </rect>
                    };
                    x += w;
                    seg
                })
                .collect();
            segments
        };
        let ticks: Vec<Html> = (0..=4)
            .map(|i| {
                let v = max * f64::from(i) / 4.0;
                let x = 560.0 * f64::from(i) / 4.0;
                html! {
                    <g>
                        <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1="0" y2="64" class="tick" />
                        <text x={format!("{x:.1}")} y="78" class="tick-label">{ format!("{:.0}k", v / 1000.0) }</text>
                    </g>
                }
            })
            .collect();
        html! {
            <article class="compare" aria-label="Two lessons side by side">
                <h2>{ format!("Compare: {what}") }</h2>
                <div class="compare-cols">
                    <div><h3><a href={format!("#scenario={}&step=0", a.name)}>{ &a.title }</a></h3><p>{ &a.lesson }</p>
                        if let Some(e) = &a.error { <p class="error">{ e }</p> }</div>
                    <div><h3><a href={format!("#scenario={}&step=0", b.name)}>{ &b.title }</a></h3><p>{ &b.lesson }</p>
                        if let Some(e) = &b.error { <p class="error">{ e }</p> }</div>
                </div>
                <figure class="compare-chart">
                    <figcaption>{"Cycles by kind, whole run (one scale for both; the cost model's cycles: 40 per memory reference, 1200 per VM exit round trip, ...)"}</figcaption>
                    <svg viewBox="-110 -4 690 86" role="img" aria-label="cycles by kind for both lessons on one scale">
                        { for ticks }
                        <g transform="translate(0,4)">{ for bar(0) }</g>
                        <g transform="translate(0,34)">{ for bar(1) }</g>
                        <text x="-6" y="19" class="bar-label side">{ left }</text>
                        <text x="-6" y="49" class="bar-label side">{ right }</text>
                    </svg>
                    <p class="legend">
                        { for kinds.iter().map(|(name, class, _, _)| html! { <span class={classes!("key", *class)}>{ *name }</span> }) }
                        <span>{" — axis in thousands of cycles"}</span>
                    </p>
                </figure>
                <table class="compare-table" tabindex="0" aria-label="Counters of both runs">
                    <thead><tr><th scope="col">{"counter"}</th><th scope="col">{ left }</th><th scope="col">{ right }</th><th scope="col">{"difference"}</th></tr></thead>
                    <tbody>
                    { for rows.iter().map(|(k, x, y)| {
                        let d = *y as i128 - *x as i128;
                        html! {
                            <tr class={classes!((x != y).then_some("differs"))} title={pagewalk_core::Counters::meaning(k).unwrap_or_default()}>
                                <th scope="row">{
                                    // KVM's own statistics keep KVM's names, marked as KVM's, so
                                    // "tlb_flush" (KVM's requests) is not read as "tlb flushes".
                                    match pagewalk_core::KVM_STATS.iter().find(|(_, key)| key == k && *key != "vm_exits") {
                                        Some((name, _)) => format!("KVM {name}"),
                                        None => k.replace('_', " "),
                                    }
                                }</th>
                                <td data-left={*k}>{ *x }</td><td data-right={*k}>{ *y }</td>
                                <td>{ if d == 0 { String::new() } else { format!("{d:+}") } }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            </article>
        }
    }

    fn page(&self, page: &crate::pages::Page) -> Html {
        let html = crate::pages::render(page.markdown, &|s| bundled(s).is_some());
        html! {
            <article class="reading" aria-label={page.title}>
                { Html::from_html_unchecked(AttrValue::from(html)) }
            </article>
        }
    }

    fn gallery(&self, ctx: &Context<Self>) -> Html {
        let groups = Rc::new(gallery());
        html! {
            <>
            <div class="topic">
                <h2>{"reading"}</h2>
                <ul>
                <li class={classes!((self.model.link.page.as_deref() == Some("start")).then_some("current"))}>
                    <button onclick={ctx.link().callback(|_| Msg::OpenPage("start".into()))}>{"Start here: four addresses"}</button>
                </li>
                <li class={classes!((self.model.link.page.as_deref() == Some("practice")).then_some("current"))}>
                    <button onclick={ctx.link().callback(|_| Msg::OpenPage("practice".into()))}>{"Practice: generated questions"}
                        if let Some(sc) = self.model.scores.get("practice") {
                            <span class="lesson-score" title="your score on generated questions">{ format!(" {}/{}", sc.right, sc.total) }</span>
                        }
                    </button>
                </li>
                { for crate::pages::PAGES.iter().filter(|p| p.listed).map(|p| {
                    let slug = p.slug.to_owned();
                    let onclick = ctx.link().callback(move |_| Msg::OpenPage(slug.clone()));
                    let current = self.model.link.page.as_deref() == Some(p.slug);
                    html! {
                        <li class={classes!(current.then_some("current"))}>
                            <button {onclick}>{ p.title }</button>
                        </li>
                    }
                }) }
                </ul>
            </div>
            { for groups.iter().map(|(topic, items)| html! {
                <div class="topic">
                    <h2>{ topic }</h2>
                    <ul>
                    { for items.iter().map(|e| {
                        let n = e.name.clone();
                        let onclick = ctx.link().callback(move |_| Msg::Open(n.clone()));
                        let current = self.model.link.scenario.as_deref() == Some(e.name.as_str());
                        html! {
                            <li class={classes!(current.then_some("current"))}>
                                <button {onclick} title={e.lesson.clone()}>{ &e.title }
                                    if let Some(sc) = self.model.scores.get(&e.name) {
                                        <span class="lesson-score" title="your predict-mode score in this lesson">
                                            { format!(" {}/{}", sc.right, sc.total) }</span>
                                    }
                                </button>
                            </li>
                        }
                    }) }
                    </ul>
                </div>
            }) }
            </>
        }
    }

    fn title(&self, ctx: &Context<Self>) -> Html {
        let name = self.model.link.scenario.clone().unwrap_or_default();
        let nav = |forward: bool| {
            crate::state::next_lesson(&name, forward).map(|n| {
                let title = crate::state::gallery()
                    .into_iter()
                    .flat_map(|(_, e)| e)
                    .find(|e| e.name == n)
                    .map_or_else(|| n.to_owned(), |e| e.title);
                let onclick = ctx.link().callback(move |_| Msg::Open(n.to_owned()));
                (title, onclick)
            })
        };
        let (prev, next) = (nav(false), nav(true));
        let compare = crate::state::comparison_of(&name).map(|(l, r, what)| {
            let onclick = ctx
                .link()
                .callback(move |_| Msg::Compare(l.to_owned(), r.to_owned()));
            (what, onclick)
        });
        match &self.model.player {
            Some(p) => html! {
                <div class="lesson">
                    <h2 id="scenario-name">{ &p.scenario.name }</h2>
                    <p>{ &p.scenario.lesson }</p>
                    if let Some(notes) = &p.scenario.notes {
                        <details class="notes" open=true>
                            <summary>{"About this lesson"}</summary>
                            // Notes are Markdown: code spans, and lesson names linked to their lessons.
                            { Html::from_html_unchecked(AttrValue::from(crate::pages::render(notes, &|s| bundled(s).is_some()))) }
                        </details>
                    }
                    if p.scenario.host.platform == pagewalk_core::Platform::Pvm {
                        <p class="notice pvm">
                            <b>{"Modelled on this project's KVM host, which runs guests under PVM. "}</b>
                            {"The CPUs of the machines this project checks itself against offer no VT-x or AMD-V (no vmx or svm in /proc/cpuinfo), so their KVM is PVM: it runs guests with shadow paging and no hardware virtualization, emulating the guest kernel's code, which costs VM exits that VT-x would not take (entering and leaving the guest kernel). The shadow MMU is KVM's own, and this lesson's KVM counters are checked against real KVM there ("}<code>{"pagewalk kvm run"}</code>{")."}
                        </p>
                    }
                    <nav class="lesson-nav" aria-label="Lessons">
                        if let Some((t, onclick)) = prev { <button {onclick} title={t.clone()}>{ format!("← {t}") }</button> }
                        if let Some((t, onclick)) = next { <button {onclick} title={t.clone()}>{ format!("next: {t} →") }</button> }
                        if let Some((what, onclick)) = compare { <button class="compare-btn" {onclick}>{ format!("compare side by side: {what}") }</button> }
                    </nav>
                    if let Some(e) = &p.error { <p class="error">{ e }</p> }
                </div>
            },
            None => html! { <div class="lesson"><h2>{"This file has problems"}</h2></div> },
        }
    }

    fn controls(&self, ctx: &Context<Self>) -> Html {
        let Some(p) = &self.model.player else {
            return html! {};
        };
        let link = ctx.link();
        let onseek = link.callback(|e: InputEvent| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            Msg::Seek(v.parse().unwrap_or(0))
        });
        html! {
            <div class="controls" role="toolbar" aria-label="Playback">
                <button onclick={link.callback(|_| Msg::Back)} aria-label="Step back" title="Step back (Left arrow)">{"◀ back"}</button>
                <button onclick={link.callback(|_| Msg::TogglePlay)} aria-label="Play or pause" title="Play / pause (Space)">
                    { if self.model.playing { "❚❚ pause" } else { "play" } }
                </button>
                <button onclick={link.callback(|_| Msg::Step)} aria-label="Step" title="Step (Right arrow)">{"step ▶"}</button>
                <button onclick={link.callback(|_| Msg::RunToEnd)} title="Run to the end (End)">{"Run to end"}</button>
                <span class="sub" role="group" aria-label="Reference by reference">
                    <button onclick={link.callback(|_| Msg::SubStep(false))} title="Previous event of this access (Up arrow)">{"‹ ref"}</button>
                    <button onclick={link.callback(|_| Msg::SubStep(true))} title="Next event of this access (Down arrow)">{"ref ›"}</button>
                </span>
                <label class="speed">{"speed "}
                    <select aria-label="Playback speed" onchange={link.callback(|e: yew::Event| {
                        Msg::Speed(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse().unwrap_or(400))
                    })}>
                        <option value="1000" selected={self.model.speed_ms == 1000}>{"slow"}</option>
                        <option value="400" selected={self.model.speed_ms == 400}>{"normal"}</option>
                        <option value="100" selected={self.model.speed_ms == 100}>{"fast"}</option>
                        <option value="16" selected={self.model.speed_ms == 16}>{"fastest"}</option>
                    </select>
                </label>
                <input type="range" min="0" max={p.total.to_string()} value={p.cursor.to_string()}
                    oninput={onseek} aria-label="Timeline" />
                <span class="position" id="position">{ format!("step {} of {}", p.cursor, p.total) }</span>
            </div>
        }
    }

    fn predict(&self, ctx: &Context<Self>) -> Html {
        let m = &self.model;
        html! {
            <crate::components::predict::PredictPanel
                on={m.predict}
                prediction={m.prediction}
                refs_input={m.refs_input.clone()}
                verdict={m.verdict.clone()}
                score={m.scores.get(&m.lesson_key()).copied().unwrap_or_default()}
                next={m.predict.then(|| m.player.as_ref().and_then(|p| p.upcoming())).flatten()
                    .map(|(gva, access)| format!("{access} of {gva}"))}
                dispatch={ctx.link().callback(|m| m)} />
        }
    }

    fn practice_page(&self, ctx: &Context<Self>) -> Html {
        let m = &self.model;
        html! {
            <crate::components::practice::PracticePage
                exercise={m.practice.clone()}
                input={m.practice_input.clone()}
                verdict={m.practice_verdict}
                score={m.scores.get("practice").copied().unwrap_or_default()}
                dispatch={ctx.link().callback(|m| m)} />
        }
    }

    fn charts(&self) -> Html {
        let Some(p) = &self.model.player else {
            return html! {};
        };
        html! {
            <crate::components::charts::Charts series={Rc::new(p.series())} from={p.base + 1} to={p.cursor} />
        }
    }

    fn counters(&self) -> Html {
        let counters = self
            .model
            .player
            .as_ref()
            .map_or_else(crate::state::zero_counters, |p| p.counters());
        html! { <crate::components::counters::CountersPanel {counters} /> }
    }

    fn address(&self) -> Html {
        match self.model.player.as_ref().and_then(|p| p.address()) {
            Some(fields) => html! { <crate::components::address::AddressBits {fields} /> },
            None => html! {},
        }
    }

    fn walk(&self, ctx: &Context<Self>) -> Html {
        let hover = ctx.link().callback(Msg::HoverRef);
        let Some(p) = &self.model.player else {
            return html! {};
        };
        let Some(frame) = p.current() else {
            return html! { <p class="hint">{"Press ▶ (or the right arrow) to make the first access."}</p> };
        };
        let head = match frame.action {
            Action::Access { gva, access, .. } => format!("{access} of {gva}"),
            Action::Event { step, .. } => p
                .scenario
                .trace
                .get(step)
                .map(|s| s.label.clone().unwrap_or_else(|| s.op.describe()))
                .unwrap_or_default(),
        };
        let label = match frame.action {
            Action::Access { step, .. } => p.scenario.trace.get(step).and_then(|s| s.label.clone()),
            Action::Event { .. } => None,
        };
        let narration = pagewalk_core::view::narrate(&frame.events);
        let mut n = 0;
        let upto = self.model.sub.unwrap_or(usize::MAX);
        let shown = |event: usize| event <= upto;
        html! {
            <>
            <h3>{ head }
                if let Some(i) = self.model.sub {
                    <span class="subpos">{ format!(" — event {} of {}", i + 1, frame.events.len()) }</span>
                }
            </h3>
            if let Some(l) = label { <p class="step-label">{ l }</p> }
            <p class="narration" aria-live="polite">{ narration }</p>
            if let Some(g) = p.grid() {
                <table class="grid" tabindex="0" aria-label="Two-dimensional walk">
                    <thead><tr><th scope="col" class="corner">{"guest table"}</th>
                        { for g.columns.iter().map(|c| html!{ <th scope="col">{ c }</th> }) }
                        <th scope="col">{"guest entry"}</th></tr></thead>
                    <tbody>
                    { for g.rows.iter().enumerate().map(|(r, name)| html! {
                        <tr class={classes!(g.retry_rows.contains(&r).then_some("retry"))}><th scope="row">{ name }
                            if g.pwc_rows.contains(&r) { <span class="pwc" title="a guest-physical mapping in the paging-structure cache skipped the upper stage-2 levels">{" PWC"}</span> }
                            if g.combined_rows.contains(&r) { <span class="pwc" title="a combined mapping in the paging-structure cache gave this guest table's host-physical address: no stage-2 walk">{" combined"}</span> }
                            if g.retry_rows.contains(&r) { <span class="retry-mark" title="the walk starts again after the VM exit">{" again"}</span> }
                            if g.violation_rows.contains(&r) { <span class="exit-mark" title="EPT violation: a VM exit; the hypervisor maps the page in stage 2 and the guest retries">{" violation → exit"}</span> }
                        </th>
                        { for (0..=g.columns.len()).map(|col| {
                            let colv = (col < g.columns.len()).then_some(col);
                            match g.cells.iter().find(|c| c.row == r && c.col == colv) {
                                Some(c) => {
                                    let k = c.number;
                                    html!{ <td class={classes!(
                                        if colv.is_some() {"host"} else {"guest"},
                                        (!shown(c.event)).then_some("future"),
                                        (self.model.sub == Some(c.event)).then_some("now"),
                                        (self.model.hover_ref == Some(k)).then_some("linked"))}
                                    title={frame.events.get(c.event).map(Event::describe)}
                                    onmouseenter={hover.reform(move |_: MouseEvent| Some(k))}
                                    onmouseleave={hover.reform(|_: MouseEvent| None)}
                                    data-ref={k.to_string()}>{ k }</td> }
                                }
                                None => html!{ <td class="empty"></td> },
                            }
                        }) }
                        </tr>
                    }) }
                    </tbody>
                </table>
                <p class="formula">{
                    if g.walks > 1 {
                        format!("{} references in {} walks ({} ended in a stage-2 fault and a VM exit); one walk with no cache makes (g+1)(h+1)-1 = {}", g.cells.len(), g.walks, g.violation_rows.len(), g.full_walk)
                    } else {
                        format!("{} references; a walk with no cache makes (g+1)(h+1)-1 = {}", g.cells.len(), g.full_walk)
                    }
                }</p>
            }
            if let Some(v) = &frame.shadow {
                <div class="shadow-view">
                    <table aria-label="Guest table and shadow table">
                        <thead><tr><th>{"level"}</th><th>{"guest entry (GPA = value)"}</th><th>{"shadow entry (HPA = value)"}</th></tr></thead>
                        <tbody>
                        { for v.guest.iter().enumerate().map(|(i, (l, gpa, val, wp))| html! {
                            <tr>
                                <th scope="row">{ l.table_name() }</th>
                                <td class={classes!(wp.then_some("wp"))} title={if *wp { "write-protected: the hypervisor shadows this guest table" } else { "" }}>
                                    { format!("{gpa} = {val:#x}") }
                                    if *wp { <span class="wp-mark">{"WP"}</span> }</td>
                                <td>{ v.shadow.get(i).map_or_else(|| "(none)".to_owned(), |(_, h, sv)| format!("{h} = {sv:#x}")) }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                </div>
            }
            <ul class="events">
            { for frame.events.iter().enumerate().map(|(i, e)| {
                let is_ref = matches!(e, Event::TableRead { .. });
                if is_ref { n += 1; }
                let class = match e {
                    Event::TableRead { .. } => "ref",
                    Event::Fault { .. } => "fault",
                    Event::TlbHit { .. } => "hit",
                    Event::TlbMiss { .. } => "miss",
                    Event::VmExit { .. } | Event::VmEntry { .. } => "vm",
                    _ => "other",
                };
                let state = if !shown(i) { Some("future") } else if self.model.sub == Some(i) { Some("now") } else { None };
                if is_ref {
                    let k = n;
                    html! { <li class={classes!(class, state, (self.model.hover_ref == Some(k)).then_some("linked"))}
                        data-ref-line={k.to_string()}
                        onmouseenter={hover.reform(move |_: MouseEvent| Some(k))}
                        onmouseleave={hover.reform(|_: MouseEvent| None)}>{ format!("{k}. ") }{ e.describe() }</li> }
                } else {
                    html! { <li class={classes!(class, state)}>{ e.describe() }</li> }
                }
            }) }
            </ul>
            </>
        }
    }

    fn tlb(&self, ctx: &Context<Self>) -> Html {
        let Some(p) = self.model.player.as_ref() else {
            return html! {};
        };
        let Some(frame) = p.current() else {
            return html! {};
        };
        let rows: Vec<(TlbSlot, bool, TlbMark)> = if self.model.tlb_all {
            p.full_tlb()
        } else {
            frame
                .tlb
                .iter()
                .zip(&frame.stale)
                .zip(&frame.marks)
                .map(|((s, stale), mark)| (*s, *stale, *mark))
                .collect()
        };
        html! {
            <crate::components::tlb::TlbPanel
                rows={Rc::new(rows)}
                len={frame.tlb_len}
                missed={matches!(&frame.action, Action::Access { outcome, .. } if outcome.tlb_hit.is_none())}
                flushes={frame.events.iter().filter(|e| matches!(e, Event::Flush { .. })).map(Event::describe).collect::<Vec<_>>()}
                step={p.cursor}
                all={self.model.tlb_all}
                dispatch={ctx.link().callback(|m| m)} />
        }
    }
}
