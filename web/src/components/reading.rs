//! A reading page: its Markdown rendered, with the lesson names it mentions linked to their
//! lessons.

use crate::pages::Page;
use crate::state::bundled;
use yew::prelude::*;

/// The page shown.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The page (one of [`crate::pages::PAGES`]).
    pub page: &'static Page,
}

/// A reading page.
#[function_component(ReadingPage)]
pub fn reading_page(p: &Props) -> Html {
    let page = p.page;
    let html = crate::pages::render(page.markdown, &|s| bundled(s).is_some());
    html! {
        <article class="reading" aria-label={page.title}>
            { Html::from_html_unchecked(AttrValue::from(html)) }
        </article>
    }
}
