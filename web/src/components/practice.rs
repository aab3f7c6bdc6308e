//! The practice page: a question generated from a seed ([`crate::practice`]), the learner's
//! answer, the verdict with its reason, and the next question.

use crate::i18n::{t, ta, Lang};
use crate::practice::Exercise;
use crate::reducer::Msg;
use crate::state::{link_fragment, Link, Score};
use yew::prelude::*;

/// What the practice page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The question, or why none could be generated from its seed.
    pub exercise: Result<Exercise, String>,
    /// The answer as typed.
    pub input: String,
    /// Whether the answer was right, once checked.
    pub verdict: Option<bool>,
    /// The score on generated questions.
    pub score: Score,
    /// Where the page's messages go.
    pub dispatch: Callback<Msg>,
}

/// The practice page.
#[function_component(PracticePage)]
pub fn practice_page(p: &Props) -> Html {
    let l = p.lang;
    let e = match &p.exercise {
        Ok(e) => e,
        Err(why) => {
            return html! {
                <div class="lesson practice">
                    <h2>{ t(l, "practice-title") }</h2>
                    <p class="error">{ why }</p>
                    <button id="practice-next" onclick={p.dispatch.reform(|_| Msg::PracticeNext)}>{ t(l, "practice-next") }</button>
                </div>
            }
        }
    };
    let readable = e.judge(&p.input).is_some();
    let given = e.given(l);
    let open = link_fragment(&Link {
        text: Some(e.scenario.clone()),
        step: 0,
        ..Link::default()
    });
    let score = p.score;
    let onkeydown = {
        let d = p.dispatch.clone();
        Callback::from(move |k: KeyboardEvent| {
            if k.key() == "Enter" {
                d.emit(Msg::PracticeCheck);
            }
        })
    };
    html! {
        <div class="lesson practice">
            <h2>{ t(l, "practice-title") }</h2>
            <p>{ t(l, "practice-intro") }</p>
            <h3>{ ta(l, "practice-question", &[("seed", e.seed.to_string().into())]) }</h3>
            <p class="question">{ e.question(l) }</p>
            if !given.is_empty() {
                <pre class="given">{ given.join("\n") }</pre>
            }
            <p>
                <label for="practice-answer">{ t(l, "practice-answer-label") }{" "}</label>
                <input id="practice-answer" type="text" autocomplete="off" value={p.input.clone()} {onkeydown}
                    oninput={p.dispatch.reform(|e: InputEvent| Msg::PracticeInput(
                        e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))} />
                <button id="practice-check" disabled={!readable || p.verdict.is_some()}
                    onclick={p.dispatch.reform(|_| Msg::PracticeCheck)}>{ t(l, "practice-check") }</button>
                <button id="practice-next" onclick={p.dispatch.reform(|_| Msg::PracticeNext)}>{ t(l, "practice-next") }</button>
                <span class="score">{ ta(l, "practice-score", &[("right", score.right.into()), ("total", score.total.into())]) }</span>
            </p>
            if let Some(right) = p.verdict {
                <div class="verdict" aria-live="polite">
                    <p class={classes!(if right { "right" } else { "wrong" })}>
                        { ta(l, if right { "practice-right" } else { "practice-wrong" }, &[("answer", e.answer_text(l).into())]) }
                    </p>
                    <p class="why"><b>{ t(l, "practice-why") }{" "}</b>{ e.why(l) }</p>
                    <p><a href={open}>{ t(l, "practice-open") }</a>{ t(l, "practice-open-end") }</p>
                </div>
            }
        </div>
    }
}
