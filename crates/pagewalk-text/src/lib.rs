//! pagewalk's words in English and in Traditional Chinese as written in Taiwan: one message
//! catalogue per language (Project Fluent, `i18n/<lang>/*.ftl`, read with `fluent-bundle`,
//! which handles plurals and number forms), compiled in. The core narrates from it, the web
//! app's views ask it for their words, the CLI speaks its English. Addresses, register and
//! instruction names, counter keys and numbers are not messages.
//!
//! Why Fluent: its files are plain text a translator can edit without touching Rust, a
//! message can vary with plural categories and carry variables, and the same ids serve every
//! language, so a missing translation is a test failure, not a blank.

pub use fluent_bundle::FluentValue;
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};

/// A language pagewalk speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Traditional Chinese, Taiwan.
    ZhTw,
}

impl Lang {
    /// Every language, in the order a switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhTw];

    /// Its BCP 47 tag (`<html lang>`, `#lang=`, scenario files' `zh-TW.*` keys).
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhTw => "zh-TW",
        }
    }

    /// The language of a tag, if pagewalk has it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// The first of the browser's languages pagewalk has (`navigator.languages`): any Chinese
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

macro_rules! areas {
    ($($area:literal),* $(,)?) => {
        /// The catalogue's files: (area, English, Traditional Chinese). An area is one part of
        /// pagewalk (the app's frame, the core's narration, the glossary, a page).
        pub const CATALOGUE: &[(&str, &str, &str)] = &[$((
            $area,
            include_str!(concat!("../i18n/en/", $area, ".ftl")),
            include_str!(concat!("../i18n/zh-TW/", $area, ".ftl")),
        )),*];
    };
}

areas![
    "app", "core", "scenario", "kvm", "glossary", "host", "practice", "compare", "panels", "diag"
];

/// `Display` for types that say themselves with a `text()` method returning a [`Text`]: what
/// they print is that message in English (the CLI's language; the app asks `text()` and says
/// it in the learner's).
#[macro_export]
macro_rules! display_in_english {
    ($($t:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.text(), f)
            }
        }
    )+};
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut b = FluentBundle::new(vec![id]);
    // No Unicode isolation marks around variables: the text is read as it is.
    b.set_use_isolating(false);
    for (_, en, zh) in CATALOGUE {
        let src = match lang {
            Lang::En => en,
            Lang::ZhTw => zh,
        };
        // A file that does not parse, or an id defined twice, is caught by the tests; what
        // parses is used.
        let res = FluentResource::try_new((*src).to_owned()).unwrap_or_else(|(r, _)| r);
        b.add_resource_overriding(res);
    }
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

/// Whether the catalogue has message `id` (in English, and so, by the tests, in every language).
pub fn has(id: &str) -> bool {
    BUNDLES.with(|b| b[Lang::En as usize].has_message(id))
}

/// A variable of a [`Text`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Arg {
    /// A number (plurals choose by it).
    Num(u64),
    /// Text said as it is in every language: an address, a name, a value the user wrote.
    Str(String),
    /// Another message, said in the same language.
    Text(Box<Text>),
    /// Items joined as a list is written in the language ("a, b"; "a、b").
    List(Vec<Arg>),
}

impl Arg {
    /// Words as a list, each said as it is.
    pub fn list<S: AsRef<str>>(items: &[S]) -> Arg {
        Arg::List(items.iter().map(|s| Arg::from(s.as_ref())).collect())
    }

    /// The variable as the catalogue takes it, in `lang`.
    fn value(&self, lang: Lang) -> FluentValue<'static> {
        match self {
            // Fluent keeps numbers as f64: above 2^53 a number is given as its digits.
            Arg::Num(n) if *n <= 1 << 53 => FluentValue::from(*n),
            other => FluentValue::from(other.text(lang)),
        }
    }

    fn text(&self, lang: Lang) -> String {
        match self {
            Arg::Num(n) => n.to_string(),
            Arg::Str(s) => s.clone(),
            Arg::Text(t) => t.say(lang),
            Arg::List(items) => {
                let items: Vec<String> = items.iter().map(|a| a.text(lang)).collect();
                list(lang, &items)
            }
        }
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Arg::Num(n)
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}

