//! Stock definitions of the built-in rules smbguard disables in a GPO.
//!
//! A GPO disables a built-in rule by carrying a rule with the same ID (the
//! registry value name) and `Active=FALSE`: same-ID rules from a higher
//! precedence store replace the local one (reference §4.2). The copies keep
//! the stock conditions, so the GPO reads like the rule it overrides. The
//! strings are the Windows 11 (v2.33) local-store definitions quoted in the
//! reference §4.2 and in a public registry export, rewritten under the
//! `v2.10` header (every token they use exists in 2.10); the `-NoScope`
//! siblings not quoted verbatim follow the observed pattern (Domain profile,
//! no address scope, same resource strings).

/// (rule ID, stock rule string with `Active=FALSE`).
pub(crate) const STOCK: &[(&str, &str)] = &[
    (
        "FPS-SMB-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-SMB-In-TCP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|LPort=445|App=System|Name=@FirewallAPI.dll,-28511|Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "Netlogon-NamedPipe-In",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=445|App=System|Name=@firewallapi.dll,-37682|Desc=@firewallapi.dll,-37683|EmbedCtxt=@firewallapi.dll,-37681|",
    ),
    (
        "RemoteEventLogSvc-NP-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-29257|Desc=@FirewallAPI.dll,-29260|EmbedCtxt=@FirewallAPI.dll,-29252|",
    ),
    (
        "RemoteEventLogSvc-NP-In-TCP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|LPort=445|App=System|Name=@FirewallAPI.dll,-29257|Desc=@FirewallAPI.dll,-29260|EmbedCtxt=@FirewallAPI.dll,-29252|",
    ),
    (
        "RemoteSvcAdmin-NP-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-29507|Desc=@FirewallAPI.dll,-29510|EmbedCtxt=@FirewallAPI.dll,-29502|",
    ),
    (
        "RemoteSvcAdmin-NP-In-TCP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|LPort=445|App=System|Name=@FirewallAPI.dll,-29507|Desc=@FirewallAPI.dll,-29510|EmbedCtxt=@FirewallAPI.dll,-29502|",
    ),
    (
        "FPS-NB_Session-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=139|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28503|Desc=@FirewallAPI.dll,-28506|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-NB_Session-In-TCP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|LPort=139|App=System|Name=@FirewallAPI.dll,-28503|Desc=@FirewallAPI.dll,-28506|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-NB_Name-In-UDP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=17|Profile=Private|Profile=Public|LPort=137|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28519|Desc=@FirewallAPI.dll,-28522|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-NB_Name-In-UDP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=17|Profile=Domain|LPort=137|App=System|Name=@FirewallAPI.dll,-28519|Desc=@FirewallAPI.dll,-28522|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-NB_Datagram-In-UDP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=17|Profile=Private|Profile=Public|LPort=138|RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28527|Desc=@FirewallAPI.dll,-28530|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPS-NB_Datagram-In-UDP-NoScope",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=17|Profile=Domain|LPort=138|App=System|Name=@FirewallAPI.dll,-28527|Desc=@FirewallAPI.dll,-28530|EmbedCtxt=@FirewallAPI.dll,-28502|",
    ),
    (
        "FPSSMBD-iWARP-In-TCP",
        "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=5445|App=System|Name=@FirewallAPI.dll,-28603|Desc=@FirewallAPI.dll,-28606|EmbedCtxt=@FirewallAPI.dll,-28602|",
    ),
];

/// Windows 11 24H2 / Server 2025 "File and Printer Sharing (Restrictive)"
/// SMB-In rule, as one public export shows it (group @FirewallAPI.dll,-28672).
/// Not in Microsoft's documentation: carried disabled alongside
/// `FPS-SMB-In-TCP` so that, if the ID is right, the GPO covers the new group
/// too; a disabled rule with an unknown ID does nothing.
pub(crate) const RESTRICTIVE_SMB_IN: (&str, &str) = (
    "FPS-SMB-In-TCP-V2",
    "v2.10|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=445|App=System|Name=@FirewallAPI.dll,-28673|Desc=@FirewallAPI.dll,-28674|EmbedCtxt=@FirewallAPI.dll,-28672|",
);

/// The stock string of a built-in rule ID.
pub(crate) fn stock(id: &str) -> Option<&'static str> {
    STOCK.iter().find(|(i, _)| *i == id).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use smbguard_formats::gpfas::FirewallRuleRecord;
    use smbguard_semantics::builtin;

    use super::*;

    #[test]
    fn every_catalogue_rule_has_a_disabled_stock_copy() {
        for b in builtin::catalogue() {
            let text = stock(&b.id).unwrap_or_else(|| panic!("no stock string for {}", b.id));
            let (rule, warnings) = FirewallRuleRecord::parse(text).expect("stock string parses");
            assert!(warnings.is_empty(), "{}: {warnings:?}", b.id);
            assert_eq!(rule.active, Some(false));
        }
        assert!(FirewallRuleRecord::parse(RESTRICTIVE_SMB_IN.1).is_ok());
    }
}
