//! The real-KVM panel: load the JSON of `pagewalk kvm run --json` (file, drop or paste) and
//! see the simulated and real counters side by side.

use crate::reducer::Msg;
use crate::state::KvmResult;
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The loaded results, or why they could not be read.
    pub results: Option<Result<Vec<KvmResult>, String>>,
    /// Where the panel's messages go.
    pub dispatch: Callback<Msg>,
}

/// The real-KVM panel.
#[function_component(KvmResults)]
pub fn kvm_results(p: &Props) -> Html {
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
    html! {
        <details class="kvm" {ondrop} {ondragover}>
            <summary>{"Real KVM: load the JSON of "}<code>{"pagewalk kvm run --json"}</code></summary>
            <input type="file" accept=".json,application/json" {onchange} aria-label="KVM results file" />
            <textarea placeholder="or paste the JSON here, or drop the file on this box" aria-label="KVM results JSON" oninput={onpaste} />
            { match &p.results {
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
                        </div>
                    }) }
                },
            } }
        </details>
    }
}
