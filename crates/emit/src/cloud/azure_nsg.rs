//! Azure network security group rules (ARM template JSON).
//!
//! One `Microsoft.Network/networkSecurityGroups/securityRules` resource per
//! perimeter entry, side (Inbound / Outbound) and address family (an NSG
//! rule cannot mix IPv4 and IPv6 prefixes). Priorities start at 100 and step
//! by 10 in the plan's first-match order, so they also leave room between
//! rules; the NSG's own rules at higher numbers (and its defaults at
//! 65000+) decide all other traffic. Prefixes are CIDR lists, never service
//! tags; rule names are smbguard's (`smbguard-…`), so a redeployment updates
//! exactly these rules.

use serde_json::{Value, json};
use smbguard_model::Proto;
use smbguard_semantics::{AclAction, AclEntry};

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::cloud::cut;
use crate::network::{cidr_strings, protocols, slug};
use crate::non_windows::{Side, artifact, entry_label, header_plain, sides};
use crate::target::Target;

/// A string ARM will not read as a template expression: a leading `[`
/// is escaped as `[[`.
fn arm(s: String) -> String {
    if s.starts_with('[') {
        format!("[{s}")
    } else {
        s
    }
}

/// The first priority smbguard uses.
pub(crate) const FIRST_PRIORITY: u32 = 100;
/// The step between priorities.
pub(crate) const PRIORITY_STEP: u32 = 10;
/// The largest priority a user rule may have.
pub(crate) const MAX_PRIORITY: u32 = 4096;

fn rule(e: &AclEntry, side: Side, v6: bool, proto: Option<Proto>, priority: u32) -> Option<Value> {
    let src: Vec<String> = cidr_strings(&e.source, v6);
    let dst: Vec<String> = cidr_strings(&e.destination, v6);
    if src.is_empty() || dst.is_empty() {
        return None;
    }
    let direction = match side {
        Side::Inbound => "Inbound",
        Side::Outbound => "Outbound",
    };
    let name = format!(
        "smbguard-{priority}-{}-{}",
        direction.to_lowercase(),
        slug(&e.name, 48)
    );
    let mut props = serde_json::Map::new();
    props.insert("description".into(), json!(arm(cut(&entry_label(e), 140))));
    props.insert(
        "protocol".into(),
        json!(match proto {
            Some(Proto::Tcp) => "Tcp",
            Some(Proto::Udp) => "Udp",
            None => "*",
        }),
    );
    props.insert("sourcePortRange".into(), json!("*"));
    let ports = e.destination_ports.port_ranges();
    if e.destination_ports.is_full() {
        props.insert("destinationPortRange".into(), json!("*"));
    } else if ports.len() == 1 {
        props.insert("destinationPortRange".into(), json!(ports[0]));
    } else {
        props.insert("destinationPortRanges".into(), json!(ports));
    }
    props.insert("sourceAddressPrefixes".into(), json!(src));
    props.insert("destinationAddressPrefixes".into(), json!(dst));
    props.insert(
        "access".into(),
        json!(match e.action {
            AclAction::Permit => "Allow",
            AclAction::Deny => "Deny",
        }),
    );
    props.insert("priority".into(), json!(priority));
    props.insert("direction".into(), json!(direction));
    Some(json!({
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "apiVersion": "2023-09-01",
        "name": format!("[format('{{0}}/{{1}}', parameters('networkSecurityGroupName'), '{name}')]"),
        "comments": arm(format!("{}: {}", e.kb, cut(&e.name, 200))),
        "properties": Value::Object(props),
    }))
}

/// The ARM template for the perimeter NSG rules.
pub(crate) fn perimeter_template(cx: &EmitContext<'_>) -> Result<String, EmitError> {
    let mut resources = Vec::new();
    let mut next = [FIRST_PRIORITY, FIRST_PRIORITY];
    for e in &cx.plan.perimeter.entries {
        for side in sides(cx, e) {
            let slot = match side {
                Side::Inbound => 0,
                Side::Outbound => 1,
            };
            for v6 in [false, true] {
                for p in protocols(e.protocol, &e.destination_ports) {
                    if next[slot] > MAX_PRIORITY {
                        return Err(EmitError::Unrepresentable {
                            target: Target::AzureNsg,
                            what: format!(
                                "more than {} rules per direction (priorities {FIRST_PRIORITY}..{MAX_PRIORITY} step {PRIORITY_STEP})",
                                (MAX_PRIORITY - FIRST_PRIORITY) / PRIORITY_STEP + 1
                            ),
                        });
                    }
                    if let Some(r) = rule(e, side, v6, p, next[slot]) {
                        resources.push(r);
                        next[slot] += PRIORITY_STEP;
                    }
                }
            }
        }
    }
    let doc = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {
            "smbguard": {
                "header": header_plain(cx, Target::AzureNsg, None).into_iter().map(arm).collect::<Vec<_>>(),
                "usage": "Deploy into the resource group of an existing network security group: az deployment group create --template-file FILE --parameters networkSecurityGroupName=NAME. Only rules named smbguard-* are created or updated.",
                "other-traffic": "smbguard governs SMB and NetBIOS only: all other traffic is left to the NSG's own rules and defaults (priorities above smbguard's, and 65000+)."
            }
        },
        "parameters": {
            "networkSecurityGroupName": {
                "type": "string",
                "metadata": { "description": "The network security group at the perimeter (internet-facing subnet)." }
            }
        },
        "resources": resources,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![artifact(
        Target::AzureNsg,
        "azure-nsg/perimeter.nsg.json".to_string(),
        None,
        "Azure NSG security rules for the perimeter (ARM template)".to_string(),
        perimeter_template(cx)?,
    )])
}
