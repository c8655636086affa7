//! An Ansible playbook that deploys smbguard's Linux artefacts.
//!
//! One play per Linux group, on the inventory group named after it with the
//! prefix `smbguard_` (see [`inventory_group`]), so a group named `all`,
//! `ungrouped` or `localhost` can never select every host. Each
//! play copies the group's nftables file to `/etc/nftables.d/smbguard.nft`
//! (validated with `nft -c -f` before it replaces the old one), makes sure
//! `/etc/nftables.conf` includes it (one `lineinfile` line), loads it only
//! when it changed, and for Samba servers merges the `[global]` hardening
//! between smbguard's markers (`blockinfile`, validated with `testparm`),
//! restarting smbd only on change. Running it twice changes nothing.
//!
//! The artefacts it deploys travel with it, under `files/`, so the target
//! is self-contained.

use std::collections::HashMap;
use std::fmt::Write as _;

use smbguard_model::{Platform, Profile};

use crate::artifact::{EmitContext, EmitError, Sink};
use crate::linux::{nftables, samba};
use crate::naming::{fnv1a, group_stems};
use crate::non_windows::{artifact, clean, comment_header};
use crate::target::Target;

/// Where the nftables file is installed.
pub(crate) const NFT_PATH: &str = "/etc/nftables.d/smbguard.nft";

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A user string: quoted, and tagged `!unsafe` so that Ansible never
/// evaluates `{{ ... }}` in it as a Jinja2 template.
fn unsafe_q(s: &str) -> String {
    format!("!unsafe {}", q(s))
}

/// The estate name inside blockinfile's marker, which Ansible templates
/// (`{mark}` must stay a placeholder): only letters, digits, space and
/// `-_.()`; anything else becomes `_`.
fn ansible_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The prefix of every inventory group a play targets, so that no group
/// name (`all`, `ungrouped`, `localhost`, ...) can select hosts Ansible
/// defines itself.
pub const INVENTORY_PREFIX: &str = "smbguard_";

/// The inventory group of plan host `group`: [`INVENTORY_PREFIX`] and the
/// group's file stem with every character but letters, digits and `_`
/// turned into `_` (Ansible group names are identifiers); the name's hash is
/// appended where two groups would share one.
pub fn inventory_group(cx: &EmitContext<'_>, group: usize) -> String {
    inventory_groups(cx).swap_remove(group)
}

fn inventory_groups(cx: &EmitContext<'_>) -> Vec<String> {
    let names: Vec<String> = group_stems(cx)
        .iter()
        .map(|stem| {
            let id: String = stem
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("{INVENTORY_PREFIX}{id}")
        })
        .collect();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for n in &names {
        *uses.entry(n).or_default() += 1;
    }
    names
        .iter()
        .zip(&cx.plan.hosts)
        .map(|(n, h)| {
            if uses.get(n.as_str()).copied().unwrap_or(0) > 1 {
                format!("{n}_{:08x}", fnv1a(h.group.as_bytes()))
            } else {
                n.clone()
            }
        })
        .collect()
}

