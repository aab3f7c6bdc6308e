//! Reading pages of the app: markdown from `docs/` (the same text as the repository's docs),
//! rendered with `pulldown-cmark`. Links between pages stay in the app, links to docs it does
//! not carry and to repository paths become plain text, and a bundled scenario's file name in
//! code (`ept-24-references.toml`) becomes a link that opens it.

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// A page: its slug (in `#page=SLUG`), its title, its markdown.
#[derive(PartialEq, Eq)]
pub struct Page {
    /// The name in the URL.
    pub slug: &'static str,
    /// The title in the gallery.
    pub title: &'static str,
    /// The text.
    pub markdown: &'static str,
    /// Listed in the gallery; the others are reached by the links of listed pages (the topic
    /// pages the post's claims cite as evidence).
    pub listed: bool,
}

/// Every page.
pub const PAGES: [Page; 11] = [
    Page {
        slug: "post-claims",
        title: "What the post says, and what holds today",
        markdown: include_str!("../../docs/post-claims.md"),
        listed: true,
    },
    Page {
        slug: "addresses",
        title: "Four address spaces: GVA, GPA, HVA, HPA",
        markdown: include_str!("../../docs/addresses.md"),
        listed: false,
    },
    Page {
        slug: "page-walks",
        title: "Page walks and the TLB",
        markdown: include_str!("../../docs/page-walks.md"),
        listed: false,
    },
    Page {
        slug: "nested-paging",
        title: "Nested paging: EPT and NPT",
        markdown: include_str!("../../docs/nested-paging.md"),
        listed: false,
    },
    Page {
        slug: "shadow-paging",
        title: "Shadow page tables",
        markdown: include_str!("../../docs/shadow-paging.md"),
        listed: false,
    },
    Page {
        slug: "shadow-vs-ept",
        title: "Shadow paging or EPT: what each costs",
        markdown: include_str!("../../docs/shadow-vs-ept.md"),
        listed: false,
    },
    Page {
        slug: "vpid",
        title: "The TLB and VPID",
        markdown: include_str!("../../docs/vpid.md"),
        listed: false,
    },
    Page {
        slug: "huge-pages",
        title: "Huge pages",
        markdown: include_str!("../../docs/huge-pages.md"),
        listed: false,
    },
    Page {
        slug: "host-support",
        title: "Does this host have EPT and VPID?",
        markdown: include_str!("../../docs/host-support.md"),
        listed: false,
    },
    Page {
        slug: "ram-for-vms",
        title: "How much RAM can VMs have?",
        markdown: include_str!("../../docs/ram-for-vms.md"),
        listed: false,
    },
    Page {
        slug: "overcommit",
        title: "Memory overcommit",
        markdown: include_str!("../../docs/overcommit.md"),
        listed: false,
    },
];

impl Page {
    /// Its title in `lang` (message `page-SLUG`).
    pub fn title_in(&self, lang: crate::i18n::Lang) -> String {
        crate::i18n::t(lang, &format!("page-{}", self.slug))
    }
}

/// The page of a slug.
pub fn page(slug: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.slug == slug)
}

/// The bundled scenario a code span names, if any: `name.toml`, `scenarios/name.toml`, or a
/// lesson's name alone (`workload-under-ept`).
fn scenario_of(code: &str, bundled: &dyn Fn(&str) -> bool) -> Option<String> {
    let path = code.trim_start_matches("scenarios/");
    let stem = path.strip_suffix(".toml").unwrap_or(path);
    (stem.contains('-') && bundled(stem)).then(|| stem.to_owned())
}

