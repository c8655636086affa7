//! What a back end is: the trait every target implements, and the
//! implementations, each a thin declaration over its family's module.
//!
//! [`Target::backend`](crate::Target::backend) maps every target to one of
//! these with an exhaustive `match`; adding a target means adding a variant
//! and an implementation here, and the compiler points at every place left.

use crate::artifact::{Artifact, EmitContext, EmitError, Sink};
use crate::target::Target;

impl Target {
    /// This target's back end. The one place a target meets its back end:
    /// the match is exhaustive, so a new variant without a back end does not
    /// compile.
    ///
    /// ```compile_fail,E0004
    /// // A target with no arm here is a compile error (E0004), e.g.:
    /// enum Target { PowerShell, Pf }
    /// fn backend(t: Target) -> &'static str {
    ///     match t {
    ///         Target::PowerShell => "powershell",
    ///     }
    /// }
    /// ```
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Target::PowerShell => &PowerShell,
            Target::Netsh => &Netsh,
            Target::Gpo => &Gpo,
            Target::Nftables => &Nftables,
            Target::Iptables => &Iptables,
            Target::CiscoIos => &CiscoIos,
            Target::Junos => &Junos,
            Target::AzureNsg => &AzureNsg,
            Target::AwsNacl => &AwsNacl,
            Target::Samba => &Samba,
            Target::Ansible => &Ansible,
            Target::Intune => &Intune,
            Target::Collector => &Collector,
            Target::Suricata => &Suricata,
            Target::Zeek => &Zeek,
            Target::Sigma => &Sigma,
        }
    }

    /// Emits this target's artefacts (all of them in memory; see
    /// [`Backend::emit_each`] to hand them on one at a time).
    pub fn emit(self, cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
        self.backend().emit(cx)
    }
}

/// Collects what a streaming emitter hands its sink.
pub(crate) fn collect(
    f: impl FnOnce(&mut Sink<'_>) -> Result<(), EmitError>,
) -> Result<Vec<Artifact>, EmitError> {
    let mut out = Vec::new();
    f(&mut |a| {
        out.push(a);
        Ok(())
    })?;
    Ok(out)
}

/// Hands a back end's few estate-wide artefacts to the sink.
fn each(artifacts: Vec<Artifact>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    artifacts.into_iter().try_for_each(sink)
}

/// A back end: turns a plan into the files of one target.
pub trait Backend: Sync {
    /// The target it implements.
    fn target(&self) -> Target;
    /// Its file layout under the output folder, one line (for help and
    /// documentation); `GROUP` stands for a group's file stem.
    fn layout(&self) -> &'static str;
    /// Hands every artefact to `sink` as soon as it is made (per group for
    /// the per-group back ends), with paths relative to the output folder.
    /// A pure function of `cx`: same input, same bytes, same order. Paths
    /// are checked by the naming authority afterwards; a back end takes
    /// group stems from it.
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError>;

    /// The artefacts, collected in memory.
    fn emit(&self, cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
        collect(|sink| self.emit_each(cx, sink))
    }
}

/// The [`Target::PowerShell`] back end.
#[derive(Debug)]
pub(crate) struct PowerShell;

impl Backend for PowerShell {
    fn target(&self) -> Target {
        Target::PowerShell
    }
    fn layout(&self) -> &'static str {
        "GROUP.powershell.ps1  converging NetSecurity script per Windows group"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::windows::powershell::emit(cx, sink)
    }
}

/// The [`Target::Netsh`] back end.
#[derive(Debug)]
pub(crate) struct Netsh;

impl Backend for Netsh {
    fn target(&self) -> Target {
        Target::Netsh
    }
    fn layout(&self) -> &'static str {
        "GROUP.netsh.cmd  netsh advfirewall batch file per Windows group"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::windows::netsh::emit(cx, sink)
    }
}

/// The [`Target::Gpo`] back end.
#[derive(Debug)]
pub(crate) struct Gpo;

impl Backend for Gpo {
    fn target(&self) -> Target {
        Target::Gpo
    }
    fn layout(&self) -> &'static str {
        "gpo/GROUP/...  GPMC backup folder per Windows group, for Import-GPO"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::windows::gpo::emit(cx, sink)
    }
}

/// The [`Target::Nftables`] back end.
#[derive(Debug)]
pub(crate) struct Nftables;

impl Backend for Nftables {
    fn target(&self) -> Target {
        Target::Nftables
    }
    fn layout(&self) -> &'static str {
        "nftables/GROUP.nft, nftables/perimeter.nft  `table inet smbguard` rulesets"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::linux::nftables::artifacts(cx, sink)
    }
}

/// The [`Target::Iptables`] back end.
#[derive(Debug)]
pub(crate) struct Iptables;

