//! What a DCE/RPC conversation revealed: the public result types.

use serde::Serialize;

use super::interfaces::{RpcPurpose, lookup, operation_name};

/// Most interfaces and distinct calls kept per flow (memory stays bounded
/// by the number of flows).
const MAX_ITEMS: usize = 64;

/// An interface the client bound to (bind or alter_context).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RpcInterface {
    /// Interface UUID, lower-case canonical form.
    pub uuid: String,
    /// The interface's name when it is a known one (`svcctl`, `samr`, ...).
    pub name: Option<&'static str>,
    /// Interface version, `major.minor`.
    pub version: String,
    /// What the interface lets a caller do.
    pub purpose: RpcPurpose,
    /// Whether the server accepted the context (`None`: answer not seen).
    pub accepted: Option<bool>,
}

impl RpcInterface {
    /// The name, or the UUID for an unknown interface.
    #[must_use]
    pub fn label(&self) -> &str {
        self.name.unwrap_or(&self.uuid)
    }
}

/// One distinct operation called on a bound interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RpcCall {
    /// Interface UUID (`None` when the bind was not captured).
    pub uuid: Option<String>,
    /// The interface's name when known.
    pub interface: Option<&'static str>,
    /// Operation number.
    pub opnum: u16,
    /// The operation's name when known (`RCreateServiceW`).
    pub operation: Option<&'static str>,
}

impl RpcCall {
    /// `svcctl.RCreateServiceW`, `samr.opnum 5`, `opnum 2` (bind unseen).
    #[must_use]
    pub fn label(&self) -> String {
        let op = self
            .operation
            .map_or_else(|| format!("opnum {}", self.opnum), str::to_owned);
        match (self.interface, &self.uuid) {
            (Some(i), _) => format!("{i}.{op}"),
            (None, Some(u)) => format!("{u}.{op}"),
            (None, None) => op,
        }
    }
}

/// DCE/RPC over TCP (the endpoint mapper on 135 and the dynamic ports it
/// hands out): the interfaces bound and the operations requested.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RpcFacts {
    /// Interfaces bound, in order of first bind, without duplicates.
    pub interfaces: Vec<RpcInterface>,
    /// Distinct operations requested, in order of first request.
    pub calls: Vec<RpcCall>,
}

impl RpcFacts {
    /// Nothing was learnt (also every non-RPC flow).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty() && self.calls.is_empty()
    }

    /// The most consequential purpose among the bound interfaces, remote
    /// execution first.
    #[must_use]
    pub fn purposes(&self) -> Vec<RpcPurpose> {
        let mut p: Vec<RpcPurpose> = self.interfaces.iter().map(|i| i.purpose).collect();
        p.sort_unstable();
        p.dedup();
        p
    }

    /// Whether an interface for remote execution or reconfiguration
    /// (services, tasks, WMI, firewall, registry) was bound.
    #[must_use]
    pub fn remote_execution(&self) -> bool {
        self.interfaces
            .iter()
            .any(|i| i.purpose.is_remote_execution())
    }

    /// Records a bound interface; returns its index.
    pub(crate) fn bind(&mut self, uuid: String, major: u16, minor: u16) -> Option<usize> {
        let version = format!("{major}.{minor}");
        if let Some(i) = self.interfaces.iter().position(|x| x.uuid == uuid) {
            return Some(i);
        }
        if self.interfaces.len() >= MAX_ITEMS {
            return None;
        }
        let known = lookup(&uuid);
        self.interfaces.push(RpcInterface {
            name: known.map(|k| k.name),
            purpose: known.map_or(RpcPurpose::Other, |k| k.purpose),
            uuid,
            version,
            accepted: None,
        });
        Some(self.interfaces.len() - 1)
    }

    /// Records the server's answer for interface `index`.
    pub(crate) fn answer(&mut self, index: usize, accepted: bool) {
        if let Some(i) = self.interfaces.get_mut(index) {
            // Accepted once is accepted: a later rejected re-bind does not undo it.
            i.accepted = Some(accepted || i.accepted == Some(true));
        }
    }

    /// Records a request on interface `index` (`None`: bind not seen).
    pub(crate) fn call(&mut self, index: Option<usize>, opnum: u16) {
        let uuid = index
            .and_then(|i| self.interfaces.get(i))
            .map(|i| i.uuid.clone());
        let call = RpcCall {
            interface: uuid.as_deref().and_then(|u| lookup(u)).map(|k| k.name),
            operation: uuid.as_deref().and_then(|u| operation_name(u, opnum)),
            uuid,
            opnum,
        };
        if self.calls.len() < MAX_ITEMS && !self.calls.contains(&call) {
            self.calls.push(call);
        }
    }

    /// One-line notes for reports: bound interfaces and named calls.
    #[must_use]
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.interfaces.is_empty() {
            let names: Vec<String> = self
                .interfaces
                .iter()
                .map(|i| match i.accepted {
                    Some(false) => format!("{} (rejected)", i.label()),
                    _ => i.label().to_owned(),
                })
                .collect();
            notes.push(format!("RPC bind {}", names.join(", ")));
        }
        let calls: Vec<String> = self
            .calls
            .iter()
            .filter(|c| c.operation.is_some())
            .map(RpcCall::label)
            .collect();
        if !calls.is_empty() {
            notes.push(format!("RPC calls {}", calls.join(", ")));
        }
        notes
    }
}
