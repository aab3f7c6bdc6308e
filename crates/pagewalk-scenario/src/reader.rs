//! Typed reading of a spanned TOML tree that collects every problem instead of stopping at
//! the first: each getter records a diagnostic and returns `None`, and [`Obj::finish`]
//! reports the keys nobody asked for (unknown keys are errors).

use crate::diag::{did_you_mean, Diagnostic, LineIndex, Pos};
use crate::units;
use std::cell::RefCell;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Collects diagnostics while reading one file.
pub struct Reader<'s> {
    index: LineIndex<'s>,
    diags: RefCell<Vec<Diagnostic>>,
}

impl<'s> Reader<'s> {
    /// A reader for `src`.
    pub fn new(src: &'s str) -> Self {
        Self {
            index: LineIndex::new(src),
            diags: RefCell::new(Vec::new()),
        }
    }

    /// Position of a span.
    pub fn pos(&self, span: &Range<usize>) -> Pos {
        self.index.span(span)
    }

    /// Records a problem.
    pub fn error(&self, span: &Range<usize>, message: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::new(self.pos(span), message);
        d.hint = hint;
        self.diags.borrow_mut().push(d);
    }

    /// Records a problem at a position.
    pub fn error_at(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    /// Whether any problem was recorded.
    pub fn failed(&self) -> bool {
        !self.diags.borrow().is_empty()
    }

    /// The problems, in file order.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        let mut d = self.diags.into_inner();
        d.sort_by_key(|d| d.pos);
        d.dedup();
        d
    }
}

/// A table being read: remembers which keys were used.
pub struct Obj<'r, 's, 't> {
    r: &'r Reader<'s>,
    table: &'t DeTable<'t>,
    span: Range<usize>,
    what: String,
    path: String,
    used: RefCell<Vec<String>>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// An integer literal's value (TOML integers may be negative or hex).
fn int_value(v: &DeValue<'_>) -> Option<i128> {
    match v {
        DeValue::Integer(i) => {
            let s = i.as_str();
            let (neg, digits) = match s.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            let digits: String = digits.chars().filter(|&c| c != '_').collect();
            let n = i128::from_str_radix(&digits, i.radix()).ok()?;
            Some(if neg { -n } else { n })
        }
        _ => None,
    }
}

impl<'r, 's, 't> Obj<'r, 's, 't> {
    /// Starts reading `table` (named `what` in messages).
    pub fn new(r: &'r Reader<'s>, table: &'t DeTable<'t>, span: Range<usize>, what: &str) -> Self {
        Self {
            r,
            table,
            span,
            what: what.to_owned(),
            path: String::new(),
            used: RefCell::new(Vec::new()),
        }
    }

    fn child(&self, table: &'t DeTable<'t>, span: Range<usize>, key: &str, what: String) -> Self {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        Self {
            r: self.r,
            table,
            span,
            what: what.replace("{}", &path),
            path,
            used: RefCell::new(Vec::new()),
        }
    }

    /// Where the table starts.
    pub fn pos(&self) -> Pos {
        self.r.pos(&self.span)
    }

    /// Where a key's value is, or where the table starts if the key is absent.
    pub fn key_pos(&self, key: &str) -> Pos {
        self.table
            .get(key)
            .map_or_else(|| self.pos(), |v| self.r.pos(&v.span()))
    }

    /// The reader.
    pub fn reader(&self) -> &'r Reader<'s> {
        self.r
    }

    /// The raw value of a key, marking it used.
    pub fn raw(&self, key: &str) -> Option<&'t Spanned<DeValue<'t>>> {
        self.used.borrow_mut().push(key.to_owned());
        self.table.get(key)
    }

    /// Whether the key is present (marks it used).
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    fn wrong(&self, key: &str, v: &Spanned<DeValue<'_>>, want: &str) {
        self.r.error(
            &v.span(),
            format!(
                "`{key}` in {} must be {want}, not {}",
                self.what,
                type_name(v.get_ref())
            ),
            None,
        );
    }

    /// A required key is missing.
    pub fn missing(&self, key: &str, hint: &str) {
        self.r.error(
            &self.span,
            format!("{} needs `{key}`", self.what),
            Some(hint.to_owned()),
        );
    }

