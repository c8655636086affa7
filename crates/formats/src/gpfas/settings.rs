//! Global ([MS-GPFAS] §2.2.1) and per-profile (§2.2.3) configuration values.
//!
//! DWORD settings are kept as the raw `u32` so that unexpected values (neither 0
//! nor 1) survive a round trip; the accessors give the typed meaning.

use serde::{Deserialize, Serialize};

use crate::registry_pol::{RegData, RegType};

/// A mutable reference to one typed setting.
pub(crate) enum Slot<'a> {
    Dword(&'a mut Option<u32>),
    Sz(&'a mut Option<String>),
}

macro_rules! settings_struct {
    ($(#[$meta:meta])* $name:ident {
        $($(#[$fmeta:meta])* $field:ident : $kind:ident = ($sub:literal, $value:literal)),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: settings_struct!(@ty $kind),)+
        }

        impl $name {
            /// The setting stored at (`subkey`, `value`) (both case-insensitive;
            /// `subkey` is `""` for the key itself).
            pub(crate) fn slot(&mut self, subkey: &str, value: &str) -> Option<Slot<'_>> {
                $(if subkey.eq_ignore_ascii_case($sub) && value.eq_ignore_ascii_case($value) {
                    return Some(settings_struct!(@slot $kind, self.$field));
                })+
                None
            }

            /// The present settings as (subkey, value name, type, data), in a fixed order.
            pub(crate) fn entries(&self) -> Vec<(&'static str, &'static str, RegType, RegData)> {
                let mut out = Vec::new();
                $(settings_struct!(@push $kind, out, $sub, $value, self.$field);)+
                out
            }

            /// Whether no setting is present.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.entries().is_empty()
            }
        }
    };
    (@ty dword) => { Option<u32> };
    (@ty sz) => { Option<String> };
    (@slot dword, $e:expr) => { Slot::Dword(&mut $e) };
    (@slot sz, $e:expr) => { Slot::Sz(&mut $e) };
    (@push dword, $out:ident, $sub:literal, $value:literal, $e:expr) => {
        if let Some(v) = $e { $out.push(($sub, $value, RegType::Dword, RegData::Dword(v))); }
    };
    (@push sz, $out:ident, $sub:literal, $value:literal, $e:expr) => {
        if let Some(v) = &$e { $out.push(($sub, $value, RegType::Sz, RegData::String(v.clone()))); }
    };
}

settings_struct! {
    /// Per-profile settings under `...\WindowsFirewall\<Profile>` and its
    /// `Logging`, `AuthorizedApplications`, `GloballyOpenPorts` subkeys (§2.2.3).
    /// The field order is the write order (GPMC's order where observed).
    ProfileSettings {
        /// `EnableFirewall` (§2.2.3.1): 1 = on.
        enable_firewall: dword = ("", "EnableFirewall"),
        /// `DefaultOutboundAction` (§2.2.3.16): 0 = allow, 1 = block.
        default_outbound_action: dword = ("", "DefaultOutboundAction"),
        /// `DefaultInboundAction` (§2.2.3.17): 0 = allow, 1 = block.
        default_inbound_action: dword = ("", "DefaultInboundAction"),
        /// `DoNotAllowExceptions` (§2.2.3.3, "shield up"): 1 = ignore all allow rules.
        do_not_allow_exceptions: dword = ("", "DoNotAllowExceptions"),
        /// `AllowLocalPolicyMerge` (§2.2.3.13): 0 = ignore local firewall rules.
        allow_local_policy_merge: dword = ("", "AllowLocalPolicyMerge"),
        /// `AllowLocalIPsecPolicyMerge` (§2.2.3.14): 0 = ignore local IPsec rules.
        allow_local_ipsec_policy_merge: dword = ("", "AllowLocalIPsecPolicyMerge"),
        /// `DisableNotifications` (§2.2.3.10).
        disable_notifications: dword = ("", "DisableNotifications"),
        /// `DisableUnicastResponsesToMulticastBroadcast` (§2.2.3.4).
        disable_unicast_responses_to_multicast_broadcast: dword = ("", "DisableUnicastResponsesToMulticastBroadcast"),
        /// `DisableStealthMode` (§2.2.3.2).
        disable_stealth_mode: dword = ("", "DisableStealthMode"),
        /// `DisableStealthModeIPsecSecuredPacketExemption` (§2.2.3.18).
        disable_stealth_mode_ipsec_secured_packet_exemption: dword = ("", "DisableStealthModeIPsecSecuredPacketExemption"),
        /// `DisabledInterfaces` (§2.2.3.15): `{GUID},{GUID}`.
        disabled_interfaces: sz = ("", "DisabledInterfaces"),
        /// `Logging\LogFilePath` (§2.2.3.9).
        log_file_path: sz = ("Logging", "LogFilePath"),
        /// `Logging\LogFileSize` (§2.2.3.8), KB.
        log_file_size: dword = ("Logging", "LogFileSize"),
        /// `Logging\LogDroppedPackets` (§2.2.3.5).
        log_dropped_packets: dword = ("Logging", "LogDroppedPackets"),
        /// `Logging\LogSuccessfulConnections` (§2.2.3.6).
        log_successful_connections: dword = ("Logging", "LogSuccessfulConnections"),
        /// `Logging\LogIgnoredRules` (§2.2.3.7; not for StandardProfile).
        log_ignored_rules: dword = ("Logging", "LogIgnoredRules"),
        /// `AuthorizedApplications\AllowUserPrefMerge` (§2.2.3.11).
        authorized_applications_allow_user_pref_merge: dword = ("AuthorizedApplications", "AllowUserPrefMerge"),
        /// `GloballyOpenPorts\AllowUserPrefMerge` (§2.2.3.12).
        globally_open_ports_allow_user_pref_merge: dword = ("GloballyOpenPorts", "AllowUserPrefMerge"),
    }
}

settings_struct! {
    /// Global settings directly under `...\WindowsFirewall` (§2.2.1), except
    /// `PolicyVersion`, which is [`super::FirewallPolicy::policy_version`].
    GlobalSettings {
        /// `DisableStatefulFTP` (§2.2.1.1).
        disable_stateful_ftp: dword = ("", "DisableStatefulFTP"),
        /// `DisableStatefulPPTP` (§2.2.1.2).
        disable_stateful_pptp: dword = ("", "DisableStatefulPPTP"),
        /// `SAIdlTime` (§2.2.1.3).
        sa_idle_time: dword = ("", "SAIdlTime"),
        /// `PresharedKeyEncoding` (§2.2.1.4): 1 = UTF-8.
        preshared_key_encoding: dword = ("", "PresharedKeyEncoding"),
        /// `IPsecExempt` (§2.2.1.5) bit mask.
        ipsec_exempt: dword = ("", "IPsecExempt"),
        /// `StrongCRLCheck` (§2.2.1.6).
        strong_crl_check: dword = ("", "StrongCRLCheck"),
        /// `IPsecThroughNAT` (§2.2.1.7).
        ipsec_through_nat: dword = ("", "IPsecThroughNAT"),
        /// `IPsecTunnelRemoteMachineAuthorizationList` (§2.2.1.9), SDDL.
        ipsec_tunnel_remote_machine_authorization_list: sz = ("", "IPsecTunnelRemoteMachineAuthorizationList"),
        /// `IPsecTunnelRemoteUserAuthorizationList` (§2.2.1.10), SDDL.
        ipsec_tunnel_remote_user_authorization_list: sz = ("", "IPsecTunnelRemoteUserAuthorizationList"),
        /// `IPsecOpportunisticallyMatchAuthSetPerKM` (§2.2.1.11).
        ipsec_opportunistically_match_auth_set_per_km: dword = ("", "IPsecOpportunisticallyMatchAuthSetPerKM"),
        /// `IPsecTransportRemoteMachineAuthorizationList` (§2.2.1.12), SDDL.
        ipsec_transport_remote_machine_authorization_list: sz = ("", "IPsecTransportRemoteMachineAuthorizationList"),
        /// `IPsecTransportRemoteUserAuthorizationList` (§2.2.1.13), SDDL.
        ipsec_transport_remote_user_authorization_list: sz = ("", "IPsecTransportRemoteUserAuthorizationList"),
        /// `EnablePacketQueue` (§2.2.1.14).
        enable_packet_queue: dword = ("", "EnablePacketQueue"),
    }
}

/// `DefaultInboundAction` / `DefaultOutboundAction` meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DefaultAction {
    /// 0.
    Allow,
    /// 1.
    Block,
}

