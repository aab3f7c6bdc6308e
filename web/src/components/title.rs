//! The lesson's head: its title, lesson sentence and notes, a word on PVM when it is modelled
//! on this project's KVM host, the previous and next lessons on the path, the comparison it
//! belongs to, and the run's error if it hit one.

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use crate::state::{bundled, Player};
use yew::prelude::*;

/// What the lesson's head shows of the scenario loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    /// The scenario's title.
    pub title: String,
    /// Its lesson sentence.
    pub lesson: String,
    /// Its notes (Markdown), if any.
    pub notes: Option<String>,
    /// It is modelled on a KVM host that runs guests under PVM.
    pub pvm: bool,
    /// An error the run hit, if any.
    pub error: Option<String>,
}

impl Lesson {
    /// What the head shows of the player's scenario, in `lang` where the file has it.
    pub fn of(p: &Player, lang: Lang) -> Lesson {
        let k = lang.scenario_key().unwrap_or("en");
        Lesson {
            title: p.scenario.name_in(k).to_owned(),
            lesson: p.scenario.lesson_in(k).to_owned(),
            notes: p.scenario.notes_in(k).map(str::to_owned),
            pvm: p.scenario.host.platform == pagewalk_core::Platform::Pvm,
            error: p.error.as_ref().map(|d| d.display_in(lang)),
        }
    }
}

/// What the head shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The bundled lesson's file name, for the path and the comparison ("" for edited text).
    pub name: String,
    /// The scenario loaded, or `None` when the text does not load.
    pub lesson: Option<Lesson>,
    /// Where the head's messages go.
    pub dispatch: Callback<Msg>,
}

/// The lesson's head.
#[function_component(LessonTitle)]
pub fn lesson_title(p: &Props) -> Html {
    let name = p.name.as_str();
    let l = p.lang;
    let nav = |forward: bool| {
        crate::state::next_lesson(name, forward).map(|n| {
            let title = crate::state::gallery()
                .into_iter()
                .flat_map(|(_, e)| e)
                .find(|e| e.name == n)
                .map_or_else(|| n.to_owned(), |e| e.title_in(l).to_owned());
            let onclick = p.dispatch.reform(move |_| Msg::Open(n.to_owned()));
            (title, onclick)
        })
    };
    let (prev, next) = (nav(false), nav(true));
    let compare = crate::state::comparison_of(name).map(|(left, right, _)| {
        let what = crate::components::compare::comparison_label(l, left, right);
        let onclick = p
            .dispatch
            .reform(move |_| Msg::Compare(left.to_owned(), right.to_owned()));
        (what, onclick)
    });
    match &p.lesson {
        Some(s) => html! {
            <div class="lesson">
                <h2 id="scenario-name">{ &s.title }</h2>
                <p>{ crate::components::glossary::glossed(l, &s.lesson) }</p>
                if let Some(notes) = &s.notes {
                    <details class="notes" open=true>
                        <summary>{ t(l, "lesson-about") }</summary>
                        // Notes are Markdown: code spans, and lesson names linked to their lessons.
                        { Html::from_html_unchecked(AttrValue::from(crate::pages::render_in(l, notes, &|s| bundled(s).is_some()))) }
                    </details>
                }
                if s.pvm {
                    <p class="notice pvm">
                        <b>{ t(l, "lesson-pvm-title") }</b>{" "}
                        { t(l, "lesson-pvm") }
                    </p>
                }
                <nav class="lesson-nav" aria-label={t(l, "lesson-nav")}>
                    if let Some((t, onclick)) = prev { <button {onclick} title={t.clone()}>{ format!("← {t}") }</button> }
                    if let Some((t, onclick)) = next { <button {onclick} title={t.clone()}>{ ta(l, "lesson-next", &[("title", t.clone().into())]) }</button> }
                    if let Some((what, onclick)) = compare { <button class="compare-btn" {onclick}>{ ta(l, "lesson-compare", &[("what", what.into())]) }</button> }
                </nav>
                if let Some(e) = &s.error { <p class="error">{ e }</p> }
            </div>
        },
        None => html! { <div class="lesson"><h2>{ t(l, "lesson-problems") }</h2></div> },
    }
}
