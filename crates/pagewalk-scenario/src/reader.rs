//! Typed reading of a spanned TOML tree that collects every problem instead of stopping at
//! the first: each getter records a diagnostic and returns `None`, and [`Obj::finish`]
//! reports the keys nobody asked for (unknown keys are errors).

use crate::diag::{did_you_mean, msg, Arg, Diagnostic, LineIndex, Pos, Text};
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
    pub fn error(&self, span: &Range<usize>, message: Text, hint: Option<Text>) {
        let d = Diagnostic::new(self.pos(span), message).maybe_hint(hint);
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
    what: Arg,
    path: String,
    used: RefCell<Vec<String>>,
}

fn type_name(v: &DeValue<'_>) -> Text {
    Text::new(match v {
        DeValue::String(_) => "diag-type-string",
        DeValue::Integer(_) => "diag-type-integer",
        DeValue::Float(_) => "diag-type-float",
        DeValue::Boolean(_) => "diag-type-boolean",
        DeValue::Datetime(_) => "diag-type-date",
        DeValue::Array(_) => "diag-type-array",
        DeValue::Table(_) => "diag-type-table",
    })
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
    pub fn new(r: &'r Reader<'s>, table: &'t DeTable<'t>, span: Range<usize>, what: Text) -> Self {
        Self {
            r,
            table,
            span,
            what: what.into(),
            path: String::new(),
            used: RefCell::new(Vec::new()),
        }
    }

    /// A sub-table: `[path]`, or entry `n` (from 1) of `[[path]]`.
    fn child(
        &self,
        table: &'t DeTable<'t>,
        span: Range<usize>,
        key: &str,
        n: Option<usize>,
    ) -> Self {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        let what = match n {
            None => msg!("diag-what-table", table = path.as_str()),
            Some(n) => msg!("diag-what-entry", table = path.as_str(), n = n as u64),
        };
        Self {
            r: self.r,
            table,
            span,
            what: what.into(),
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

    fn wrong(&self, key: &str, v: &Spanned<DeValue<'_>>, want: &'static str) {
        self.r.error(
            &v.span(),
            msg!(
                "diag-wrong-type",
                key = key,
                what = self.what.clone(),
                want = Text::new(want),
                got = type_name(v.get_ref()),
            ),
            None,
        );
    }

    /// A required key is missing; `hint` says what it is.
    pub fn missing(&self, key: &str, hint: Text) {
        self.r.error(
            &self.span,
            msg!("diag-missing", what = self.what.clone(), key = key),
            Some(hint),
        );
    }

    /// A string.
    pub fn str(&self, key: &str) -> Option<(&'t str, Range<usize>)> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.as_ref(), v.span())),
            _ => {
                self.wrong(key, v, "diag-type-string");
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
                self.wrong(key, v, "diag-want-bool");
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
                self.wrong(key, v, "diag-type-integer");
                return None;
            }
        };
        match n {
            Some(n) if n >= i128::from(min) && n <= i128::from(max) => Some(n as u64),
            _ => {
                self.r.error(
                    &v.span(),
                    msg!("diag-int-range", key = key, min = min, max = max),
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
            DeValue::String(s) => units::read_u64(s),
            DeValue::Integer(_) => int_value(v.get_ref())
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| Text::new("diag-address-negative")),
            _ => {
                self.wrong(key, v, "diag-want-address");
                return None;
            }
        };
        r.map_err(|e| {
            self.r.error(
                &v.span(),
                msg!("diag-key-problem", key = key, problem = e),
                Some(Text::new("diag-hint-address")),
            )
        })
        .ok()
    }

    /// A size: "4K", "2M", "28MiB", a plain number of bytes.
    pub fn size(&self, key: &str) -> Option<u64> {
        let v = self.raw(key)?;
        let r = match v.get_ref() {
            DeValue::String(s) => units::read_size(s),
            DeValue::Integer(_) => int_value(v.get_ref())
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| Text::new("diag-size-negative")),
            _ => {
                self.wrong(key, v, "diag-want-size");
                return None;
            }
        };
        r.map_err(|e| {
            self.r.error(
                &v.span(),
                msg!("diag-key-problem", key = key, problem = e),
                Some(Text::new("diag-hint-size")),
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
            Some(m) => msg!("diag-did-you-mean-value", value = m),
            None => msg!("diag-choose-one", options = Arg::list(&names)),
        };
        self.r.error(
            &span,
            msg!("diag-cannot-be", key = key, value = s),
            Some(hint),
        );
        None
    }

    /// A sub-table.
    pub fn table(&self, key: &str) -> Option<Obj<'r, 's, 't>> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(self.child(t, v.span(), key, None)),
            _ => {
                self.wrong(key, v, "diag-type-table");
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
                    DeValue::Table(t) => Some(self.child(t, item.span(), key, Some(i + 1))),
                    _ => {
                        self.r.error(
                            &item.span(),
                            msg!("diag-entry-not-table", key = key),
                            Some(msg!("diag-hint-entries", key = key)),
                        );
                        None
                    }
                })
                .collect(),
            _ => {
                self.wrong(key, v, "diag-want-tables");
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
                Some(m) => msg!("diag-did-you-mean-key", key = m),
                None => msg!("diag-known-keys", keys = Arg::list(known)),
            };
            let span = if k.span().is_empty() {
                v.span()
            } else {
                k.span()
            };
            self.r.error(
                &span,
                msg!("diag-unknown-key", key = name, what = self.what.clone()),
                Some(hint),
            );
        }
    }
}
