//! The real-KVM panel: run the scenario on screen on this machine's /dev/kvm when the app is
//! served by `pagewalk serve`, or load the JSON of `pagewalk kvm run --json` (file, drop or
//! paste); either way the simulated and real counters side by side.

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use crate::state::{parse_kvm_json, KvmJsonError, KvmResult};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The loaded results, or why they could not be read.
    pub results: Option<Result<Vec<KvmResult>, KvmJsonError>>,
    /// The scenario on screen (TOML), what "Run on this machine's KVM" sends.
    pub source: String,
    /// Where the panel's messages go.
    pub dispatch: Callback<Msg>,
}

/// Whether the page can run scenarios on KVM: only through `pagewalk serve`, with its token.
#[derive(Clone, Debug, PartialEq)]
enum Server {
    /// Still asking.
    Asking,
    /// No KVM from here, and why.
    No(Trouble),
    /// The server runs scenarios on KVM.
    Ready {
        /// The API token from the URL.
        token: String,
        /// Shadow paging or TDP.
        mode: String,
    },
}

/// Why KVM cannot run from here, or a run did not give results: said in the language spoken
/// when shown, so switching languages changes it too.
#[derive(Clone, Debug, PartialEq)]
enum Trouble {
    /// The app was not served by `pagewalk serve` (no token).
    NotServed,
    /// The server says KVM is unavailable, without a reason.
    Unavailable,
    /// The server's own words (its `why` or `error`).
    Server(String),
    /// The request could not be made.
    NoRequest,
    /// The server did not answer.
    NoAnswer,
    /// The server answered with this HTTP status and no message.
    Status(u16),
    /// The answer was not a result.
    Json(KvmJsonError),
}

impl Trouble {
    /// In words.
    fn text(&self, lang: Lang) -> String {
        match self {
            Trouble::NotServed => t(lang, "kvm-not-served"),
            Trouble::Unavailable => t(lang, "kvm-unavailable"),
            Trouble::Server(why) => why.clone(),
            Trouble::NoRequest => t(lang, "kvm-no-request"),
            Trouble::NoAnswer => t(lang, "kvm-no-answer"),
            Trouble::Status(s) => ta(lang, "kvm-status", &[("status", u64::from(*s).into())]),
            Trouble::Json(e) => e.text(lang),
        }
    }
}

/// The API token `pagewalk serve` printed in the URL (`?token=...`).
fn token() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// One API call: (status, body text).
async fn call(path: &str, token: &str, body: Option<&str>) -> Result<(u16, String), Trouble> {
    let init = web_sys::RequestInit::new();
    init.set_method(if body.is_some() { "POST" } else { "GET" });
    if let Some(b) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(b));
    }
    let req =
        web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| Trouble::NoRequest)?;
    let _ = req.headers().set("x-pagewalk-token", token);
    let window = web_sys::window().ok_or(Trouble::NoRequest)?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| Trouble::NoAnswer)?;
    let resp: web_sys::Response = resp.unchecked_into();
    let text = match resp.text() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok((resp.status(), text))
}

/// What an API answer means for the learner.
fn outcome(status: u16, body: &str) -> Result<Vec<KvmResult>, Trouble> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match status {
        // A comparison, a reason it did not run, or the file's errors: one result.
        200 | 422 => parse_kvm_json(&format!("[{body}]")).map_err(Trouble::Json),
        _ => Err(v["error"]
            .as_str()
            .map_or(Trouble::Status(status), |e| Trouble::Server(e.to_owned()))),
    }
}

/// The title of a result's lesson in `lang`: a bundled lesson's own title in that language
/// (the CLI and the server say it in English), else the name as given.
fn lesson_title(name: &str, file: &str, lang: Lang) -> String {
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".toml");
    crate::state::gallery()
        .iter()
        .flat_map(|(_, entries)| entries)
        .find(|e| e.title == name || e.name == stem)
        .map_or_else(|| name.to_owned(), |e| e.title_in(lang).to_owned())
}

/// A result's file, or the words `pagewalk serve` gives the scenario it was sent, in `lang`.
fn file_name(file: &str, lang: Lang) -> String {
    if file == ON_SCREEN {
        t(lang, "kvm-on-screen")
    } else {
        file.to_owned()
    }
}

/// What `pagewalk serve` calls the scenario the page sent it, in the place of a file name.
const ON_SCREEN: &str = "the scenario on screen";

/// Results, or why there are none (in words).
fn results_view(lang: Lang, results: Option<Result<&Vec<KvmResult>, String>>) -> Html {
    let l = lang;
    match results {
        None => html! {},
        Some(Err(e)) => html! { <p class="error">{ e }</p> },
        Some(Ok(results)) => html! {
            { for results.iter().map(|r| html! {
                <div class="kvm-result">
                    <h4>{ lesson_title(&r.name, &r.file, l) }{" "}<span class="hint">{ file_name(&r.file, l) }</span></h4>
                    if let Some(w) = r.skipped_text.as_ref().map(|t| t.say(l)).or_else(|| r.skipped.clone()) { <p class="hint">{ ta(l, "kvm-not-run", &[("why", w.into())]) }</p> }
                    if !r.rows.is_empty() {
                        <table><thead><tr><th>{ t(l, "kvm-col-counter") }</th><th>{ t(l, "kvm-col-simulated") }</th><th>{ t(l, "kvm-col-real") }</th><th>{ t(l, "kvm-col-agree") }</th></tr></thead>
                        <tbody>{ for r.rows.iter().map(|row| html! {
                            <tr class={classes!((!row.matches).then_some("mismatch"))}>
                                <td>{ &row.name }</td><td>{ row.simulated }</td><td>{ row.real }</td>
                                <td>{ if row.matches { "=" } else { "≠" } }</td></tr>
                        }) }</tbody></table>
                    }
                    if !r.not_observable.is_empty() {
                        <p class="hint">{ ta(l, "kvm-not-observable", &[("list", pagewalk_text::list(l, &r.not_observable).into())]) }</p>
                    }
                </div>
            }) }
        },
    }
}

