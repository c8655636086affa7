//! The article's "must not" sentences, as hard errors with locations.

use smbguard_model::{Diagnostic, Estate, Profile, Role, ServiceState};

/// Every guard-rail violation in the estate.
///
/// - "You must not disable the Server service on domain controllers or file servers."
/// - "You must not disable the Workstation service on computers that are members of an Active Directory domain."
/// - "You must not globally block inbound SMB traffic to domain controllers or file servers."
/// - DCs and file servers "should also be restricted to Domain or Private firewall profiles and not allow Guest/Public traffic."
pub(crate) fn check(estate: &Estate) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for g in &estate.groups {
        if g.role.hosts_shares() && g.server_service == Some(ServiceState::Disabled) {
            out.push(
                Diagnostic::error("guard-rail-server-service", format!(
                    "never disable the Server service on a {}: `{}` would stop serving Group Policy and shares (K8)",
                    g.role.as_str(), g.name))
                    .at(g.spans.server_service.clone())
                    .hint("remove services.server, or set it to \"enabled\""),
            );
        }
        if g.domain_joined && g.workstation_service == Some(ServiceState::Disabled) {
            let hint = if g.role == Role::Isolated {
                "isolated hosts get the Workstation service disabled; set domain-joined = false, or use role = \"workstation\""
            } else {
                "remove services.workstation, or set it to \"enabled\""
            };
            out.push(
                Diagnostic::error("guard-rail-workstation-service", format!(
                    "never disable the Workstation service on domain members: `{}` would no longer apply Group Policy (K8)",
                    g.name))
                    .at(g.spans.workstation_service.clone().or(g.spans.domain_joined.clone()))
                    .hint(hint),
            );
        }
        if g.role.hosts_shares() && g.accept_smb_on.is_empty() {
            out.push(
                Diagnostic::error("guard-rail-global-block", format!(
                    "never block inbound SMB globally on a {}: `{}` accepts SMB on no profile (K5)",
                    g.role.as_str(), g.name))
                    .at(g.spans.accept_smb_on.clone())
                    .hint("restrict it to trusted ranges with `clients` instead; accept-smb-on = [\"domain\", \"private\"]"),
            );
        }
        if g.role.hosts_shares() && g.accept_smb_on.contains(Profile::Public) {
            out.push(
                Diagnostic::error("guard-rail-public-profile", format!(
                    "a {} must not accept SMB on the Public profile: `{}` lists \"public\" (K5)",
                    g.role.as_str(), g.name))
                    .at(g.spans.accept_smb_on.clone())
                    .hint("use accept-smb-on = [\"domain\", \"private\"] or [\"domain\"]"),
            );
        }
    }
    out
}
