//! Diagnostics: every problem of a file, each at its line and column, with a hint.

use pagewalk_text::Lang;
use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// A position in a file: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub col: u32,
}

/// What a diagnostic says, in any language pagewalk speaks: a message of the catalogue
/// (area `diag`; its English is in `i18n/en/diag.ftl` alone) and its variables.
pub use pagewalk_text::{Arg, Text};

/// `msg!("id", name = value, ...)`: a [`Text`] with its variables.
macro_rules! msg {
    ($id:literal $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::diag::Text::new($id)$(.arg(stringify!($k), $v))*
    };
}
pub(crate) use msg;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Where.
    pub pos: Pos,
    /// What is wrong (lowercase, no trailing period), in English.
    pub message: String,
    /// What to do about it, in English.
    pub hint: Option<String>,
    /// What is wrong, as a message of the catalogue.
    #[serde(skip)]
    pub what: Box<Text>,
    /// What to do about it, as a message of the catalogue.
    #[serde(skip)]
    pub todo: Option<Box<Text>>,
}

impl Diagnostic {
    /// A problem at `pos`.
    pub fn new(pos: Pos, what: Text) -> Self {
        Self {
            pos,
            message: printable(&what.say(Lang::En)),
            hint: None,
            what: Box::new(what),
            todo: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: Text) -> Self {
        self.hint = Some(printable(&hint.say(Lang::En)));
        self.todo = Some(Box::new(hint));
        self
    }

    /// Adds a hint, if there is one.
    pub fn maybe_hint(self, hint: Option<Text>) -> Self {
        match hint {
            Some(h) => self.hint(h),
            None => self,
        }
    }

    /// What is wrong, in `lang`.
    pub fn message_in(&self, lang: Lang) -> String {
        printable(&self.what.say(lang))
    }

    /// What to do about it, in `lang`.
    pub fn hint_in(&self, lang: Lang) -> Option<String> {
        self.todo.as_ref().map(|h| printable(&h.say(lang)))
    }

    /// `line:column: message (hint: ...)` in `lang` (what [`fmt::Display`] writes in
    /// English).
    pub fn display_in(&self, lang: Lang) -> String {
        let message = self.message_in(lang);
        let text = match self.hint_in(lang) {
            Some(hint) => pagewalk_text::ta(
                lang,
                "diag-with-hint",
                &[("message", message.into()), ("hint", hint.into())],
            ),
            None => message,
        };
        format!("{}:{}: {text}", self.pos.line, self.pos.col)
    }

    /// `file:line:column: message`, and the hint on a second line.
    pub fn render(&self, file: &str) -> String {
        let mut s = format!(
            "{}:{}:{}: {}",
            printable(file),
            self.pos.line,
            self.pos.col,
            self.message
        );
        if let Some(h) = &self.hint {
            s.push_str("\n  ");
            s.push_str(&pagewalk_text::ta(
                Lang::En,
                "diag-hint",
                &[("hint", h.clone().into())],
            ));
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_in(Lang::En))
    }
}

/// Text from a file (or a file name) made safe to print on one terminal line: control
/// characters (which could clear or recolour a terminal, or split a message over lines) and
/// the Unicode bidirectional overrides (which could make text read backwards) are written as
/// `\u{..}` escapes; everything else, Chinese included, is kept.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// All the problems of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.render())]
pub struct Diagnostics {
    /// The file name as given.
    pub file: String,
    /// The problems, in file order.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Every problem rendered as `file:line:column: message` lines.
    pub fn render(&self) -> String {
        self.items
            .iter()
            .map(|d| d.render(&self.file))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Turns byte offsets into line and column.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `src`.
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self { src, starts }
    }

    /// The position of a byte offset (clamped to the text).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |t| t.chars().count());
        Pos {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// The position of the start of a span.
    pub fn span(&self, span: &Range<usize>) -> Pos {
        self.pos(span.start)
    }
}

/// The closest of `options` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| (edit_distance(word, o), *o))
        .filter(|(d, o)| *d <= 2.max(o.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let idx = LineIndex::new("ab\ncdé\nf");
        assert_eq!(idx.pos(0), Pos { line: 1, col: 1 });
        assert_eq!(idx.pos(3), Pos { line: 2, col: 1 });
        assert_eq!(idx.pos(8), Pos { line: 3, col: 1 });
        assert_eq!(idx.pos(7), Pos { line: 2, col: 4 });
        assert_eq!(idx.pos(99), Pos { line: 3, col: 2 });
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("guest_level", &["guest_levels", "mode"]),
            Some("guest_levels")
        );
        assert_eq!(did_you_mean("zzz", &["guest_levels", "mode"]), None);
    }
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_words_kept() {
        let d = Diagnostic::new(
            Pos { line: 1, col: 2 },
            msg!("diag-cannot-be", key = "k", value = "\x1b[2Jx\ny\u{202e}"),
        )
        .hint(msg!("diag-machine-error", error = "影子頁表\x07"));
        let r = d.render("a\x1b.toml");
        assert_eq!(
            r,
            "a\\u{1b}.toml:1:2: `k` cannot be \"\\u{1b}[2Jx\\ny\\u{202e}\"\n  hint: 影子頁表\\u{7}"
        );
        assert!(!r.contains('\x1b'));
        assert_eq!(r.lines().count(), 2);
    }
}
