//! The start page: the four address spaces and what maps each to the next, what the panels
//! show, the keys, and the path through the lessons.

use crate::i18n::{t, ta, Lang};
use crate::reducer::Msg;
use crate::state::{gallery, topic_message};
use yew::prelude::*;

/// What the start page shows.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// Where the learner left off last time (a link), if anywhere but here.
    pub resume: Option<String>,
    /// Where the page's messages go.
    pub dispatch: Callback<Msg>,
}

/// The start page.
#[function_component(StartPage)]
pub fn start_page(p: &Props) -> Html {
    let l = p.lang;
    let space = |abbr: &str, id: &str| {
        html! {
            <li class="space"><b>{ abbr.to_owned() }</b><span>{ t(l, id) }</span><small>{ t(l, &format!("{id}-what")) }</small></li>
        }
    };
    let map = |id: &str| {
        html! {
            <li class="map">{ t(l, id) }<small>{ t(l, &format!("{id}-who")) }</small></li>
        }
    };
    let panel = |id: &str| {
        html! {
            <li><b>{ t(l, id) }</b>{ t(l, &format!("{id}-what")) }</li>
        }
    };
    html! {
        <article class="reading start">
            <h2>{ t(l, "start-heading") }</h2>
            <p>{ t(l, "start-intro") }</p>
            <figure class="spaces" aria-label={t(l, "start-spaces-label")}>
                <ol class="chain">
                    { space("GVA", "space-gva") }
                    { map("map-guest-tables") }
                    { space("GPA", "space-gpa") }
                    { map("map-memslots") }
                    { space("HVA", "space-hva") }
                    { map("map-host-tables") }
                    { space("HPA", "space-hpa") }
                </ol>
                <figcaption>
                    <p><b>{ t(l, "start-walks-title") }</b>{" "}{ t(l, "start-walks") }</p>
                    <p><b>{ t(l, "start-host-title") }</b>{" "}{ t(l, "start-host") }</p>
                </figcaption>
            </figure>
            <h3>{ t(l, "start-panels") }</h3>
            <ul>
                { panel("panel-walk") }
                { panel("panel-counters") }
                { panel("panel-address") }
                { panel("panel-tlb") }
                <li><b>{ t(l, "panel-shadow") }</b>{ if l == Lang::En { " " } else { "" } }{ t(l, "panel-shadow-what") }</li>
            </ul>
            <h3>{ t(l, "start-keys") }</h3>
            <p>{ t(l, "start-keys-what") }</p>
            if let Some(last) = &p.resume {
                <p class="resume"><a href={last.clone()}>{ t(l, "start-resume") }</a></p>
            }
            <h3>{ t(l, "start-path") }</h3>
            <p>{ t(l, "start-path-what") }</p>
            <ol class="path">
            { for gallery().into_iter().filter(|(_, e)| !e.is_empty()).map(|(topic, entries)| {
                let first = entries[0].name.clone();
                let onclick = p.dispatch.reform(move |_: MouseEvent| Msg::Open(first.clone()));
                html! {
                    <li>
                        <b>{ t(l, topic_message(&topic)) }</b>{ if l == Lang::ZhTw { "：" } else { ": " } }
                        <button class="linkish" {onclick}>{ entries[0].title_in(l).to_owned() }</button>
                        if entries.len() > 1 {
                            <small>{" "}{ ta(l, "start-more", &[("count", (entries.len() - 1).into())]) }</small>
                        }
                    </li>
                }
            }) }
            </ol>
            <p>{ t(l, "start-also") }{" "}<a href="#page=post-claims">{ t(l, "start-claims-link") }</a>{"; "}
                <a href="#page=host">{ t(l, "start-host-link") }</a>{ t(l, "start-host-what") }</p>
        </article>
    }
}
