//! Every bundled lesson is in the post's language too: a missing zh-TW text fails here (and
//! `pagewalk check` warns about it).

use std::path::Path;

#[test]
fn every_bundled_scenario_has_its_zh_tw_texts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut missing = Vec::new();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("scenarios/") {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let sc = pagewalk_scenario::load(&p).expect("bundled scenarios are valid");
        n += 1;
        for lang in pagewalk_scenario::model::LANGUAGES {
            for (what, pos) in sc.missing_translations(lang) {
                missing.push(format!(
                    "{}:{}:{}: no {lang} `{what}`",
                    p.display(),
                    pos.line,
                    pos.col
                ));
            }
            // A translation is not the English copied.
            if let Some(t) = sc.translations.get(lang) {
                if t.lesson.as_deref() == Some(sc.lesson.as_str()) {
                    missing.push(format!(
                        "{}: the {lang} lesson is the English one",
                        p.display()
                    ));
                }
            }
        }
    }
    assert!(n >= 90, "only {n} scenarios");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn a_translation_is_read_and_falls_back_to_english() {
    let src = "schema = 1\nname = \"A\"\nlesson = \"L\"\nzh-TW.name = \"甲\"\n[[trace]]\nop = \"read\"\ngva = \"0x1000\"\nlabel = \"x\"\nzh-TW.label = \"乙\"\n";
    let sc = pagewalk_scenario::parse("t.toml", src).unwrap();
    assert_eq!(sc.name_in("zh-TW"), "甲");
    assert_eq!(sc.lesson_in("zh-TW"), "L", "no translation: the English");
    assert_eq!(
        sc.trace[0].labels.get("zh-TW").map(String::as_str),
        Some("乙")
    );
    let missing: Vec<_> = sc
        .missing_translations("zh-TW")
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(missing, ["lesson"]);
    // A misspelt key is an error with the place, as everywhere else.
    let bad = "schema = 1\nname = \"A\"\nlesson = \"L\"\nzh-TW.nmae = \"甲\"\n";
    let e = pagewalk_scenario::parse("t.toml", bad)
        .unwrap_err()
        .render();
    assert!(
        e.contains("t.toml:4:") && e.contains("did you mean `name`"),
        "{e}"
    );
}