/// The playbook text.
pub(crate) fn playbook(cx: &EmitContext<'_>) -> String {
    let extra = vec![
        "Deploys smbguard's nftables table and Samba hardening to the Linux groups.".to_string(),
        "Run from this directory: ansible-playbook -i INVENTORY smbguard.yml".to_string(),
        "Each play targets the inventory group smbguard_<group>, the group's file name with `_` for"
            .to_string(),
        "anything but letters and digits; put the group's hosts in it.".to_string(),
        "Idempotent: files are replaced only when they differ, and reloads happen only then."
            .to_string(),
    ];
    let mut out = comment_header(cx, Target::Ansible, None, "# ", &extra);
    out.push_str("---\n");
    let marker = format!(
        "\"# {{mark}} smbguard ({})\"",
        ansible_safe(&cx.estate.name)
    );
    let mut plays = 0;
    let stems = group_stems(cx);
    let inventory = inventory_groups(cx);
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        if h.platform != Platform::Linux {
            continue;
        }
        plays += 1;
        let stem = &stems[i];
        let serves = samba::has_snippet(h);
        let _ = writeln!(
            out,
            "- name: {}",
            unsafe_q(&format!("smbguard: {}", clean(&h.group)))
        );
        let _ = writeln!(out, "  hosts: {}", q(&inventory[i]));
        out.push_str("  become: true\n");
        out.push_str("  gather_facts: false\n");
        out.push_str("  tasks:\n");
        out.push_str("    - name: \"Directory for smbguard's nftables table\"\n");
        out.push_str("      ansible.builtin.file:\n");
        out.push_str("        path: /etc/nftables.d\n");
        out.push_str("        state: directory\n");
        out.push_str("        owner: root\n");
        out.push_str("        group: root\n");
        out.push_str("        mode: \"0755\"\n");
        out.push_str("    - name: \"smbguard nftables table (inet smbguard only), checked with nft -c before it is installed\"\n");
        out.push_str("      ansible.builtin.copy:\n");
        let _ = writeln!(out, "        src: {}", q(&format!("files/{stem}.nft")));
        let _ = writeln!(out, "        dest: {NFT_PATH}");
        out.push_str("        owner: root\n");
        out.push_str("        group: root\n");
        out.push_str("        mode: \"0644\"\n");
        out.push_str("        validate: nft -c -f %s\n");
        out.push_str("      notify: Load smbguard nftables table\n");
        out.push_str("    - name: \"/etc/nftables.conf includes smbguard's table at boot\"\n");
        out.push_str("      ansible.builtin.lineinfile:\n");
        out.push_str("        path: /etc/nftables.conf\n");
        let _ = writeln!(
            out,
            "        line: {}",
            q(&format!("include \"{NFT_PATH}\""))
        );
        out.push_str("        insertafter: EOF\n");
        out.push_str("        create: true\n");
        out.push_str("        owner: root\n");
        out.push_str("        group: root\n");
        out.push_str("        mode: \"0755\"\n");
        if serves {
            out.push_str("    - name: \"Samba [global] hardening between smbguard's markers\"\n");
            out.push_str("      ansible.builtin.blockinfile:\n");
            out.push_str("        path: /etc/samba/smb.conf\n");
            let _ = writeln!(out, "        marker: {marker}");
            let _ = writeln!(
                out,
                "        block: {}",
                q(&format!(
                    "{{{{ lookup('ansible.builtin.file', playbook_dir ~ '/files/{stem}.smb.conf') }}}}"
                ))
            );
            out.push_str("        insertafter: EOF\n");
            out.push_str("        validate: testparm -s %s\n");
            out.push_str("      notify: Restart smbd\n");
        }
        out.push_str("  handlers:\n");
        out.push_str("    - name: \"Load smbguard nftables table\"\n");
        out.push_str("      ansible.builtin.command:\n");
        let _ = writeln!(out, "        cmd: nft -f {NFT_PATH}");
        out.push_str("      changed_when: true\n");
        if serves {
            out.push_str("    - name: \"Restart smbd\"\n");
            out.push_str("      ansible.builtin.service:\n");
            out.push_str("        name: smbd\n");
            out.push_str("        state: restarted\n");
        }
    }
    if plays == 0 {
        out.push_str("# The estate has no Linux group: nothing to deploy.\n[]\n");
    }
    out
}

pub(crate) fn artifacts(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    sink(artifact(
        Target::Ansible,
        "ansible/smbguard.yml".to_string(),
        None,
        "Ansible playbook deploying the Linux groups' nftables tables and Samba hardening"
            .to_string(),
        playbook(cx),
    ))?;
    let stems = group_stems(cx);
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        if h.platform != Platform::Linux {
            continue;
        }
        let stem = &stems[i];
        let g = clean(&h.group);
        sink(artifact(
            Target::Ansible,
            format!("ansible/files/{stem}.nft"),
            Some(&h.group),
            format!("nftables table for `{g}`, deployed by smbguard.yml"),
            nftables::host_ruleset(cx, i, Profile::Domain)?,
        ))?;
        if let Some(text) = samba::snippet(cx, i) {
            sink(artifact(
                Target::Ansible,
                format!("ansible/files/{stem}.smb.conf"),
                Some(&h.group),
                format!("Samba hardening for `{g}`, deployed by smbguard.yml"),
                text,
            ))?;
        }
    }
    Ok(())
}