/// Text with the lessons it names by file (`vpid-off.toml`, as the notes of a lesson write
/// them in prose) made into links to them.
fn link_files<'a>(text: CowStr<'a>, bundled: &dyn Fn(&str) -> bool, title: &str) -> Vec<Event<'a>> {
    let name_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(at) = rest.find(".toml") {
        let start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| name_char(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let stem = &rest[start..at];
        let end = at + ".toml".len();
        if stem.is_empty() || !bundled(stem) {
            out.push(Event::Text(CowStr::from(rest[..end].to_owned())));
        } else {
            if start > 0 {
                out.push(Event::Text(CowStr::from(rest[..start].to_owned())));
            }
            out.push(Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url: CowStr::from(format!("#scenario={stem}&step=0")),
                title: CowStr::from(title.to_owned()),
                id: CowStr::from(""),
            }));
            out.push(Event::Text(CowStr::from(rest[start..end].to_owned())));
            out.push(Event::End(TagEnd::Link));
        }
        rest = &rest[end..];
    }
    if out.is_empty() {
        return vec![Event::Text(text)];
    }
    if !rest.is_empty() {
        out.push(Event::Text(CowStr::from(rest.to_owned())));
    }
    out
}

/// Renders a page's markdown to HTML; `bundled` says whether a scenario name exists. The links
/// it makes to lessons say so in English; [`render_in`] says it in another language.
pub fn render(markdown: &str, bundled: &dyn Fn(&str) -> bool) -> String {
    render_in(crate::i18n::Lang::En, markdown, bundled)
}

