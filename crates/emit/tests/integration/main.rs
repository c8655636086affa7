//! The emit crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod aws_nacl_semantics;
mod collector;
mod detection_eval;
mod detection_semantics;
mod detection_tools;
mod hostile_names;
mod intune;
mod linux_translation;
mod non_windows_targets;
mod nonwin_support;
mod unsafe_reason_everywhere;
mod windows_gpo_samba;
mod windows_gpo_translation;
mod windows_injection;
mod windows_powershell_parse;
mod windows_review;
mod windows_snapshots;
mod windows_support;
