//! The root component: it holds the reducer's [`State`], carries out the effects of each
//! transition (the playback timer, the URL, localStorage), listens for keys and `hashchange`,
//! and lays the page out from the function components in [`crate::components`]. Stable hooks
//! for end-to-end tests: counters carry `data-counter="KEY"` with the plain number as text;
//! cells of the 2D grid carry `data-ref="K"` for the K-th reference.

use crate::components::{
    address, charts, compare, controls, counters, editor, gallery, glossary, host, host_panel, kvm,
    practice, predict, reading, start, title, tlb, walk,
};
use crate::i18n::{t, ta, Lang};
pub use crate::reducer::Msg;
use crate::reducer::{State, Ticker};
use crate::state::{link_fragment, Score};
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
        .filter(|f| {
            let rest = f.strip_prefix("#lang=").map_or(f.as_str(), |r| {
                r.split_once('&').map_or("", |(_, after)| after)
            });
            let rest = rest.trim_start_matches('#');
            rest.starts_with("scenario=") || rest.starts_with("page=")
        })
}

/// The language the learner chose last time, if any.
fn stored_lang() -> Option<Lang> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item("pagewalk.lang")
        .ok()?
        .as_deref()
        .and_then(Lang::from_tag)
}

/// The first of the browser's languages the app speaks (`navigator.languages`).
fn browser_lang() -> Lang {
    let langs: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages())
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Lang::from_browser(&langs)
}

/// Speaks `lang` on the page: `<html lang>` for screen readers and fonts, and remembered.
fn apply_lang(lang: Lang, remember: bool) {
    let Some(w) = web_sys::window() else { return };
    if let Some(d) = w.document() {
        if let Some(root) = d.document_element() {
            let _ = root.set_attribute("lang", lang.tag());
        }
        // The tab's title, in the same language.
        d.set_title(&t(lang, "app-document-title"));
    }
    if remember {
        if let Ok(Some(store)) = w.local_storage() {
            let _ = store.set_item("pagewalk.lang", lang.tag());
        }
    }
}

/// The app.
pub struct App {
    model: State,
    /// Where the components' messages go: one callback for the app's life, so a component
    /// whose other props are unchanged is not drawn again.
    dispatch: Callback<Msg>,
    /// The playback timer, while playing.
    ticker: Option<gloo_timers::callback::Interval>,
    /// Keeps the `hashchange` listener alive as long as the app.
    on_hash: Option<wasm_bindgen::closure::Closure<dyn Fn()>>,
    /// Keeps the window's `keydown` listener alive as long as the app.
    on_key: Option<wasm_bindgen::closure::Closure<dyn Fn(web_sys::KeyboardEvent)>>,
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