/// [`render`], with the hover text of the links it makes to lessons in `lang`.
pub fn render_in(
    lang: crate::i18n::Lang,
    markdown: &str,
    bundled: &dyn Fn(&str) -> bool,
) -> String {
    let open_lesson = crate::i18n::t(lang, "reading-open-lesson");
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    let mut skip_link_end = 0usize;
    // Inside a link kept as a link: its text is not linked again.
    let mut in_link = 0usize;
    let events: Vec<Event> = Parser::new_ext(markdown, opts)
        .flat_map(|e| -> Vec<Event> {
            match e {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let dest = dest_url.to_string();
                    if let Some(slug) = dest.strip_suffix(".md").filter(|s| page(s).is_some()) {
                        in_link += 1;
                        vec![Event::Start(Tag::Link {
                            link_type,
                            dest_url: CowStr::from(format!("#page={slug}")),
                            title,
                            id,
                        })]
                    } else if dest.ends_with(".md")
                        || dest.contains(".md#")
                        || dest.starts_with('#')
                        // Only web links stay links: scenario notes are text anyone can put
                        // in a link (no `javascript:` or other schemes), and a path into the
                        // repository (`../crates/...`) is not served by the app.
                        || !(dest.starts_with("https://") || dest.starts_with("http://"))
                    {
                        // Other docs, and anchors (the URL fragment is the app's route).
                        skip_link_end += 1;
                        vec![]
                    } else {
                        in_link += 1;
                        vec![Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        })]
                    }
                }
                Event::End(TagEnd::Link) if skip_link_end > 0 => {
                    skip_link_end -= 1;
                    vec![]
                }
                Event::End(TagEnd::Link) => {
                    in_link = in_link.saturating_sub(1);
                    vec![Event::End(TagEnd::Link)]
                }
                Event::Code(code) => match scenario_of(&code, bundled) {
                    Some(stem) => vec![
                        Event::Start(Tag::Link {
                            link_type: LinkType::Inline,
                            dest_url: CowStr::from(format!("#scenario={stem}&step=0")),
                            title: CowStr::from(open_lesson.clone()),
                            id: CowStr::from(""),
                        }),
                        Event::Code(code),
                        Event::End(TagEnd::Link),
                    ],
                    None => vec![Event::Code(code)],
                },
                // Outside a link, a lesson named by its file is a link to it.
                Event::Text(t) if skip_link_end == 0 && in_link == 0 => {
                    link_files(t, bundled, &open_lesson)
                }
                // The app shows text it ships, but never raw HTML from a file.
                Event::Html(h) | Event::InlineHtml(h) => vec![Event::Text(h)],
                other => vec![other],
            }
        })
        .collect();
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes of an edited scenario come from a link anyone can make: no script gets through.
    #[test]
    fn every_page_has_its_title_in_both_languages() {
        use crate::i18n::Lang;
        for p in PAGES {
            assert_eq!(p.title_in(Lang::En), p.title, "{}", p.slug);
            assert_ne!(p.title_in(Lang::ZhTw), p.title, "{}", p.slug);
        }
        let html = render_in(Lang::ZhTw, "`vpid-on.toml`", &|s| s == "vpid-on");
        assert!(html.contains("title=\"開啟這一課\""), "{html}");
        assert!(render("`vpid-on.toml`", &|s| s == "vpid-on").contains("open this lesson"));
    }

    #[test]
    fn script_links_and_raw_html_become_text() {
        let html = render(
            "[click](javascript:alert(1)) <script>alert(2)</script> <img src=x onerror=alert(3)> [ok](https://www.kernel.org/)",
            &|_| false,
        );
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("href=\"https://www.kernel.org/\""), "{html}");
    }

    #[test]
    fn lessons_named_in_prose_become_links() {
        let b = |s: &str| s == "vpid-off" || s == "workload-under-ept";
        let html = render(
            "Compare with vpid-off.toml, see `workload-under-ept`; not-a-lesson.toml stays text, and [a link to vpid-off.toml](https://example.org/) is not linked twice.",
            &b,
        );
        assert!(html.contains("<a href=\"#scenario=vpid-off&amp;step=0\" title=\"open this lesson\">vpid-off.toml</a>"), "{html}");
        assert!(
            html.contains("href=\"#scenario=workload-under-ept&amp;step=0\""),
            "{html}"
        );
        assert!(html.contains("not-a-lesson.toml stays text"), "{html}");
        assert_eq!(html.matches("#scenario=vpid-off").count(), 1, "{html}");
        assert!(html.contains("Compare with "), "{html}");
    }

    #[test]
    fn scenario_names_become_links_and_doc_links_become_text() {
        let html = render(
            "See `ept-24-references.toml` and [the glossary](glossary.md), and [this](post-claims.md), [below](#x).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            &|s| s == "ept-24-references",
        );
        assert!(
            html.contains("href=\"#scenario=ept-24-references&amp;step=0\""),
            "{html}"
        );
        assert!(
            html.contains("the glossary") && !html.contains("glossary.md"),
            "{html}"
        );
        assert!(html.contains("href=\"#page=post-claims\""), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(!render("<script>x</script>", &|_| false).contains("<script>"));
    }

    #[test]
    fn every_page_renders_and_names_bundled_scenarios_that_exist() {
        for p in PAGES {
            let html = render(p.markdown, &|s| crate::state::bundled(s).is_some());
            assert!(html.len() > 1000, "{}", p.slug);
            if p.listed {
                assert!(html.contains("#scenario="), "{} links no lesson", p.slug);
            }
            // Every link leads somewhere the app can show: a page, a lesson, or the web.
            for href in html.split("href=\"").skip(1) {
                let href = &href[..href.find('"').unwrap_or(0)];
                let ok = href.starts_with("#page=")
                    || href.starts_with("#scenario=")
                    || href.starts_with("https://")
                    || href.starts_with("http://");
                assert!(ok, "{}: a link to {href} the app cannot open", p.slug);
                if let Some(slug) = href.strip_prefix("#page=") {
                    assert!(page(slug).is_some(), "{}: no page {slug}", p.slug);
                }
            }
        }
        // The evidence the post's claims cite is reachable from them.
        let claims = render(PAGES[0].markdown, &|s| crate::state::bundled(s).is_some());
        for slug in [
            "huge-pages",
            "overcommit",
            "ram-for-vms",
            "vpid",
            "host-support",
        ] {
            assert!(
                claims.contains(&format!("#page={slug}")),
                "post-claims does not link {slug}"
            );
        }
    }
}
