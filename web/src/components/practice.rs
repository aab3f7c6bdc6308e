//! The practice page: a question generated from a seed ([`crate::practice`]), the learner's
//! answer, the verdict with its reason, and the next question.

use crate::practice::Exercise;
use crate::reducer::Msg;
use crate::state::{link_fragment, Link, Score};
use yew::prelude::*;

/// What the practice page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
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
    let e = match &p.exercise {
        Ok(e) => e,
        Err(why) => {
            return html! {
                <div class="lesson practice">
                    <h2>{"Practice: questions generated from a seed"}</h2>
                    <p class="error">{ why }</p>
                    <button id="practice-next" onclick={p.dispatch.reform(|_| Msg::PracticeNext)}>{"Generate another"}</button>
                </div>
            }
        }
    };
    let readable = e.judge(&p.input).is_some();
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
            <h2>{"Practice: questions generated from a seed"}</h2>
            <p>{"Each question is a small scenario, generated from its seed the way OSTEP's paging homework generates problems; the answer is what the simulator does when it runs it. Even seeds ask how many references a walk makes, odd seeds ask you to translate an address by reading the page tables."}</p>
            <h3>{ format!("Question (seed {})", e.seed) }</h3>
            <p class="question">{ &e.question }</p>
            if !e.given.is_empty() {
                <pre class="given">{ e.given.join("\n") }</pre>
            }
            <p>
                <label for="practice-answer">{"Your answer: "}</label>
                <input id="practice-answer" type="text" autocomplete="off" value={p.input.clone()} {onkeydown}
                    oninput={p.dispatch.reform(|e: InputEvent| Msg::PracticeInput(
                        e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))} />
                <button id="practice-check" disabled={!readable || p.verdict.is_some()}
                    onclick={p.dispatch.reform(|_| Msg::PracticeCheck)}>{"Check"}</button>
                <button id="practice-next" onclick={p.dispatch.reform(|_| Msg::PracticeNext)}>{"Generate another"}</button>
                <span class="score">{ format!(" score {} / {}", score.right, score.total) }</span>
            </p>
            if let Some(right) = p.verdict {
                <div class="verdict" aria-live="polite">
                    <p class={classes!(if right { "right" } else { "wrong" })}>
                        { if right { "Right: " } else { "Not this time: the answer is " } }{ e.answer_text() }{"."}
                    </p>
                    <p class="why"><b>{"Why: "}</b>{ &e.why }</p>
                    <p><a href={open}>{"Open this question in the player"}</a>{" to step through the walk."}</p>
                </div>
            }
        </div>
    }
}