impl From<Text> for Arg {
    fn from(t: Text) -> Self {
        Arg::Text(Box::new(t))
    }
}

/// A message kept to be said later, in whatever language the reader has: its id and its
/// variables. Its `Display` is the English one (the CLI's); the web app says it in the
/// learner's language, also when it came from the local server as JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    /// The message id.
    pub id: std::borrow::Cow<'static, str>,
    /// Its variables.
    #[serde(default)]
    pub args: Vec<(std::borrow::Cow<'static, str>, Arg)>,
}

impl Text {
    /// Message `id` with no variables yet.
    pub fn new(id: &'static str) -> Self {
        Self {
            id: id.into(),
            args: Vec::new(),
        }
    }

    /// The message with variable `name` set to `value`.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// The message in `lang`.
    pub fn say(&self, lang: Lang) -> String {
        let args: Vec<(&str, FluentValue<'_>)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_ref(), v.value(lang)))
            .collect();
        ta(lang, &self.id, &args)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.say(Lang::En))
    }
}

/// Items joined as a list is written in `lang`: "a, b" in English, "a、b" in Chinese.
pub fn list(lang: Lang, items: &[String]) -> String {
    items.join(match lang {
        Lang::En => ", ",
        Lang::ZhTw => "、",
    })
}

/// Clauses joined as one sentence lists them: "a; b" in English, "a；b" in Chinese.
pub fn clauses(lang: Lang, items: &[String]) -> String {
    items.join(match lang {
        Lang::En => "; ",
        Lang::ZhTw => "；",
    })
}

/// Sentences joined as a paragraph is written in `lang` (Chinese needs no space after "。").
pub fn paragraph(lang: Lang, sentences: &[String]) -> String {
    sentences.join(match lang {
        Lang::En => " ",
        Lang::ZhTw => "",
    })
}

/// Message `id`'s attribute `attr` in `lang` (English if that language lacks it), if any.
pub fn attribute(lang: Lang, id: &str, attr: &str) -> Option<String> {
    BUNDLES.with(|b| {
        for bundle in [&b[lang as usize], &b[Lang::En as usize]] {
            if let Some(pattern) = bundle
                .get_message(id)
                .and_then(|m| m.get_attribute(attr))
                .map(|a| a.value())
            {
                let mut errors = Vec::new();
                return Some(
                    bundle
                        .format_pattern(pattern, None, &mut errors)
                        .into_owned(),
                );
            }
        }
        None
    })
}

/// One term of the glossary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Its id (`gloss-<id>` in the catalogue).
    pub id: String,
    /// Its name in the language asked for.
    pub name: String,
    /// Its name as the SDM, the APM and KVM write it (the English entry's name).
    pub english: String,
    /// What it means.
    pub what: String,
    /// The forms of its name the text may use, for hovers (its name first).
    pub forms: Vec<String>,
}

impl Term {
    /// Whether to show the English name beside the name: not when the name already has every
    /// word of it ("TLB（轉譯後備緩衝區）", "分頁框號（GFN、PFN）", or the English entry itself).
    pub fn english_beside(&self) -> bool {
        !self
            .english
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .all(|w| self.name.contains(w))
    }

    /// The name, with the English name beside it where [`Term::english_beside`] says so (in
    /// the parentheses of `lang`, and without its own parenthesis: 分頁錯誤（#PF）（page fault）).
    pub fn with_english(&self, lang: Lang) -> String {
        if !self.english_beside() {
            return self.name.clone();
        }
        let english = self.english.split(" (").next().unwrap_or(&self.english);
        match lang {
            Lang::En => format!("{} ({english})", self.name),
            Lang::ZhTw => format!("{}（{english}）", self.name),
        }
    }
}

