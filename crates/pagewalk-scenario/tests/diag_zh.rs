//! Diagnostics in Traditional Chinese (issue 14): what a learner who edits a scenario in the
//! web app reads is Chinese but for what the file itself has (keys, values, numbers, quoted
//! or in backticks), and the English the CLI prints is what it always was.

use pagewalk_scenario::diag::{Arg, Text};
use pagewalk_scenario::{parse, Diagnostic};
use pagewalk_text::Lang;

const HEAD: &str = "schema = 1\nname = \"n\"\nlesson = \"l\"\n";

fn diagnostics(src: &str) -> Vec<Diagnostic> {
    match parse("t.toml", src) {
        Ok(_) => panic!("the file was accepted: {src}"),
        Err(d) => d.items,
    }
}

/// The words of English prose left in `text` once what the file has (quoted, in backticks,
/// a table's name in brackets) is taken out: letters only, with a lowercase one.
fn english_words(text: &str) -> Vec<String> {
    let mut rest = String::new();
    let mut close = None;
    for c in text.chars() {
        match close {
            Some(end) if c == end => close = None,
            Some(_) => {}
            None => match c {
                '`' => close = Some('`'),
                '"' => close = Some('"'),
                '[' => close = Some(']'),
                _ => rest.push(c),
            },
        }
    }
    rest.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| {
            w.len() > 1
                && w.chars().all(|c| c.is_ascii_alphabetic())
                && w.chars().any(|c| c.is_ascii_lowercase())
        })
        .map(str::to_owned)
        .collect()
}

/// What the file has, or the values it may have, given to a message as they are.
fn values(m: &Text, out: &mut Vec<String>) {
    fn arg(a: &Arg, out: &mut Vec<String>) {
        match a {
            Arg::Str(s) => out.extend(english_words(s)),
            Arg::Num(_) => {}
            Arg::Text(m) => values(m, out),
            Arg::List(items) => items.iter().for_each(|a| arg(a, out)),
        }
    }
    m.args.iter().for_each(|(_, a)| arg(a, out));
}

/// Each broken file, and the English of its first problem and hint, as the CLI prints them.
const CASES: &[(&str, &str, Option<&str>)] = &[
    (
        "[machine]\nguest_level = 5\n",
        "unknown key `guest_level` in [machine]",
        Some("did you mean `guest_levels`?"),
    ),
    (
        "[machine]\nmode = \"eptt\"\n",
        "`mode` cannot be \"eptt\"",
        Some("did you mean \"ept\"?"),
    ),
    (
        "[machine]\nmode = \"qqqqqqq\"\n",
        "`mode` cannot be \"qqqqqqq\"",
        Some("choose one of: native, ept, npt, shadow"),
    ),
    (
        "[machine]\nguest_levels = 6\n",
        "`guest_levels` must be between 4 and 5",
        None,
    ),
    (
        "[machine]\nmode = 3\n",
        "`mode` in [machine] must be a string, not an integer",
        None,
    ),
    (
        "[[space.map]]\ngva = \"0x1000\"\ngpa = \"0x2000\"\nsize = \"3 parsecs\"\n",
        "`size`: unknown size unit `PARSECS` in `3 parsecs`",
        Some("sizes are written like \"4K\", \"2M\", \"28MiB\" or a number of bytes"),
    ),
    (
        "[[space.map]]\ngva = \"0x1000\"\ngpa = \"0x2000\"\nflags = \"PRESENT | WRITEABLE\"\n",
        "`flags`: unknown flag `WRITEABLE`; did you mean `WRITABLE`?",
        None,
    ),
    (
        "[[trace]]\nop = \"raed\"\ngva = \"0x1000\"\n",
        "unknown op \"raed\"",
        Some("did you mean \"read\"?"),
    ),
    (
        "[[trace]]\nop = \"read\"\n",
        "[[trace]] #1 needs `gva`",
        Some("the linear address to access"),
    ),
];

#[test]
fn english_is_unchanged_and_chinese_has_no_english_prose() {
    for (body, message, hint) in CASES {
        let src = format!("{HEAD}{body}");
        let d = &diagnostics(&src)[0];
        assert_eq!(d.message, *message, "{src}");
        assert_eq!(d.hint.as_deref(), *hint, "{src}");
        assert_eq!(d.message_in(Lang::En), d.message);
        assert_eq!(d.hint_in(Lang::En), d.hint);
        check_chinese(d, &src);
    }
}

