//! Untrusted estates never panic the parser or the validator: random bytes,
//! and the example estate with random edits, always give an estate or
//! located diagnostics.

use proptest::prelude::*;
use smbguard_model::{EXAMPLE_ESTATE, parse_estate};

fn check(text: &str) {
    match parse_estate(text) {
        Ok(_) => {}
        Err(r) => {
            assert!(r.errors().count() > 0);
            for d in &r.diagnostics {
                if let Some(span) = &d.span {
                    assert!(
                        span.start <= text.len() && span.end <= text.len(),
                        "span out of bounds"
                    );
                    assert!(d.line.is_some() && d.column.is_some());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn arbitrary_text(text in ".{0,400}") {
        check(&text);
    }

    #[test]
    fn the_example_with_a_random_edit(pos in 0usize..EXAMPLE_ESTATE.len(), len in 0usize..40, insert in "[\\PC\\n\"\\[\\]=,./:-]{0,12}") {
        let mut t = EXAMPLE_ESTATE.to_string();
        let start = (0..=pos).rev().find(|i| t.is_char_boundary(*i)).unwrap_or(0);
        let mut end = (start + len).min(t.len());
        while !t.is_char_boundary(end) {
            end -= 1;
        }
        t.replace_range(start..end, &insert);
        check(&t);
    }

    #[test]
    fn random_address_strings(addr in "[0-9a-f:./ -]{0,40}") {
        let t = EXAMPLE_ESTATE.replace("\"198.18.1.20\"", &format!("{addr:?}"));
        check(&t);
    }
}