impl Backend for Iptables {
    fn target(&self) -> Target {
        Target::Iptables
    }
    fn layout(&self) -> &'static str {
        "iptables/GROUP.rules.v4|v6, iptables/perimeter.rules.v4|v6  for iptables-restore --noflush"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::linux::iptables::artifacts(cx, sink)
    }
}

/// The [`Target::CiscoIos`] back end.
#[derive(Debug)]
pub(crate) struct CiscoIos;

impl Backend for CiscoIos {
    fn target(&self) -> Target {
        Target::CiscoIos
    }
    fn layout(&self) -> &'static str {
        "cisco-ios/perimeter.ios  extended ACLs for the perimeter"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::network::cisco_ios::artifacts(cx)?, sink)
    }
}

/// The [`Target::Junos`] back end.
#[derive(Debug)]
pub(crate) struct Junos;

impl Backend for Junos {
    fn target(&self) -> Target {
        Target::Junos
    }
    fn layout(&self) -> &'static str {
        "junos/perimeter.conf  firewall filters for the perimeter"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::network::junos::artifacts(cx)?, sink)
    }
}

/// The [`Target::AzureNsg`] back end.
#[derive(Debug)]
pub(crate) struct AzureNsg;

impl Backend for AzureNsg {
    fn target(&self) -> Target {
        Target::AzureNsg
    }
    fn layout(&self) -> &'static str {
        "azure-nsg/perimeter.nsg.json  ARM network security group rules"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::cloud::azure_nsg::artifacts(cx)?, sink)
    }
}

/// The [`Target::AwsNacl`] back end.
#[derive(Debug)]
pub(crate) struct AwsNacl;

impl Backend for AwsNacl {
    fn target(&self) -> Target {
        Target::AwsNacl
    }
    fn layout(&self) -> &'static str {
        "aws-nacl/perimeter.nacl.json  network ACL entries"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::cloud::aws_nacl::artifacts(cx)?, sink)
    }
}

/// The [`Target::Samba`] back end.
#[derive(Debug)]
pub(crate) struct Samba;

impl Backend for Samba {
    fn target(&self) -> Target {
        Target::Samba
    }
    fn layout(&self) -> &'static str {
        "samba/GROUP.smb.conf  [global] hardening per Linux file server"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::linux::samba::artifacts(cx, sink)
    }
}

/// The [`Target::Ansible`] back end.
#[derive(Debug)]
pub(crate) struct Ansible;

impl Backend for Ansible {
    fn target(&self) -> Target {
        Target::Ansible
    }
    fn layout(&self) -> &'static str {
        "ansible/smbguard.yml, ansible/files/...  playbook for the Linux groups"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::fleet::ansible::artifacts(cx, sink)
    }
}

/// The [`Target::Intune`] back end.
#[derive(Debug)]
pub(crate) struct Intune;

impl Backend for Intune {
    fn target(&self) -> Target {
        Target::Intune
    }
    fn layout(&self) -> &'static str {
        "intune/GROUP.firewall-rules-N.json ...  Microsoft Graph settings-catalog policies, deploy-intune.ps1"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        crate::intune::artifacts(cx, sink)
    }
}

/// The [`Target::Collector`] back end.
#[derive(Debug)]
pub(crate) struct Collector;

impl Backend for Collector {
    fn target(&self) -> Target {
        Target::Collector
    }
    fn layout(&self) -> &'static str {
        "collector/smbguard-collector.ps1  read-only evidence collector for `smbguard audit`"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::collector::emit(cx)?, sink)
    }
}

/// The [`Target::Suricata`] back end.
#[derive(Debug)]
pub(crate) struct Suricata;

impl Backend for Suricata {
    fn target(&self) -> Target {
        Target::Suricata
    }
    fn layout(&self) -> &'static str {
        "suricata/smbguard.rules, suricata/address-groups.yaml  rules for SMB the plan forbids, and their variables"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::monitor::suricata::artifacts(cx)?, sink)
    }
}

/// The [`Target::Zeek`] back end.
#[derive(Debug)]
pub(crate) struct Zeek;

impl Backend for Zeek {
    fn target(&self) -> Target {
        Target::Zeek
    }
    fn layout(&self) -> &'static str {
        "zeek/smbguard/__load__.zeek, main.zeek  package raising notices for SMB the plan forbids"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::monitor::zeek::artifacts(cx)?, sink)
    }
}

/// The [`Target::Sigma`] back end.
#[derive(Debug)]
pub(crate) struct Sigma;

impl Backend for Sigma {
    fn target(&self) -> Target {
        Target::Sigma
    }
    fn layout(&self) -> &'static str {
        "sigma/*.yaml  one Sigma rule per detection over Windows events"
    }
    fn emit_each(&self, cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
        each(crate::monitor::sigma::artifacts(cx)?, sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_declares_its_own_target() {
        for t in Target::ALL {
            assert_eq!(t.backend().target(), t);
            assert!(!t.backend().layout().is_empty());
        }
    }
}