/// A section of the glossary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its title in the language asked for.
    pub title: String,
    /// The page of the docs that tells its story (`addresses.md`).
    pub doc: String,
    /// Its terms, in the catalogue's order.
    pub terms: Vec<Term>,
}

thread_local! {
    static GLOSSARY: std::cell::RefCell<[Option<std::rc::Rc<Vec<Section>>>; 2]> =
        const { std::cell::RefCell::new([None, None]) };
}

/// The glossary in `lang`: sections and terms in the order of the English file (read once
/// per language; the hovers ask for it at every step).
pub fn glossary(lang: Lang) -> std::rc::Rc<Vec<Section>> {
    GLOSSARY.with(|g| {
        std::rc::Rc::clone(
            g.borrow_mut()[lang as usize]
                .get_or_insert_with(|| std::rc::Rc::new(read_glossary(lang))),
        )
    })
}

fn read_glossary(lang: Lang) -> Vec<Section> {
    let en = CATALOGUE
        .iter()
        .find(|(area, _, _)| *area == "glossary")
        .map_or("", |(_, en, _)| en);
    let res = fluent_syntax::parser::parse(en).unwrap_or_else(|(r, _)| r);
    let mut out: Vec<Section> = Vec::new();
    for entry in res.body {
        let fluent_syntax::ast::Entry::Message(m) = entry else {
            continue;
        };
        let id = m.id.name;
        if id.starts_with("gloss-section-") {
            out.push(Section {
                title: t(lang, id),
                doc: attribute(Lang::En, id, "doc").unwrap_or_default(),
                terms: Vec::new(),
            });
        } else if let (Some(term), Some(section)) = (id.strip_prefix("gloss-"), out.last_mut()) {
            let name = t(lang, id);
            let mut forms = vec![name.clone()];
            for f in attribute(lang, id, "also").unwrap_or_default().split(", ") {
                if !f.is_empty() && !forms.iter().any(|x| x == f) {
                    forms.push(f.to_owned());
                }
            }
            section.terms.push(Term {
                id: term.to_owned(),
                name,
                english: t(Lang::En, id),
                what: attribute(lang, id, "what").unwrap_or_default(),
                forms,
            });
        }
    }
    out
}

