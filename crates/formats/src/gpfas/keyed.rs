//! The subkeys of a set key (`<SetId>` below a sets key, `<SuiteIndex>`
//! below a set), kept as `(key name, value)` pairs in order of appearance
//! and looked up as Windows compares key names: "Key names are not case
//! sensitive" ([Structure of the Registry](https://learn.microsoft.com/en-us/windows/win32/sysinfo/structure-of-the-registry)).

/// The value under `key` (ASCII case-insensitive), if present.
pub(crate) fn get<'a, T>(list: &'a [(String, T)], key: &str) -> Option<&'a T> {
    list.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The value under `key` (ASCII case-insensitive); a default one is
/// appended, under `key` as spelt here, when there is none yet.
pub(crate) fn get_or_insert<'a, T: Default>(
    list: &'a mut Vec<(String, T)>,
    key: &str,
) -> &'a mut T {
    let pos = match list.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)) {
        Some(pos) => pos,
        None => {
            list.push((key.to_owned(), T::default()));
            list.len() - 1
        }
    };
    &mut list[pos].1
}
