//! The gallery: the reading pages, the practice page with its score, the host page, and the
//! lessons in the path's order under their topics, each with the learner's predict-mode score;
//! the page or lesson shown is marked current.

use crate::i18n::{t, Lang};
use crate::reducer::Msg;
use crate::state::{gallery, topic_message, Score};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// What the gallery shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The reading page shown (`#page=SLUG`), if one is.
    pub page: Option<String>,
    /// The lesson shown (`#scenario=NAME`), if one is.
    pub scenario: Option<String>,
    /// The learner's scores, by lesson file name ("practice" for generated questions).
    pub scores: Rc<BTreeMap<String, Score>>,
    /// Where the gallery's messages go.
    pub dispatch: Callback<Msg>,
}

/// The gallery.
#[function_component(Gallery)]
pub fn gallery_list(p: &Props) -> Html {
    let groups = gallery();
    let l = p.lang;
    html! {
        <>
        <div class="topic">
            <h2>{ t(l, "gallery-reading") }</h2>
            <ul>
            <li class={classes!((p.page.as_deref() == Some("start")).then_some("current"))}>
                <button onclick={p.dispatch.reform(|_| Msg::OpenPage("start".into()))}>{ t(l, "gallery-start") }</button>
            </li>
            <li class={classes!((p.page.as_deref() == Some("practice")).then_some("current"))}>
                <button onclick={p.dispatch.reform(|_| Msg::OpenPage("practice".into()))}>{ t(l, "gallery-practice") }
                    if let Some(sc) = p.scores.get("practice") {
                        <span class="lesson-score" title={t(l, "gallery-score-practice")}>{ format!(" {}/{}", sc.right, sc.total) }</span>
                    }
                </button>
            </li>
            <li class={classes!((p.page.as_deref() == Some("host")).then_some("current"))}>
                <button onclick={p.dispatch.reform(|_| Msg::OpenPage("host".into()))}>{ t(l, "gallery-host") }</button>
            </li>
            <li class={classes!((p.page.as_deref() == Some("glossary")).then_some("current"))}>
                <button onclick={p.dispatch.reform(|_| Msg::OpenPage("glossary".into()))}>{ t(l, "gallery-glossary") }</button>
            </li>
            { for crate::pages::PAGES.iter().filter(|page| page.listed).map(|page| {
                let slug = page.slug.to_owned();
                let onclick = p.dispatch.reform(move |_| Msg::OpenPage(slug.clone()));
                let current = p.page.as_deref() == Some(page.slug);
                html! {
                    <li class={classes!(current.then_some("current"))}>
                        <button {onclick}>{ t(l, &format!("page-{}", page.slug)) }</button>
                    </li>
                }
            }) }
            </ul>
        </div>
        { for groups.iter().map(|(topic, items)| html! {
            <div class="topic">
                <h2>{ t(l, topic_message(topic)) }</h2>
                <ul>
                { for items.iter().map(|e| {
                    let n = e.name.clone();
                    let onclick = p.dispatch.reform(move |_| Msg::Open(n.clone()));
                    let current = p.scenario.as_deref() == Some(e.name.as_str());
                    html! {
                        <li class={classes!(current.then_some("current"))}>
                            <button {onclick} title={e.lesson_in(l).to_owned()}>{ e.title_in(l).to_owned() }
                                if let Some(sc) = p.scores.get(&e.name) {
                                    <span class="lesson-score" title={t(l, "gallery-score-lesson")}>
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
