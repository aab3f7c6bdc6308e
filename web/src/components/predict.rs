//! Predict, then reveal: the three questions about the next access, the Reveal button, the
//! verdict with its reason, and the lesson's score.

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use crate::state::{FaultClass, Prediction, Score, Verdict};
use yew::prelude::*;

/// What the panel shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// Predict mode is on.
    pub on: bool,
    /// The answers picked so far.
    pub prediction: Prediction,
    /// The reference count as typed.
    pub refs_input: String,
    /// The verdict on the last prediction.
    pub verdict: Option<Verdict>,
    /// The score in this lesson.
    pub score: Score,
    /// The next access, in words ("user read of 0x7fff00001238"), if there is one.
    pub next: Option<String>,
    /// Where the panel's messages go.
    pub dispatch: Callback<Msg>,
}

/// The predict panel.
#[function_component(PredictPanel)]
pub fn predict_panel(p: &Props) -> Html {
    let pick = |on: bool| classes!(on.then_some("picked"));
    let l = p.lang;
    html! {
        <div class="predict">
            <label><input type="checkbox" checked={p.on}
                onchange={p.dispatch.reform(|_| Msg::TogglePredict)} />
                {" "}{ t(l, "predict-toggle") }</label>
            if p.on {
                <p class="next-access">
                    { match &p.next {
                        Some(n) => html! { <>{ t(l, "predict-next") }{" "}<b>{ n }</b></> },
                        None => html! { { t(l, "predict-none") } },
                    } }
                </p>
                <p class="hint">{ t(l, "predict-how") }</p>
                <div class="ask" role="group" aria-label={t(l, "predict-hit-label")}>{ t(l, "predict-tlb") }{" "}
                    <button class={pick(p.prediction.hit == Some(true))} aria-pressed={(p.prediction.hit == Some(true)).to_string()}
                        onclick={p.dispatch.reform(|_| Msg::PickHit(true))}>{ t(l, "predict-hit") }</button>
                    <button class={pick(p.prediction.hit == Some(false))} aria-pressed={(p.prediction.hit == Some(false)).to_string()}
                        onclick={p.dispatch.reform(|_| Msg::PickHit(false))}>{ t(l, "predict-miss") }</button>
                </div>
                <div class="ask" role="group" aria-label={t(l, "predict-refs-label")}>
                    <label for="refs-guess">{ t(l, "predict-refs") }{" "}</label>
                    <input id="refs-guess" type="number" min="0" max="99" value={p.refs_input.clone()}
                        oninput={p.dispatch.reform(|e: InputEvent| Msg::RefsInput(
                            e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))} />
                </div>
                <div class="ask" role="group" aria-label={t(l, "predict-fault-label")}>{ t(l, "predict-fault") }{" "}
                    { for FaultClass::ALL.iter().map(|&c| html! {
                        <button class={pick(p.prediction.fault == Some(c))} aria-pressed={(p.prediction.fault == Some(c)).to_string()}
                            onclick={p.dispatch.reform(move |_| Msg::PickFault(c))}>{ c.label(l) }</button>
                    }) }
                </div>
                <button id="reveal" class="reveal" disabled={p.prediction.is_empty()}
                    onclick={p.dispatch.reform(|_| Msg::Reveal)}>{ t(l, "predict-reveal") }</button>
                <span class="score" id="score">{" "}{ ta(l, "predict-score", &[("right", p.score.right.into()), ("total", p.score.total.into())]) }</span>
                if let Some(v) = &p.verdict {
                    <div class="verdict" aria-live="polite">
                        <ul>{ for v.answers.iter().map(|(right, what)| html! {
                            <li class={classes!(match right { Some(true) => "right", Some(false) => "wrong", None => "open" })}>
                                { t(l, match right { Some(true) => "predict-right", Some(false) => "predict-wrong", None => "predict-open" }) }{" "}{ what }
                            </li>
                        }) }</ul>
                        <p class="why"><b>{ t(l, "predict-why") }{" "}</b>{ &v.why }</p>
                    </div>
                }
            }
        </div>
    }
}
