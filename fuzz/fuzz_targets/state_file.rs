//! Fuzz target: the deploy state-file validators (the saved table rollback
//! restores, the pending marker confirm reads) must never panic; whatever
//! they accept is exactly what apply would have written, and an accepted
//! saved table stays inside `table inet smbguard`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smbguard_deploy::{Pending, Saved, only_smbguard, parse_saved, render_saved, replace_transaction};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(saved) = parse_saved(text) {
        assert_eq!(render_saved(&saved), text, "accepted only what apply writes");
        let restore = match &saved {
            Saved::Table(t) => replace_transaction(Some(t)),
            Saved::NoTable => replace_transaction(None),
        };
        assert!(only_smbguard(&restore).is_ok(), "{restore:?}");
    }
    if let Ok(p) = Pending::parse(text) {
        assert_eq!(Pending::parse(&p.render()), Ok(p));
    }
});
