//! Invalid files: every problem is reported at once, each at its line and column.

use pagewalk_scenario::parse;

fn problems(src: &str) -> Vec<(u32, u32, String)> {
    match parse("t.toml", src) {
        Ok(_) => panic!("the file was accepted"),
        Err(d) => d
            .items
            .iter()
            .map(|i| (i.pos.line, i.pos.col, i.message.clone()))
            .collect(),
    }
}

const HEAD: &str = "schema = 1\nname = \"n\"\nlesson = \"l\"\n";

#[test]
fn syntax_error_has_its_position() {
    let p = problems("schema = 1\nname = \"n\nlesson = 3\n");
    assert_eq!(p[0].0, 2, "{p:?}");
}

#[test]
fn missing_required_keys() {
    let p = problems("[machine]\nmode = \"ept\"\n");
    let msgs: Vec<_> = p.iter().map(|x| x.2.as_str()).collect();
    assert!(msgs.contains(&"the file needs `schema`"), "{msgs:?}");
    assert!(msgs.contains(&"the file needs `name`"), "{msgs:?}");
    assert!(msgs.contains(&"the file needs `lesson`"), "{msgs:?}");
}

#[test]
fn every_problem_at_once_in_file_order() {
    let src = format!(
        "{HEAD}[machine]\nmode = \"eptt\"\nguest_levels = 6\nwobble = 1\n\n[[space.map]]\ngva = \"0x1001\"\ngpa = \"zz\"\n\n[[trace]]\nop = \"raed\"\n"
    );
    let p = problems(&src);
    assert_eq!(
        p.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(),
        vec![(5, 8), (6, 16), (7, 1), (10, 7), (11, 7), (14, 6)],
        "{p:#?}"
    );
    assert!(p[0].2.contains("`mode` cannot be \"eptt\""));
    assert!(p[1].2.contains("between 4 and 5"));
    assert!(p[2].2.contains("unknown key `wobble`"));
    assert!(p[3].2.contains("not aligned"));
    assert!(p[4].2.contains("`gpa`"));
    assert!(p[5].2.contains("unknown op \"raed\""));
}

#[test]
fn hints_suggest_the_likely_word() {
    let src = format!("{HEAD}[machine]\nguest_level = 5\n");
    let err = parse("t.toml", &src).unwrap_err();
    assert_eq!(
        err.items[0].hint.as_deref(),
        Some("did you mean `guest_levels`?")
    );
    assert!(err
        .render()
        .starts_with("t.toml:5:1: unknown key `guest_level` in [machine]"));
}

#[test]
fn wrong_types() {
    let src = format!("{HEAD}[machine]\nvpid = \"yes\"\npwc = 3\n");
    let p = problems(&src);
    assert!(
        p[0].2
            .contains("`vpid` in [machine] must be true or false, not a string"),
        "{p:?}"
    );
    assert!(
        p[1].2.contains("`pwc` in [machine] must be a table"),
        "{p:?}"
    );
}

#[test]
fn references_to_spaces_and_steps() {
    let src = format!(
        "{HEAD}[[space]]\nname = \"A\"\n\n[[trace]]\nop = \"cr3\"\nspace = \"B\"\n\n[[expect]]\ncounter = \"tlb_hitz\"\nequals = 1\nafter = 9\n"
    );
    let p = problems(&src);
    assert!(
        p.iter()
            .any(|x| x.2.contains("no address space named \"B\"")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.2.contains("there is no counter \"tlb_hitz\"")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.2.contains("`after` must be between 1 and 1")),
        "{p:?}"
    );
}

#[test]
fn limits_are_errors_not_exhaustion() {
    let src = format!(
        "{HEAD}[[trace]]\nop = \"strided\"\nstart = \"0x1000\"\nstride = \"4K\"\ncount = 200000000\nrepeat = 200000000\n"
    );
    let p = problems(&src);
    assert!(
        p.iter().any(|x| x.2.contains("actions; the limit is")),
        "{p:?}"
    );
    let src = format!(
        "{HEAD}[machine]\nguest_ram = \"64G\"\n[[space.map]]\ngva = \"0x0\"\ngpa = \"0x0\"\nsize = \"32G\"\npage = \"4K\"\n"
    );
    let p = problems(&src);
    assert!(
        p.iter().any(|x| x.2.contains("pages; the limit is")),
        "{p:?}"
    );
}

#[test]
fn non_canonical_and_out_of_ram() {
    let src = format!(
        "{HEAD}[[space.map]]\ngva = \"0x0000_8000_0000_0000\"\ngpa = \"0x1_0000_0000_0000\"\n"
    );
    let p = problems(&src);
    assert!(
        p.iter().any(|x| x.2.contains("not canonical for 4-level")),
        "{p:?}"
    );
    assert!(p.iter().any(|x| x.2.contains("beyond guest RAM")), "{p:?}");
}

#[test]
fn build_errors_point_at_the_mapping() {
    let src = format!(
        "{HEAD}[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\n\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_1000\"\n"
    );
    let s = parse("t.toml", &src).expect("valid on its own");
    let err = pagewalk_scenario::run("t.toml", s).unwrap_err();
    assert_eq!(err.items[0].pos.line, 8);
    assert!(err.items[0].message.contains("already mapped"), "{err}");
}

#[test]
fn the_frame_limit_is_a_clear_error() {
    let src = format!(
        "{HEAD}[machine]\nmax_frames = 16\n[[space.map]]\ngva = \"0x0\"\ngpa = \"0x0\"\nsize = \"64M\"\n"
    );
    let s = parse("t.toml", &src).unwrap();
    let err = pagewalk_scenario::run("t.toml", s).unwrap_err();
    assert!(err.render().contains("more than 16 frames"), "{err}");
    assert!(
        err.render().contains("hint: raise `machine.max_frames`"),
        "{err}"
    );
}
