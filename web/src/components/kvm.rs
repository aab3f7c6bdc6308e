//! The real-KVM panel: run the scenario on screen on this machine's /dev/kvm when the app is
//! served by `pagewalk serve`, or load the JSON of `pagewalk kvm run --json` (file, drop or
//! paste); either way the simulated and real counters side by side.

use crate::reducer::Msg;
use crate::state::{parse_kvm_json, KvmResult};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The loaded results, or why they could not be read.
    pub results: Option<Result<Vec<KvmResult>, String>>,
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
    No(String),
    /// The server runs scenarios on KVM.
    Ready {
        /// The API token from the URL.
        token: String,
        /// Shadow paging or TDP.
        mode: String,
    },
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
async fn call(path: &str, token: &str, body: Option<&str>) -> Result<(u16, String), String> {
    let init = web_sys::RequestInit::new();
    init.set_method(if body.is_some() { "POST" } else { "GET" });
    if let Some(b) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(b));
    }
    let req = web_sys::Request::new_with_str_and_init(path, &init)
        .map_err(|_| "the request could not be made".to_owned())?;
    let _ = req.headers().set("x-pagewalk-token", token);
    let window = web_sys::window().ok_or("no window")?;
    let resp = wasm_bindgen_futures::JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| "the server did not answer (is `pagewalk serve` still running?)".to_owned())?;
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
fn outcome(status: u16, body: &str) -> Result<Vec<KvmResult>, String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match status {
        // A comparison, a reason it did not run, or the file's errors: one result.
        200 | 422 => parse_kvm_json(&format!("[{body}]")),
        _ => Err(v["error"]
            .as_str()
            .map_or_else(|| format!("the server answered {status}"), str::to_owned)),
    }
}

fn results_view(results: &Option<Result<Vec<KvmResult>, String>>) -> Html {
    match results {
        None => html! {},
        Some(Err(e)) => html! { <p class="error">{ e }</p> },
        Some(Ok(results)) => html! {
            { for results.iter().map(|r| html! {
                <div class="kvm-result">
                    <h4>{ &r.name }{" "}<span class="hint">{ &r.file }</span></h4>
                    if let Some(w) = &r.skipped { <p class="hint">{ format!("not run: {w}") }</p> }
                    if !r.rows.is_empty() {
                        <table><thead><tr><th>{"counter"}</th><th>{"simulated"}</th><th>{"real KVM"}</th><th>{"agree?"}</th></tr></thead>
                        <tbody>{ for r.rows.iter().map(|row| html! {
                            <tr class={classes!((!row.matches).then_some("mismatch"))}>
                                <td>{ &row.name }</td><td>{ row.simulated }</td><td>{ row.real }</td>
                                <td>{ if row.matches { "=" } else { "≠" } }</td></tr>
                        }) }</tbody></table>
                    }
                    if !r.not_observable.is_empty() {
                        <p class="hint">{ format!(
                            "Not observable on that host (no hardware counters for the TLB and the walks): {}.",
                            r.not_observable.join(", ")
                        ) }</p>
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
    let ran = use_state(|| None::<Result<Vec<KvmResult>, String>>);
    {
        let server = server.clone();
        use_effect_with((), move |_| {
            match token() {
                None => server.set(Server::No(
                    "this copy of the app was not opened from `pagewalk serve`, so it cannot run KVM here: start it with `bash scripts/serve.sh` and open the URL it prints, or run `pagewalk kvm run --json FILE` and load the file below".to_owned(),
                )),
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
                                Server::No(v["why"].as_str().unwrap_or("KVM is unavailable on the server's host").to_owned())
                            }
                        }
                        Ok((status, body)) => Server::No(outcome(status, &body).err().unwrap_or_default()),
                        Err(e) => Server::No(e),
                    };
                    server.set(next);
                }),
            }
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
    let (label, why) = match &*server {
        Server::Asking => ("Run on this machine's KVM", Some("asking the server…".to_owned())),
        Server::No(why) => ("Run on this machine's KVM (not available)", Some(why.clone())),
        Server::Ready { mode, .. } => (
            if *running { "Running on KVM…" } else { "Run on this machine's KVM" },
            Some(format!(
                "runs the scenario on screen on the server's /dev/kvm ({}) and puts KVM's own counters beside the model's",
                if mode == "tdp" { "EPT/NPT" } else { "shadow paging" }
            )),
        ),
    };
    let ready = matches!(&*server, Server::Ready { .. }) && !*running;
    html! {
        <details class="kvm" open={ran.is_some()} {ondrop} {ondragover}>
            <summary>{"Real KVM: run this scenario on /dev/kvm, or load "}<code>{"pagewalk kvm run --json"}</code></summary>
            <p>
                <button id="kvm-run" disabled={!ready} onclick={run}>{ label }</button>
                if let Some(w) = why { {" "}<span class="hint" id="kvm-why">{ w }</span> }
            </p>
            <div id="kvm-ran" aria-live="polite">{ results_view(&ran) }</div>
            <input type="file" accept=".json,application/json" {onchange} aria-label="KVM results file" />
            <textarea placeholder="or paste the JSON here, or drop the file on this box" aria-label="KVM results JSON" oninput={onpaste} />
            { results_view(&p.results) }
        </details>
    }
}
