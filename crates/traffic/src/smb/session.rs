//! Per-connection SMB state needed to interpret later messages: the SMB1
//! dialect list (to resolve the index in the NEGOTIATE response), tree
//! connects awaiting their response, and which trees are IPC$.
//!
//! Every list is bounded; the oldest entry goes first.

use std::collections::VecDeque;

const MAX_DIALECTS: usize = 32;
const MAX_PENDING: usize = 16;
const MAX_TREES: usize = 64;

/// SMB1 and SMB2 number trees and messages independently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Proto {
    Smb1,
    Smb2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tree {
    proto: Proto,
    id: u32,
    ipc: bool,
}

#[derive(Debug, Default)]
pub(crate) struct SmbSession {
    smb1_dialects: Vec<String>,
    /// (protocol, message id, requested path): the path names the share
    /// in a refusal and says whether the tree is IPC$.
    pending_trees: VecDeque<(Proto, u64, String)>,
    trees: VecDeque<Tree>,
}

impl SmbSession {
    pub(super) fn set_smb1_dialects(&mut self, dialects: impl Iterator<Item = String>) {
        self.smb1_dialects.clear();
        self.smb1_dialects.extend(dialects.take(MAX_DIALECTS));
    }

    pub(super) fn smb1_dialect(&self, index: u16) -> Option<&str> {
        self.smb1_dialects
            .get(usize::from(index))
            .map(String::as_str)
    }

    pub(super) fn tree_requested(&mut self, proto: Proto, message_id: u64, path: String) {
        if self.pending_trees.len() >= MAX_PENDING {
            self.pending_trees.pop_front();
        }
        self.pending_trees.push_back((proto, message_id, path));
    }

    /// The path of the matching request, if it was seen.
    pub(super) fn take_tree_request(&mut self, proto: Proto, message_id: u64) -> Option<String> {
        let found = self
            .pending_trees
            .iter()
            .position(|(p, id, _)| *p == proto && *id == message_id);
        found
            .and_then(|i| self.pending_trees.remove(i))
            .map(|(_, _, path)| path)
    }

    pub(super) fn tree_connected(&mut self, proto: Proto, id: u32, ipc: bool) {
        self.trees.retain(|t| !(t.proto == proto && t.id == id));
        if self.trees.len() >= MAX_TREES {
            self.trees.pop_front();
        }
        self.trees.push_back(Tree { proto, id, ipc });
    }

    /// `Some(true)` for IPC$, `Some(false)` for another share, `None` when
    /// the tree connect was not seen.
    pub(super) fn tree_is_ipc(&self, proto: Proto, id: u32) -> Option<bool> {
        self.trees
            .iter()
            .find(|t| t.proto == proto && t.id == id)
            .map(|t| t.ipc)
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_TREES, Proto, SmbSession};

    #[test]
    fn trees_are_per_protocol_and_bounded() {
        let mut s = SmbSession::default();
        s.tree_requested(Proto::Smb2, 7, r"\\h\IPC$".into());
        assert_eq!(s.take_tree_request(Proto::Smb1, 7), None);
        assert_eq!(
            s.take_tree_request(Proto::Smb2, 7).as_deref(),
            Some(r"\\h\IPC$")
        );
        assert_eq!(s.take_tree_request(Proto::Smb2, 7), None);
        for id in 0..1000 {
            s.tree_connected(Proto::Smb2, id, id == 999);
        }
        assert_eq!(s.trees.len(), MAX_TREES);
        assert_eq!(s.tree_is_ipc(Proto::Smb2, 999), Some(true));
        assert_eq!(s.tree_is_ipc(Proto::Smb2, 0), None);
        assert_eq!(s.tree_is_ipc(Proto::Smb1, 999), None);
    }
}
