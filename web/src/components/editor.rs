//! The scenario editor and the text's errors, each at its line and column with its hint.

use crate::reducer::Msg;
use yew::prelude::*;

/// What the editor shows.
#[derive(Properties, PartialEq)]
pub struct EditorProps {
    /// The language spoken.
    pub lang: crate::i18n::Lang,
    /// The scenario text.
    pub text: String,
    /// The text has errors: Load is disabled and the editor stays open.
    pub has_errors: bool,
    /// The learner has typed since the last load: the editor stays open.
    pub editing: bool,
    /// Where the editor's messages go.
    pub dispatch: Callback<Msg>,
}

/// The editor: the TOML text and its Load button.
#[function_component(Editor)]
pub fn editor(p: &EditorProps) -> Html {
    let oninput = p.dispatch.reform(|e: InputEvent| {
        Msg::Edit(
            e.target_unchecked_into::<web_sys::HtmlTextAreaElement>()
                .value(),
        )
    });
    let (l, t) = (p.lang, crate::i18n::t);
    html! {
        <details class="editor" open={p.has_errors || p.editing}>
            <summary>{ t(l, "editor-edit") }</summary>
            <textarea id="editor" spellcheck="false" aria-label={t(l, "editor-label")} value={p.text.clone()} {oninput} />
            <button onclick={p.dispatch.reform(|_| Msg::Apply)} disabled={p.has_errors}>{ t(l, "editor-load") }</button>
        </details>
    }
}

/// What the error list shows.
#[derive(Properties, PartialEq)]
pub struct DiagnosticsProps {
    /// Each error, at its line and column, with its hint.
    pub errors: Vec<pagewalk_scenario::Diagnostic>,
    /// The language spoken.
    pub lang: crate::i18n::Lang,
}

/// The text's errors.
#[function_component(Diagnostics)]
pub fn diagnostics(p: &DiagnosticsProps) -> Html {
    if p.errors.is_empty() {
        return html! {};
    }
    html! {
        <ul class="diagnostics" id="diagnostics" aria-live="polite">
        { for p.errors.iter().map(|d| {
            let (l, c) = (d.pos.line, d.pos.col);
            html! {
                <li class="diagnostic" data-line={l.to_string()} data-column={c.to_string()}>
                    <span class="where">{ format!("{l}:{c}") }</span>{" "}{ d.message_in(p.lang) }
                    if let Some(h) = d.hint_in(p.lang) { <div class="hint">{ h }</div> }
                </li>
            }
        }) }
        </ul>
    }
}
