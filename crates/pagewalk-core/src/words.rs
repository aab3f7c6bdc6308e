//! The core's words: narration, event lines, faults, exits and counters' meanings are
//! messages of the catalogue in `pagewalk-text` (area "core", Fluent files in English and
//! Traditional Chinese), so the CLI (English) and the web app (either language) say the same
//! thing from one text. Numbers, addresses and register names are filled in as they are.

use pagewalk_text::FluentValue;
pub use pagewalk_text::Lang;

/// Message `id` of the catalogue in `lang` with `args`.
pub(crate) fn say(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    pagewalk_text::ta(lang, id, args)
}

/// A value as the catalogue's variables take it: a number (for plurals) or text.
pub(crate) fn num(n: impl Into<u64>) -> FluentValue<'static> {
    FluentValue::from(n.into())
}

/// Text for a variable: an address, a name, a sentence already said.
pub(crate) fn text(s: impl ToString) -> FluentValue<'static> {
    FluentValue::from(s.to_string())
}

/// `{:#x}` as text.
pub(crate) fn hex(v: u64) -> FluentValue<'static> {
    FluentValue::from(format!("{v:#x}"))
}
