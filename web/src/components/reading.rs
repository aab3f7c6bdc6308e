//! A reading page: its Markdown rendered, with the lesson names it mentions linked to their
//! lessons. The pages are written in English only: in another language, a line at the top says
//! so.

use crate::i18n::{ta, Lang};
use crate::pages::Page;
use crate::state::bundled;
use yew::prelude::*;

/// The page shown.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
    /// The page (one of [`crate::pages::PAGES`]).
    pub page: &'static Page,
}

/// A reading page.
#[function_component(ReadingPage)]
pub fn reading_page(p: &Props) -> Html {
    let page = p.page;
    let l = p.lang;
    let html = crate::pages::render_in(l, page.markdown, &|s| bundled(s).is_some());
    html! {
        <article class="reading" lang="en" aria-label={page.title_in(l)}>
            if l != Lang::En {
                <p class="notice in-english" lang={l.tag()}>{ ta(l, "reading-in-english", &[("title", page.title_in(l).into())]) }</p>
            }
            { Html::from_html_unchecked(AttrValue::from(html)) }
        </article>
    }
}