/// The real-KVM panel.
#[function_component(KvmResults)]
pub fn kvm_results(p: &Props) -> Html {
    let server = use_state(|| Server::Asking);
    let running = use_state(|| false);
    let ran = use_state(|| None::<Result<Vec<KvmResult>, Trouble>>);
    {
        let server = server.clone();
        use_effect_with((), move |_| match token() {
            None => server.set(Server::No(Trouble::NotServed)),
            Some(t) => wasm_bindgen_futures::spawn_local(async move {
                let next = match call("/api/kvm", &t, None).await {
                    Ok((200, body)) => {
                        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                        if v["available"].as_bool() == Some(true) {
                            Server::Ready {
                                token: t,
                                mode: v["host_mode"].as_str().unwrap_or("shadow").to_owned(),
                            }
                        } else {
                            Server::No(
                                v["why"].as_str().map_or(Trouble::Unavailable, |w| {
                                    Trouble::Server(w.to_owned())
                                }),
                            )
                        }
                    }
                    Ok((status, body)) => Server::No(
                        outcome(status, &body)
                            .err()
                            .unwrap_or(Trouble::Status(status)),
                    ),
                    Err(e) => Server::No(e),
                };
                server.set(next);
            }),
        });
    }
    let run = {
        let (server, running, ran, source) = (
            server.clone(),
            running.clone(),
            ran.clone(),
            p.source.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Server::Ready { token, .. } = (*server).clone() else {
                return;
            };
            let (running, ran, source) = (running.clone(), ran.clone(), source.clone());
            running.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let r = match call("/api/kvm/run", &token, Some(&source)).await {
                    Ok((status, body)) => outcome(status, &body),
                    Err(e) => Err(e),
                };
                ran.set(Some(r));
                running.set(false);
            });
        })
    };
    let link = p.dispatch.clone();
    let onchange = Callback::from(move |e: yew::Event| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let link = link.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(v) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    link.emit(Msg::KvmJson(v.as_string().unwrap_or_default()));
                }
            });
        }
    });
    let onpaste = p.dispatch.reform(|e: InputEvent| {
        Msg::KvmJson(
            e.target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value(),
        )
    });
    let link2 = p.dispatch.clone();
    let ondrop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        if let Some(file) = e
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            let link = link2.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(v) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    link.emit(Msg::KvmJson(v.as_string().unwrap_or_default()));
                }
            });
        }
    });
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let l = p.lang;
    let (label, why) = match &*server {
        Server::Asking => (t(l, "kvm-run"), Some(t(l, "kvm-asking"))),
        Server::No(why) => (t(l, "kvm-run-unavailable"), Some(why.text(l))),
        Server::Ready { mode, .. } => (
            t(l, if *running { "kvm-running" } else { "kvm-run" }),
            Some(ta(
                l,
                "kvm-ready",
                &[(
                    "mode",
                    if mode == "tdp" {
                        "EPT/NPT".to_owned()
                    } else {
                        t(l, "kvm-mode-shadow")
                    }
                    .into(),
                )],
            )),
        ),
    };
    let ready = matches!(&*server, Server::Ready { .. }) && !*running;
    html! {
        <details class="kvm" open={ran.is_some()} {ondrop} {ondragover}>
            <summary>{ t(l, "kvm-summary") }{" "}<code>{"pagewalk kvm run --json"}</code></summary>
            <p>
                <button id="kvm-run" disabled={!ready} onclick={run}>{ label }</button>
                if let Some(w) = why { {" "}<span class="hint" id="kvm-why">{ w }</span> }
            </p>
            <div id="kvm-ran" aria-live="polite">{ results_view(l, ran.as_ref().map(|r| r.as_ref().map_err(|e| e.text(l)))) }</div>
            <input type="file" accept=".json,application/json" {onchange} aria-label={t(l, "kvm-file-label")} />
            <textarea placeholder={t(l, "kvm-paste")} aria-label={t(l, "kvm-json-label")} oninput={onpaste} />
            { results_view(l, p.results.as_ref().map(|r| r.as_ref().map_err(|e| e.text(l)))) }
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_name_their_lesson_in_the_language_spoken() {
        let en = lesson_title("x", "scenarios/kvm-read-then-write.toml", Lang::En);
        let zh = lesson_title(&en, ON_SCREEN, Lang::ZhTw);
        assert_ne!(en, zh, "a bundled lesson has its zh-TW title");
        assert_eq!(lesson_title("my own", ON_SCREEN, Lang::ZhTw), "my own");
        assert_eq!(file_name(ON_SCREEN, Lang::En), ON_SCREEN);
        assert_eq!(file_name(ON_SCREEN, Lang::ZhTw), "畫面上的情境");
        assert!(Trouble::NotServed.text(Lang::En).contains("pagewalk serve"));
        assert!(Trouble::NotServed
            .text(Lang::ZhTw)
            .contains("`pagewalk serve`"));
        assert_eq!(
            Trouble::Status(502).text(Lang::En),
            "the server answered 502"
        );
    }
}
