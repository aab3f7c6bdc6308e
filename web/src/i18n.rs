//! The app's words: the catalogue of `pagewalk-text` (Fluent files in
//! `crates/pagewalk-text/i18n/`, shared with the core's narration). Views ask for a message by
//! id; addresses, register and instruction names, counter keys and numbers are not messages.

pub use pagewalk_text::{t, ta, Lang};

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn every_message_the_code_asks_for_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for d in [dir.clone(), dir.join("components")] {
            for e in std::fs::read_dir(d).expect("sources") {
                files.push(e.expect("entry").path());
            }
        }
        files.retain(|f| f.extension().is_some_and(|e| e == "rs") && !f.ends_with("i18n.rs"));
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
                    && !pagewalk_text::has(&id)
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
        for page in crate::pages::PAGES.iter().filter(|p| p.listed) {
            assert!(
                pagewalk_text::has(&format!("page-{}", page.slug)),
                "{}",
                page.slug
            );
        }
        for (topic, _) in crate::state::PATH {
            let id = crate::state::topic_message(topic);
            assert!(pagewalk_text::has(id), "no message for the topic {topic}");
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
}
