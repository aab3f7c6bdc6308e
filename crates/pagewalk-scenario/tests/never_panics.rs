//! Nothing a file says can make the loader or the runner panic.

use pagewalk_scenario::{parse, run};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let src = String::from_utf8_lossy(&bytes);
        let _ = parse("fuzz.toml", &src);
    }

    #[test]
    fn arbitrary_toml_shaped_text(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("schema = 1".to_owned()),
                Just("name = \"x\"".to_owned()),
                Just("lesson = \"y\"".to_owned()),
                Just("[machine]".to_owned()),
                Just("[[space.map]]".to_owned()),
                Just("[[trace]]".to_owned()),
                Just("[[expect]]".to_owned()),
                Just("[host]".to_owned()),
                "[a-z_]{1,12} = \"[0-9a-zA-Z_ |]{0,12}\"",
                "[a-z_]{1,12} = -?[0-9]{1,20}",
                "[a-z_]{1,12} = (true|false)",
            ],
            0..30,
        ),
    ) {
        let src = lines.join("\n");
        if let Ok(s) = parse("fuzz.toml", &src) {
            let _ = run("fuzz.toml", s);
        }
    }
}

fn mode() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("native"), Just("ept"), Just("npt"), Just("shadow")]
}

fn page() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("4K"), Just("2M"), Just("1G")]
}

fn op() -> impl Strategy<Value = String> {
    let addr = prop_oneof![
        Just("0x7f00_0000_0000".to_owned()),
        Just("0x7f00_0020_1000".to_owned()),
        Just("0xffff_8000_0000_0000".to_owned()),
        Just("0x0000_8000_0000_0000".to_owned()),
        any::<u64>().prop_map(|v| format!("{v:#x}")),
    ];
    (0usize..12, addr, 0u64..6, 1u64..40).prop_map(|(k, a, n, c)| match k {
        0 => format!("op = \"read\"\ngva = \"{a}\""),
        1 => format!("op = \"write\"\ngva = \"{a}\"\nuser = false"),
        2 => format!("op = \"fetch\"\ngva = \"{a}\""),
        3 => format!("op = \"strided\"\nstart = \"{a}\"\nstride = \"4K\"\ncount = {c}"),
        4 => format!("op = \"random\"\nstart = \"{a}\"\nspan = \"8M\"\ncount = {c}\nseed = {n}"),
        5 => format!("op = \"vm_exit\"\ncount = {c}"),
        6 => format!("op = \"invlpg\"\ngva = \"{a}\""),
        7 => format!("op = \"invpcid\"\ntype = {}", n % 4),
        8 => format!(
            "op = \"pte_write\"\ngva = \"{a}\"\nlevel = {}\nclear = \"PRESENT\"",
            n % 5 + 1
        ),
        9 => "op = \"cr3\"\nspace = \"main\"".to_owned(),
        10 => format!("op = \"invept\"\ntype = {}", n % 2 + 1),
        _ => format!("op = \"working_set\"\nstart = \"{a}\"\npages = {c}\nrounds = 2"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Structurally valid scenarios (any mode, page sizes, edits and ops): parse and run
    /// without a panic, whatever the machine makes of them.
    #[test]
    fn structurally_valid_scenarios_run(
        mode in mode(),
        levels in 4u8..6,
        gpage in page(),
        backing in prop_oneof![Just("4K"), Just("thp"), Just("hugetlb-2M"), Just("hugetlb-1G")],
        pwc in any::<bool>(),
        vpid in any::<bool>(),
        unsync in any::<bool>(),
        edit_level in 1u8..6,
        ops in proptest::collection::vec(op(), 0..12),
    ) {
        let mut src = format!(
            "schema = 1\nname = \"p\"\nlesson = \"p\"\n[machine]\nmode = \"{mode}\"\nguest_levels = {levels}\npwc = {pwc}\nvpid = {vpid}\nunsync = {unsync}\n[host]\nbacking = \"{backing}\"\n[[space]]\nname = \"main\"\n[[space.map]]\ngva = \"0x7f00_0000_0000\"\ngpa = \"0x4000_0000\"\npage = \"{gpage}\"\n[[space.edit]]\ngva = \"0x7f00_0000_0000\"\nlevel = {edit_level}\nset = \"0x100\"\n"
        );
        for o in &ops {
            src.push_str("[[trace]]\n");
            src.push_str(o);
            src.push('\n');
        }
        match parse("p.toml", &src) {
            Ok(s) => { let _ = run("p.toml", s); }
            Err(d) => {
                // Only problems the generator can legitimately make.
                for i in &d.items {
                    prop_assert!(i.pos.line >= 1 && i.pos.col >= 1);
                }
            }
        }
    }
}