    /// A string.
    pub fn str(&self, key: &str) -> Option<(&'t str, Range<usize>)> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.as_ref(), v.span())),
            _ => {
                self.wrong(key, v, "a string");
                None
            }
        }
    }

    /// A boolean.
    pub fn bool(&self, key: &str) -> Option<bool> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong(key, v, "true or false");
                None
            }
        }
    }

    /// An integer within `min..=max`.
    pub fn int(&self, key: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.raw(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(_) => int_value(v.get_ref()),
            DeValue::String(s) => units::parse_u64(s).ok().map(i128::from),
            _ => {
                self.wrong(key, v, "an integer");
                return None;
            }
        };
        match n {
            Some(n) if n >= i128::from(min) && n <= i128::from(max) => Some(n as u64),
            _ => {
                self.r.error(
                    &v.span(),
                    format!("`{key}` must be between {min} and {max}"),
                    None,
                );
                None
            }
        }
    }

    /// An address: a string like "0x7fff_0000_1000" or an integer.
    pub fn addr(&self, key: &str) -> Option<u64> {
        let v = self.raw(key)?;
        let r = match v.get_ref() {
            DeValue::String(s) => units::parse_u64(s),
            DeValue::Integer(_) => int_value(v.get_ref())
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| "an address cannot be negative".to_owned()),
            _ => {
                self.wrong(key, v, "an address string like \"0x7fff_0000_1000\"");
                return None;
            }
        };
        r.map_err(|e| {
            self.r.error(
                &v.span(),
                format!("`{key}`: {e}"),
                Some("write addresses as strings like \"0x7fff_0000_1000\"".into()),
            )
        })
        .ok()
    }

    /// A size: "4K", "2M", "28MiB", a plain number of bytes.
    pub fn size(&self, key: &str) -> Option<u64> {
        let v = self.raw(key)?;
        let r = match v.get_ref() {
            DeValue::String(s) => units::parse_size(s),
            DeValue::Integer(_) => int_value(v.get_ref())
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| "a size cannot be negative".to_owned()),
            _ => {
                self.wrong(key, v, "a size like \"2M\"");
                return None;
            }
        };
        r.map_err(|e| {
            self.r.error(
                &v.span(),
                format!("`{key}`: {e}"),
                Some(
                    "sizes are written like \"4K\", \"2M\", \"28MiB\" or a number of bytes".into(),
                ),
            )
        })
        .ok()
    }

    /// One of a fixed set of words.
    pub fn choice<T: Copy>(&self, key: &str, options: &[(&str, T)]) -> Option<T> {
        let (s, span) = self.str(key)?;
        if let Some((_, t)) = options.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            return Some(*t);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let hint = match did_you_mean(s, &names) {
            Some(m) => format!("did you mean \"{m}\"?"),
            None => format!("choose one of: {}", names.join(", ")),
        };
        self.r
            .error(&span, format!("`{key}` cannot be \"{s}\""), Some(hint));
        None
    }

    /// A sub-table.
    pub fn table(&self, key: &str) -> Option<Obj<'r, 's, 't>> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(self.child(t, v.span(), key, "[{}]".to_owned())),
            _ => {
                self.wrong(key, v, "a table");
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), or an empty list if absent.
    pub fn tables(&self, key: &str) -> Vec<Obj<'r, 's, 't>> {
        let Some(v) = self.raw(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item.get_ref() {
                    DeValue::Table(t) => {
                        Some(self.child(t, item.span(), key, format!("[[{{}}]] #{}", i + 1)))
                    }
                    _ => {
                        self.r.error(
                            &item.span(),
                            format!("each `{key}` entry must be a table"),
                            Some(format!("write entries as [[{key}]] sections")),
                        );
                        None
                    }
                })
                .collect(),
            _ => {
                self.wrong(key, v, "an array of tables ([[...]])");
                Vec::new()
            }
        }
    }

    /// Like [`Obj::tables`], but a single table (`[key]`, or `[[key.sub]]` alone) counts as
    /// a list of one.
    pub fn tables_or_one(&self, key: &str) -> Vec<Obj<'r, 's, 't>> {
        match self.table.get(key).map(|v| v.get_ref()) {
            Some(DeValue::Table(_)) => self.table(key).into_iter().collect(),
            _ => self.tables(key),
        }
    }

    /// Reports every key nobody read.
    pub fn finish(&self, known: &[&str]) {
        let used = self.used.borrow();
        for (k, v) in self.table.iter() {
            let name: &str = k.get_ref().as_ref();
            if used.iter().any(|u| u == name) {
                continue;
            }
            let hint = match did_you_mean(name, known) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("known keys here: {}", known.join(", ")),
            };
            let span = if k.span().is_empty() {
                v.span()
            } else {
                k.span()
            };
            self.r.error(
                &span,
                format!("unknown key `{name}` in {}", self.what),
                Some(hint),
            );
        }
    }
}
