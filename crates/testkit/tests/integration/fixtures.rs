//! The repository carries its own fixtures: every file under `fixtures/` is
//! listed in `fixtures/MANIFEST.md` with its SHA-256 (and every listed file
//! exists and matches), and no code under `crates/` reaches outside the
//! repository for one (the paths into a `shared/fixtures` folder beside the
//! clone that made a bare clone fail eight traffic CLI tests).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use smbguard_testkit::{fixtures_dir, repo_root};

/// SHA-256 (FIPS 180-4), here so the check needs no dependency.
fn sha256(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// Every regular file under `dir`, as paths relative to `base`.
fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            walk(&path, base, out);
        } else {
            out.push(path.strip_prefix(base).expect("inside").to_path_buf());
        }
    }
}

/// `file -> sha256` from the manifest's table rows (`| `file` | `sha` | ...`).
fn manifest() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(fixtures_dir().join("MANIFEST.md")).expect("MANIFEST.md");
    text.lines()
        .filter_map(|l| {
            let mut cells = l.split('|').map(str::trim).skip(1);
            let file = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let sha = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((file.to_owned(), sha.to_owned()))
        })
        .collect()
}

#[test]
fn sha256_is_right() {
    assert_eq!(
        sha256(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256(&[b'a'; 1000]),
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
}

#[test]
fn every_fixture_is_in_the_manifest_with_its_sha256() {
    let listed = manifest();
    assert!(listed.len() >= 20, "manifest rows: {}", listed.len());
    let mut files = Vec::new();
    walk(&fixtures_dir(), &fixtures_dir(), &mut files);
    let mut seen = 0;
    for rel in files {
        let name = rel.to_str().expect("UTF-8 fixture path").to_owned();
        let base = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "MANIFEST.md" || base.starts_with("LICENSE-") {
            continue;
        }
        let want = listed
            .get(&name)
            .unwrap_or_else(|| panic!("fixtures/{name} is not in fixtures/MANIFEST.md"));
        let got = sha256(&std::fs::read(fixtures_dir().join(&rel)).expect("read fixture"));
        assert_eq!(
            &got, want,
            "fixtures/{name}: sha256 differs from MANIFEST.md"
        );
        seen += 1;
    }
    assert_eq!(
        seen,
        listed.len(),
        "MANIFEST.md lists files that do not exist"
    );
}

/// Whether `rel` (a `../`-relative path written in `file`) stays inside the
/// repository when resolved from the file's directory.
fn stays_inside(file: &Path, rel: &str) -> bool {
    let mut depth = file.parent().map_or(0, |p| p.components().count()) as i64;
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// Offending lines of one file (path relative to the repository root).
fn outside_references(rel: &Path, text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let escapes = line.find("../../../").is_some_and(|at| {
            // `include_str!("../../../examples/x")` from crates/model/src/ is
            // resolved from the file and stays inside, and so is a module's
            // `#[path = "…"]` (a test binary sharing another crate's test
            // helpers); anything else (paths joined to CARGO_MANIFEST_DIR)
            // leaves the repository.
            let include = line.contains("include_str!(")
                || line.contains("include_bytes!(")
                || line.trim_start().starts_with("#[path = \"");
            let path: String = line[at..].chars().take_while(|&c| c != '"').collect();
            !(include && stays_inside(rel, &path))
        });
        if escapes || line.contains("shared/fixtures") {
            bad.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
        }
    }
    bad
}

#[test]
fn nothing_under_crates_reads_outside_the_repository() {
    let root = repo_root();
    let mut files = Vec::new();
    walk(&root.join("crates"), &root, &mut files);
    let mut bad = Vec::new();
    for rel in files {
        if rel.components().any(|c| c.as_os_str() == "target") {
            continue;
        }
        // This file spells the patterns it looks for.
        if rel.ends_with("testkit/tests/integration/fixtures.rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            continue; // binary files (snapshots are text)
        };
        bad.extend(outside_references(&rel, &text));
    }
    assert!(
        bad.is_empty(),
        "references outside the repository:\n{}",
        bad.join("\n")
    );
}

/// The folder beside a checkout that the tests once read.
const BESIDE: &str = "shared";

/// The check itself: a test reading the folder beside the repository is
/// caught, the model's in-repository `include_str!` is not.
#[test]
fn the_outside_reference_check_can_fail() {
    let caught = outside_references(
        Path::new("crates/traffic/tests/common/mod.rs"),
        // Spelled in pieces so that a plain search of the tree for paths
        // into that folder finds none here.
        &format!(
            "Path::new(env!(\"CARGO_MANIFEST_DIR\")).join(\"../../../{BESIDE}/fixtures/pcaps\")"
        ),
    );
    assert_eq!(caught.len(), 1);
    let fine = outside_references(
        Path::new("crates/model/src/lib.rs"),
        "include_str!(\"../../../examples/contoso.toml\");",
    );
    assert!(fine.is_empty(), "{fine:?}");
    let escaping_include = outside_references(
        Path::new("crates/model/tests/x.rs"),
        &format!("include_str!(\"../../../../{BESIDE}/x\");"),
    );
    assert_eq!(escaping_include.len(), 1);
    let module = "crates/smbguard/tests/integration/main.rs";
    let shared = outside_references(
        Path::new(module),
        "#[path = \"../../../audit/tests/integration/audit_support.rs\"]",
    );
    assert!(shared.is_empty(), "{shared:?}");
    let escaping_module = outside_references(
        Path::new(module),
        &format!("#[path = \"../../../../../{BESIDE}/helpers.rs\"]"),
    );
    assert_eq!(escaping_module.len(), 1);
}