fn flag(v: Option<u32>) -> Option<bool> {
    match v {
        Some(0) => Some(false),
        Some(1) => Some(true),
        _ => None,
    }
}

fn action(v: Option<u32>) -> Option<DefaultAction> {
    match v {
        Some(0) => Some(DefaultAction::Allow),
        Some(1) => Some(DefaultAction::Block),
        _ => None,
    }
}

impl ProfileSettings {
    /// `EnableFirewall` as a boolean (`None` if absent or not 0/1).
    #[must_use]
    pub fn firewall_enabled(&self) -> Option<bool> {
        flag(self.enable_firewall)
    }

    /// `DefaultInboundAction` (`None` if absent or not 0/1).
    #[must_use]
    pub fn default_inbound(&self) -> Option<DefaultAction> {
        action(self.default_inbound_action)
    }

    /// `DefaultOutboundAction` (`None` if absent or not 0/1).
    #[must_use]
    pub fn default_outbound(&self) -> Option<DefaultAction> {
        action(self.default_outbound_action)
    }

    /// `DoNotAllowExceptions` ("shield up") as a boolean.
    #[must_use]
    pub fn shielded(&self) -> Option<bool> {
        flag(self.do_not_allow_exceptions)
    }

    /// `AllowLocalPolicyMerge` as a boolean.
    #[must_use]
    pub fn local_policy_merge(&self) -> Option<bool> {
        flag(self.allow_local_policy_merge)
    }

    /// `AllowLocalIPsecPolicyMerge` as a boolean.
    #[must_use]
    pub fn local_ipsec_policy_merge(&self) -> Option<bool> {
        flag(self.allow_local_ipsec_policy_merge)
    }
}

/// The profile keys under `...\WindowsFirewall` (§2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProfileKey {
    /// `DomainProfile`.
    Domain,
    /// `PrivateProfile`.
    Private,
    /// `PublicProfile`.
    Public,
    /// `StandardProfile`: applies to private and public only when neither
    /// `PrivateProfile` nor `PublicProfile` exists.
    Standard,
}

impl ProfileKey {
    /// Every profile key, in write order.
    pub const ALL: [Self; 4] = [Self::Domain, Self::Private, Self::Public, Self::Standard];

    /// The registry key name, e.g. `DomainProfile`.
    #[must_use]
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Domain => "DomainProfile",
            Self::Private => "PrivateProfile",
            Self::Public => "PublicProfile",
            Self::Standard => "StandardProfile",
        }
    }

    /// Parses a key name (case-insensitive).
    #[must_use]
    pub fn from_key_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.key_name().eq_ignore_ascii_case(name))
    }
}
