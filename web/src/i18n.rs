//! The app's words in English and in Traditional Chinese as written in Taiwan: one message
//! catalogue per language (Project Fluent, `web/i18n/*.ftl`, read with `fluent-bundle`, which
//! handles plurals and number forms), compiled into the app. Views ask for a message by id;
//! addresses, register and instruction names, counter keys and numbers are not messages.
//!
//! Why Fluent: its files are plain text a translator can edit without touching Rust, a
//! message can vary with plural categories (`start-more`) and carry variables, and the same
//! ids serve every language, so a missing translation is a test failure, not a blank.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

/// A language of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Traditional Chinese, Taiwan.
    ZhTw,
}

impl Lang {
    /// Every language, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhTw];

    /// Its BCP 47 tag (`<html lang>`, `#lang=`, scenario files' `zh-TW.*` keys).
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhTw => "zh-TW",
        }
    }

    /// The language of a tag, if the app has it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// The first of the browser's languages the app has (`navigator.languages`): any Chinese
    /// in traditional script or of Taiwan, Hong Kong or Macau reads zh-TW; English otherwise.
    pub fn from_browser(langs: &[String]) -> Lang {
        for l in langs {
            let l = l.to_ascii_lowercase();
            if l.starts_with("zh")
                && ["hant", "tw", "hk", "mo"]
                    .iter()
                    .any(|t| l.split(['-', '_']).any(|p| p == *t))
            {
                return Lang::ZhTw;
            }
            if l.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The scenario files' language key (`None` for English, their own).
    pub const fn scenario_key(self) -> Option<&'static str> {
        match self {
            Lang::En => None,
            Lang::ZhTw => Some("zh-TW"),
        }
    }
}

const EN: &str = include_str!("../i18n/en.ftl");
const ZH_TW: &str = include_str!("../i18n/zh-TW.ftl");

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let (tag, src) = match lang {
        Lang::En => ("en", EN),
        Lang::ZhTw => ("zh-TW", ZH_TW),
    };
    let id: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut b = FluentBundle::new(vec![id]);
    // No Unicode isolation marks around variables: the text is read as it is.
    b.set_use_isolating(false);
    // A catalogue that does not parse is caught by the tests; what parses is used.
    let res = FluentResource::try_new(src.to_owned()).unwrap_or_else(|(r, _)| r);
    let _ = b.add_resource(res);
    b
}

thread_local! {
    static BUNDLES: [FluentBundle<FluentResource>; 2] = [bundle(Lang::En), bundle(Lang::ZhTw)];
}

/// Message `id` in `lang`, with `args`; the English one if that language lacks it (a test
/// makes sure none does), and the id itself if neither has it.
pub fn ta(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let fargs = (!args.is_empty()).then(|| {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        a
    });
    BUNDLES.with(|b| {
        for bundle in [&b[lang as usize], &b[Lang::En as usize]] {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, fargs.as_ref(), &mut errors)
                    .into_owned();
            }
        }
        id.to_owned()
    })
}