/// docs/glossary.md: the glossary in both languages, English first, each term with its
/// Traditional Chinese name and meaning under it. Generated here so the doc, the app's
/// glossary page and its hovers say the same (a test compares the file with this).
pub fn glossary_markdown() -> String {
    let mut md = String::from(
        "# Glossary · 術語表\n\n<!-- Generated from crates/pagewalk-text/i18n/*/glossary.ftl by \
         `pagewalk glossary --markdown`; edit those files, not this one. -->\n\n\
         Every term pagewalk uses, as the Intel SDM, the AMD APM and KVM name it, with the \
         Traditional Chinese (Taiwan) term the app and the lessons use. The app shows the same \
         words when you hover a term.\n",
    );
    let zh = glossary(Lang::ZhTw);
    for (s, z) in glossary(Lang::En).iter().zip(zh.iter()) {
        md.push_str(&format!(
            "\n## {} · {} ([{}]({}))\n\n",
            s.title, z.title, s.doc, s.doc
        ));
        for (term, zt) in s.terms.iter().zip(&z.terms) {
            md.push_str(&format!(
                "- **{}** · **{}**: {}\n  {}\n",
                term.name, zt.name, term.what, zt.what
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::{BTreeMap, BTreeSet};

    /// Message ids and the variables each uses, over every file of one language.
    fn messages(zh: bool) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for (area, en, zh_src) in CATALOGUE {
            let src = if zh { zh_src } else { en };
            let res = fluent_syntax::parser::parse(*src)
                .unwrap_or_else(|(_, e)| panic!("{area} ({}) does not parse: {e:?}", zh));
            for entry in res.body {
                if let ast::Entry::Message(m) = entry {
                    let mut vars = BTreeSet::new();
                    if let Some(p) = &m.value {
                        collect(p, &mut vars);
                    }
                    let id = m.id.name.to_owned();
                    // `.also` lists the forms of a term each language's text uses: its own.
                    for a in m.attributes.iter().filter(|a| a.id.name != "also") {
                        let mut vars = BTreeSet::new();
                        collect(&a.value, &mut vars);
                        out.insert(format!("{id}.{}", a.id.name), vars);
                    }
                    assert!(
                        out.insert(id.clone(), vars).is_none(),
                        "{id} is defined twice (the second in {area})"
                    );
                }
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

    /// The ids of every message, for callers' tests that check the ids their code asks for.
    #[test]
    fn every_message_is_in_both_languages_with_the_same_variables() {
        let en = messages(false);
        let zh = messages(true);
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
        for id in en.keys().filter(|k| !k.contains('.')) {
            assert!(has(id), "{id}");
        }
    }

    /// A zh-TW message that is the English one was not translated (numbers, names and terms
    /// kept on purpose are short; a sentence is not).
    #[test]
    fn no_sentence_is_left_in_english() {
        let mut same = Vec::new();
        for id in messages(false).keys().filter(|k| !k.contains('.')) {
            let (en, zh) = (t(Lang::En, id), t(Lang::ZhTw, id));
            // Words of English prose: letters with a lowercase one (not GPA, CR3, 0x1000).
            let words = en
                .split_whitespace()
                .filter(|w| {
                    w.chars().all(|c| c.is_ascii_alphabetic())
                        && w.chars().any(|c| c.is_ascii_lowercase())
                })
                .count();
            if en == zh && words > 3 {
                same.push(id.clone());
            }
        }
        assert!(same.is_empty(), "the same in both languages: {same:?}");
    }

    #[test]
    fn the_glossary_is_whole_in_both_languages() {
        let en = glossary(Lang::En);
        let zh = glossary(Lang::ZhTw);
        let terms: usize = en.iter().map(|s| s.terms.len()).sum();
        assert!(
            en.len() >= 4 && terms >= 40,
            "{} sections, {terms} terms",
            en.len()
        );
        for (s, z) in en.iter().zip(zh.iter()) {
            assert_ne!(s.title, z.title);
            for (a, b) in s.terms.iter().zip(&z.terms) {
                assert!(!a.what.is_empty() && !b.what.is_empty(), "{}", a.id);
                assert_ne!(a.what, b.what, "{} is not translated", a.id);
                assert_eq!(a.english, b.english);
                assert_eq!(b.forms[0], b.name);
            }
        }
    }

    /// docs/glossary.md is the catalogue's glossary: regenerate it with
    /// `cargo run -p pagewalk-cli -- glossary --markdown > docs/glossary.md`.
    #[test]
    fn docs_glossary_is_generated_from_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/glossary.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            doc == glossary_markdown(),
            "docs/glossary.md is stale: run `cargo run -p pagewalk-cli -- glossary --markdown > docs/glossary.md`"
        );
    }

    #[test]
    fn plurals_and_variables_are_filled_in() {
        // Fluent trims a message's leading blanks: the caller puts the space before it.
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
        assert!(!has("no-such-message"));
    }

    #[test]
    fn a_text_is_said_in_either_language_and_travels_as_json() {
        let t = Text::new("ctl-position")
            .arg("step", 2u64)
            .arg("total", 9u64);
        assert_eq!(t.say(Lang::ZhTw), "第 2 步，共 9 步");
        let back: Text = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.to_string(), t.say(Lang::En));
        let nested = Text::new("kvm-at-step")
            .arg("line", 3u64)
            .arg("column", 1u64)
            .arg("why", Text::new("kvm-set-ac"));
        assert_eq!(
            nested.say(Lang::ZhTw),
            "第 3 行第 1 欄的 trace 項目：改變 RFLAGS.AC 需要 CPL 0"
        );
        let back: Text = serde_json::from_str(&serde_json::to_string(&nested).unwrap()).unwrap();
        assert_eq!(back, nested);
        assert!(Text::new("kvm-ksm-needs-mergeable")
            .to_string()
            .contains("`[host] mergeable = { gpa = ..., size = ... }`"));
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