    fn create(ctx: &Context<Self>) -> Self {
        let mut model = State::new(&window_fragment(), load_scores());
        // The link's language, else the one chosen last time, else the browser's.
        if model.link.lang.is_none() {
            model.lang = stored_lang().unwrap_or_else(browser_lang);
        }
        apply_lang(model.lang, model.link.lang.is_some());
        let on_hash = listen_hash(ctx.link().callback(Msg::Hash));
        let on_key = listen_keys(ctx.link().callback(Msg::Key));
        App {
            model,
            dispatch: ctx.link().callback(|m| m),
            ticker: None,
            on_hash,
            on_key,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        let lang = self.model.lang;
        let fx = self.model.reduce(msg);
        if self.model.lang != lang {
            apply_lang(self.model.lang, true);
        }
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

    /// Takes the window's listeners down with the app: a page (or a test) that mounts another
    /// app does not keep this one following its links and keys.
    fn destroy(&mut self, _ctx: &Context<Self>) {
        use wasm_bindgen::JsCast;
        let Some(w) = web_sys::window() else { return };
        if let Some(c) = self.on_hash.take() {
            let _ = w.remove_event_listener_with_callback("hashchange", c.as_ref().unchecked_ref());
        }
        if let Some(c) = self.on_key.take() {
            let _ = w.remove_event_listener_with_callback("keydown", c.as_ref().unchecked_ref());
        }
    }

    fn view(&self, _ctx: &Context<Self>) -> Html {
        let m = &self.model;
        let dispatch = &self.dispatch;
        let lang = m.lang;
        html! {
            <div class="app">
                <header>
                    <h1>{ t(lang, "app-title") }</h1>
                    <p class="tagline">{ t(lang, "app-tagline") }</p>
                    <label class="lang">{ t(lang, "lang-switch") }{" "}
                        <select id="lang" onchange={dispatch.reform(|e: yew::Event| {
                            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                            Msg::SetLang(Lang::from_tag(&v).unwrap_or_default())
                        })}>
                            { for Lang::ALL.iter().map(|l| html! {
                                <option value={l.tag()} selected={*l == lang}>{ t(lang, &format!("lang-{}", l.tag())) }</option>
                            }) }
                        </select>
                    </label>
                </header>
                <div class="columns">
                    <nav class="gallery" aria-label={t(lang, "gallery-label")}>
                        <gallery::Gallery {lang} page={m.link.page.clone()} scenario={m.link.scenario.clone()}
                            scores={Rc::clone(&m.scores)} dispatch={dispatch.clone()} />
                    </nav>
                    <main>
                    if let Some(n) = &m.notice {
                        <p class="notice" role="alert">{ n.text(lang) }</p>
                    }
                    if let Some((l, r)) = m.link.compare.clone() {
                        <compare::Compare {lang} left={l} right={r} />
                    } else if m.link.page.as_deref() == Some("start") {
                        <start::StartPage {lang} resume={remembered().filter(|f| !f.ends_with("page=start"))} dispatch={dispatch.clone()} />
                    } else if m.link.page.as_deref() == Some("practice") {
                        <practice::PracticePage {lang}
                            exercise={m.practice.clone()}
                            input={m.practice_input.clone()}
                            verdict={m.practice_verdict}
                            score={m.scores.get("practice").copied().unwrap_or_default()}
                            dispatch={dispatch.clone()} />
                    } else if m.link.page.as_deref() == Some("glossary") {
                        <glossary::GlossaryPage {lang} />
                    } else if m.link.page.as_deref() == Some("host") {
                        <host::HostPage {lang} inputs={m.host_inputs.clone()} dispatch={dispatch.clone()} />
                    } else if let Some(page) = m.link.page.as_deref().and_then(crate::pages::page) {
                        <reading::ReadingPage {lang} {page} />
                    } else {
                        <title::LessonTitle {lang} name={m.link.scenario.clone().unwrap_or_default()}
                            lesson={m.player.as_ref().map(|p| title::Lesson::of(p, lang))} dispatch={dispatch.clone()} />
                        if let Some(p) = &m.player {
                            <controls::Controls {lang} playing={m.playing} speed_ms={m.speed_ms}
                                cursor={p.cursor} total={p.total} dispatch={dispatch.clone()} />
                        }
                        <predict::PredictPanel
                            {lang}
                            on={m.predict}
                            prediction={m.prediction}
                            refs_input={m.refs_input.clone()}
                            verdict={m.verdict.clone()}
                            score={m.scores.get(&m.lesson_key()).copied().unwrap_or_default()}
                            next={m.predict.then(|| m.player.as_ref().and_then(|p| p.upcoming())).flatten()
                                .map(|(gva, access)| ta(lang, "predict-access", &[("access", access.name(lang).into()), ("gva", gva.to_string().into())]))}
                            dispatch={dispatch.clone()} />
                        // A file opened broken shows its errors up here; while the learner
                        // types, they show under the editor, where the fix is made.
                        if !m.editing {
                            <editor::Diagnostics errors={m.errors.clone()} {lang} />
                        }
                        <div class="panes">
                            <section class="pane walk" aria-label={t(lang, "pane-walk")}>
                                if let Some(p) = &m.player {
                                    <walk::Walk {lang} step={walk::StepView::of(p, lang)} sub={m.sub}
                                        hover_ref={m.hover_ref} dispatch={dispatch.clone()} />
                                }
                            </section>
                            <section class="pane side">
                                <counters::CountersPanel {lang} counters={m.player.as_ref()
                                    .map_or_else(crate::state::zero_counters, |p| p.counters())} />
                                if let Some(props) = m.player.as_ref().and_then(|p| host_panel::Props::of(p, lang)) {
                                    <host_panel::HostPanel ..props />
                                }
                                if let Some(p) = &m.player {
                                    <charts::Charts {lang} series={Rc::new(p.series())} from={p.base + 1} to={p.cursor} />
                                }
                                if let Some(fields) = m.player.as_ref().and_then(|p| p.address(m.lang)) {
                                    <address::AddressBits {lang} {fields} />
                                }
                                if let Some(props) = m.player.as_ref()
                                    .and_then(|p| tlb::Props::of(p, m.tlb_all, lang, dispatch.clone())) {
                                    <tlb::TlbPanel ..props />
                                }
                            </section>
                        </div>
                        <editor::Editor {lang} text={m.text.clone()}
                            has_errors={!m.errors.is_empty()} editing={m.editing}
                            dispatch={dispatch.clone()} />
                        if m.editing {
                            <editor::Diagnostics errors={m.errors.clone()} {lang} />
                        }
                        <kvm::KvmResults {lang} results={m.kvm.clone()} source={m.text.clone()} dispatch={dispatch.clone()} />
                    }
                    </main>
                </div>
            </div>
        }
    }
}
