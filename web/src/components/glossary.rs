//! The glossary, from the catalogue (`pagewalk_text::glossary`): a page of every term in the
//! learner's language with the SDM/KVM English name beside it, and the hovers that explain a
//! term where the narration and the lesson texts use it. docs/glossary.md is made from the
//! same messages, so the page, the hovers and the doc cannot disagree.

use crate::i18n::{t, Lang};
use pagewalk_text::{glossary, Term};
use yew::prelude::*;

/// The glossary page (`#page=glossary`).
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The language spoken.
    pub lang: Lang,
}

/// The glossary page.
#[function_component(GlossaryPage)]
pub fn glossary_page(p: &Props) -> Html {
    let l = p.lang;
    html! {
        <article class="reading glossary" aria-label={t(l, "glossary-title")}>
            <h1>{ t(l, "glossary-title") }</h1>
            <p>{ t(l, "glossary-intro") }</p>
            { for glossary(l).iter().map(|s| html! {
                <section>
                    <h2>{ &s.title }</h2>
                    <dl>
                    { for s.terms.iter().map(|term| html! {
                        <>
                        <dt id={format!("term-{}", term.id)}>
                            <dfn>{ &term.name }</dfn>
                            if term.english_beside() {
                                <span class="english" lang="en">{ format!(" {}", term.english) }</span>
                            }
                        </dt>
                        <dd>{ &term.what }</dd>
                        </>
                    }) }
                    </dl>
                </section>
            }) }
        </article>
    }
}

/// The glossary of a language ready for finding its terms in a text: the terms, and every
/// form of their names (index into `terms`), longest first. Made once per language.
pub struct Index {
    terms: Vec<Term>,
    forms: Vec<(String, usize)>,
}

impl Index {
    fn of(lang: Lang) -> Index {
        let terms: Vec<Term> = glossary(lang)
            .iter()
            .flat_map(|s| s.terms.iter().cloned())
            .collect();
        let mut forms: Vec<(String, usize)> = terms
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.forms.iter().map(move |f| (f.clone(), i)))
            .filter(|(f, _)| !f.is_empty())
            .collect();
        forms.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        Index { terms, forms }
    }

    /// The index of `lang` (made the first time it is asked for).
    pub fn get(lang: Lang) -> std::rc::Rc<Index> {
        thread_local! {
            static INDEX: std::cell::RefCell<[Option<std::rc::Rc<Index>>; 2]> =
                const { std::cell::RefCell::new([None, None]) };
        }
        INDEX.with(|i| {
            std::rc::Rc::clone(
                i.borrow_mut()[lang as usize]
                    .get_or_insert_with(|| std::rc::Rc::new(Index::of(lang))),
            )
        })
    }

    /// Where each term first appears in `text`: (start, end, term index), read left to right,
    /// the longest form at each place ("shadow page tables" over "shadow"); a form written in
    /// Latin letters matches only whole words ("TLB" not inside "STLB").
    pub fn spans(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let mut used = vec![false; self.terms.len()];
        let mut found = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let rest = &text[at..];
            let hit = self.forms.iter().find(|(f, i)| {
                let end = at + f.len();
                !used[*i]
                    && rest.starts_with(f.as_str())
                    && (!f.is_ascii()
                        || (!word(text[..at].chars().last()) && !word(text[end..].chars().next())))
            });
            match hit {
                Some((f, i)) => {
                    used[*i] = true;
                    found.push((at, at + f.len(), *i));
                    at += f.len();
                }
                None => at += rest.chars().next().map_or(1, char::len_utf8),
            }
        }
        found
    }
}

/// `text` with the first use of each glossary term marked, its meaning on hover.
pub fn glossed(lang: Lang, text: &str) -> Html {
    let index = Index::get(lang);
    let colon = match lang {
        Lang::En => ": ",
        Lang::ZhTw => "：",
    };
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e, i) in index.spans(text) {
        let term = &index.terms[i];
        let hover = format!("{}{colon}{}", term.with_english(lang), term.what);
        out.push(html! { { &text[at..s] } });
        out.push(html! { <abbr class="term" title={hover}>{ &text[s..e] }</abbr> });
        at = e;
    }
    out.push(html! { { &text[at..] } });
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(lang: Lang, text: &str) -> Vec<String> {
        Index::get(lang)
            .spans(text)
            .into_iter()
            .map(|(s, e, _)| text[s..e].to_owned())
            .collect()
    }

    #[test]
    fn terms_are_found_where_the_narration_uses_them() {
        assert_eq!(
            marked(
                Lang::En,
                "A TLB miss: 24 page-table references (4 guest, 20 EPT)."
            ),
            ["TLB", "page-table", "EPT"]
        );
        // Whole words only: no "TLB" inside "STLB", and a term once.
        assert_eq!(
            marked(Lang::En, "the STLB and the TLB and the TLB"),
            ["STLB", "TLB"]
        );
        assert_eq!(
            marked(
                Lang::ZhTw,
                "1 次 VM exit（1 次影子分頁錯誤）：hypervisor 建了 4 個影子分頁"
            ),
            ["VM exit", "影子分頁", "hypervisor"]
        );
    }
}
