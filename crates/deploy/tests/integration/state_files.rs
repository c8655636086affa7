//! The state-file validator without root: what rollback and confirm accept
//! is exactly what apply writes.

use smbguard_deploy::{Pending, Saved, StateFileRefusal, parse_saved, render_saved};

const TABLE: &str = "table inet smbguard {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 445 drop comment \"Block { all } SMB\"\n\t}\n}\n";

#[test]
fn what_apply_writes_reads_back() {
    for saved in [Saved::Table(TABLE.to_string()), Saved::NoTable] {
        assert_eq!(parse_saved(&render_saved(&saved)), Ok(saved));
    }
}

#[test]
fn defect_6_saved_state_other_than_smbguards_table_is_refused() {
    let honest = render_saved(&Saved::Table(TABLE.to_string()));
    assert_eq!(parse_saved(""), Err(StateFileRefusal::Empty));
    assert!(matches!(
        parse_saved("flush ruleset\n"),
        Err(StateFileRefusal::Header(_))
    ));
    assert!(matches!(
        parse_saved(&honest.replace("445", "446")),
        Err(StateFileRefusal::Checksum { .. })
    ));
    // Right header and checksum, wrong content: a foreign table, a flush,
    // two blocks, an unclosed block, and `none` with content.
    for body in [
        "flush ruleset\n",
        "table inet other {\n}\n",
        "table inet smbguard {\n}\ntable inet smbguard {\n}\n",
        "table inet smbguard {\n}\nflush ruleset\n",
        "table inet smbguard {\n",
        "include \"/etc/nftables.conf\"\n",
    ] {
        let file = render_saved(&Saved::Table(body.to_string()));
        assert!(
            matches!(parse_saved(&file), Err(StateFileRefusal::NotOurTable(_))),
            "{body:?}: {:?}",
            parse_saved(&file)
        );
    }
    let none_with_body = render_saved(&Saved::NoTable) + "flush ruleset\n";
    assert!(parse_saved(&none_with_body).is_err());
}

#[test]
fn defect_12_garbage_pending_marker_is_refused() {
    let ok = "token=1a2b-3c4d\ndeadline=1700000000\nwatchdog=4242\n";
    assert_eq!(
        Pending::parse(ok),
        Ok(Pending {
            token: "1a2b-3c4d".into(),
            deadline: 1_700_000_000,
            watchdog: Some(4242),
        })
    );
    for bad in [
        "",
        "garbage\n",
        "token=\ndeadline=1\n",
        "token=ab\n",
        "token=ab\ndeadline=soon\n",
        "token=ab\ndeadline=1\nwatchdog=1\n",
        "token=ab\ndeadline=1\ntoken=cd\n",
        "token=ab cd\ndeadline=1\n",
        "token=ab\ndeadline=1\nextra=1\n",
    ] {
        assert!(Pending::parse(bad).is_err(), "{bad:?}");
    }
}