/// Message `id` in `lang`.
pub fn t(lang: Lang, id: &str) -> String {
    ta(lang, id, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    /// Message ids and the variables each uses.
    fn messages(src: &str) -> BTreeMap<String, BTreeSet<String>> {
        let res = fluent_syntax::parser::parse(src).expect("the catalogue parses");
        let mut out = BTreeMap::new();
        for entry in res.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    collect(p, &mut vars);
                }
                out.insert(m.id.name.to_owned(), vars);
            }
        }
        out
    }

    fn collect(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
        for el in &p.elements {
            if let ast::PatternElement::Placeable { expression } = el {
                expr(expression, vars);
            }
        }
    }

    fn expr(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
                vars.insert(id.name.to_owned());
            }
            ast::Expression::Select { selector, variants } => {
                if let ast::InlineExpression::VariableReference { id } = selector {
                    vars.insert(id.name.to_owned());
                }
                for v in variants {
                    collect(&v.value, vars);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_message_is_in_both_languages_with_the_same_variables() {
        let en = messages(EN);
        let zh = messages(ZH_TW);
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(only_en.is_empty(), "no zh-TW translation: {only_en:?}");
        assert!(
            only_zh.is_empty(),
            "zh-TW messages English lacks: {only_zh:?}"
        );
        for (id, vars) in &en {
            assert_eq!(Some(vars), zh.get(id), "variables of {id}");
        }
        assert!(en.len() >= 80, "only {} messages", en.len());
    }

    #[test]
    fn every_message_the_code_asks_for_exists() {
        let en = messages(EN);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut files = vec![
            dir.join("app.rs"),
            dir.join("state.rs"),
            dir.join("reducer.rs"),
        ];
        for e in std::fs::read_dir(dir.join("components")).expect("components") {
            files.push(e.expect("entry").path());
        }
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap_or_default();
            // `t(lang, "id")` and `ta(lang, "id", ...)`, however the language is named.
            for (i, _) in src.match_indices("t(") {
                let rest = &src[i + 2..];
                let Some(q) = rest.find('"') else { continue };
                let head = &rest[..q];
                if !(head.ends_with(", ") && head.len() < 20 && !head.contains('(')) {
                    continue;
                }
                let id: String = rest[q + 1..].chars().take_while(|c| *c != '"').collect();
                if id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                    && !id.is_empty()
                    && !en.contains_key(&id)
                {
                    missing.push(format!("{}: {id}", f.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "asked for but not in the catalogue: {missing:?}"
        );
    }

    #[test]
    fn every_listed_page_and_path_topic_has_its_message() {
        let en = messages(EN);
        for page in crate::pages::PAGES.iter().filter(|p| p.listed) {
            assert!(
                en.contains_key(&format!("page-{}", page.slug)),
                "{}",
                page.slug
            );
        }
        for (topic, _) in crate::state::PATH {
            let id = crate::state::topic_message(topic);
            assert!(en.contains_key(id), "no message for the topic {topic}");
            assert_eq!(t(Lang::En, id), *topic, "the English message is the topic");
        }
    }

    #[test]
    fn every_counter_shown_has_its_name() {
        for k in pagewalk_core::COUNTER_KEYS {
            let id = format!("counter-{k}");
            assert_eq!(t(Lang::En, &id), k.replace('_', " "), "{id}");
            assert_ne!(t(Lang::ZhTw, &id), id, "{id}");
        }
    }

    #[test]
    fn plurals_and_variables_are_filled_in() {
        // Fluent trims a message's leading blanks: the view puts the space before it.
        assert_eq!(
            ta(Lang::En, "start-more", &[("count", 1.into())]),
            "and 1 more"
        );
        assert_eq!(
            ta(Lang::En, "start-more", &[("count", 3.into())]),
            "and 3 more"
        );
        assert_eq!(
            ta(
                Lang::ZhTw,
                "ctl-position",
                &[("step", 2.into()), ("total", 9.into())]
            ),
            "第 2 步，共 9 步"
        );
        assert_eq!(t(Lang::ZhTw, "no-such-message"), "no-such-message");
    }

    #[test]
    fn the_browser_language_decides_the_first_time() {
        let l =
            |v: &[&str]| Lang::from_browser(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&["zh-TW", "en"]), Lang::ZhTw);
        assert_eq!(l(&["zh-Hant-TW"]), Lang::ZhTw);
        assert_eq!(l(&["zh-HK"]), Lang::ZhTw);
        assert_eq!(l(&["en-US", "zh-TW"]), Lang::En);
        assert_eq!(
            l(&["zh-CN"]),
            Lang::En,
            "simplified Chinese is not this translation"
        );
        assert_eq!(l(&[]), Lang::En);
        assert_eq!(Lang::from_tag("zh-tw"), Some(Lang::ZhTw));
    }
}