fn check_chinese(d: &Diagnostic, src: &str) {
    let zh = d.message_in(Lang::ZhTw);
    let hint = d.hint_in(Lang::ZhTw);
    assert_eq!(hint.is_some(), d.hint.is_some());
    let mut given = Vec::new();
    values(&d.what, &mut given);
    if let Some(h) = &d.todo {
        values(h, &mut given);
    }
    for text in std::iter::once(&zh).chain(hint.as_ref()) {
        let english: Vec<_> = english_words(text)
            .into_iter()
            .filter(|w| !given.contains(w))
            .collect();
        assert!(
            english.is_empty(),
            "English in {text:?} ({english:?}) for\n{src}"
        );
        assert!(
            text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "no Chinese in {text:?}"
        );
    }
    let shown = d.display_in(Lang::ZhTw);
    assert!(shown.starts_with(&format!("{}:{}: ", d.pos.line, d.pos.col)));
    println!("{shown}");
}

#[test]
fn missing_required_keys() {
    let d = diagnostics("[machine]\nmode = \"ept\"\n");
    let en: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        en,
        [
            "the file needs `schema`",
            "the file needs `name`",
            "the file needs `lesson`"
        ]
    );
    assert_eq!(
        d[0].hint.as_deref(),
        Some("start the file with `schema = 1`")
    );
    assert_eq!(d[0].message_in(Lang::ZhTw), "檔案缺少 `schema`");
    for x in &d {
        check_chinese(x, "missing keys");
    }
}

/// TOML syntax errors: the parser's words, in Chinese where the catalogue has them (all it
/// has); the English is the parser's own, byte for byte.
#[test]
fn toml_syntax_errors() {
    let broken = [
        "schema = 1\nname = \"n\nlesson = 3\n",
        "schema = 1\nname = \n",
        "schema = 1\nschema = 2\n",
        "[machine\nmode = \"ept\"\n",
        "x = [1, 2\n",
        "x = { a = 1\n",
        "x = 0x_1\n",
        "x = 01\n",
        "x = +0x1\n",
        "x = 'abc\n",
        "x = tru\n",
        "= 1\n",
        "a b = 1\n",
        "x = 1 2\n",
        "[[a]\n",
    ];
    for src in broken {
        let (_, errors) = toml::de::DeTable::parse_recoverable(src);
        let d = diagnostics(src);
        assert_eq!(d.len(), errors.len(), "{src}");
        for (d, e) in d.iter().zip(&errors) {
            assert_eq!(d.message, e.message().trim(), "{src}");
            assert_eq!(d.hint.as_deref(), Some("this is not valid TOML"));
            check_chinese(d, src);
        }
    }
}

/// What the app shows when a run stops: the position, the message and the hint, in Chinese.
#[test]
fn display_in_chinese() {
    let d = &diagnostics(&format!("{HEAD}[machine]\nmode = \"eptt\"\n"))[0];
    assert_eq!(
        d.to_string(),
        "5:8: `mode` cannot be \"eptt\" (hint: did you mean \"ept\"?)"
    );
    assert_eq!(
        d.display_in(Lang::ZhTw),
        "5:8: `mode` 不能是 \"eptt\"（提示：你可能是指 \"ept\"？）"
    );
}

/// The machine's own refusals (pagewalk_core::MachineError) are said in Chinese too: a page
/// mapped twice, a 1 GiB page that is not aligned.
#[test]
fn machine_refusals_in_chinese() {
    for body in [
        "[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_1000\"\n",
        "[machine]\nmode = \"ept\"\n[[host.map]]\ngpa = \"0x4000_0000\"\nhpa = \"0x1000_0000\"\n[[host.map]]\ngpa = \"0x4000_0000\"\nhpa = \"0x1000_1000\"\n",
    ] {
        let src = format!("{HEAD}{body}");
        let sc = parse("t.toml", &src).expect("the file parses");
        let Err(d) = pagewalk_scenario::lower::build(&sc) else {
            panic!("the machine accepted it: {src}");
        };
        assert!(d.message.contains("already mapped"), "{}", d.message);
        check_chinese(&d, &src);
        assert!(d.message_in(Lang::ZhTw).contains("已在第"), "{}", d.message_in(Lang::ZhTw));
    }
}
