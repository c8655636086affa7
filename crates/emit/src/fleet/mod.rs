//! Fleet tooling: deployment of the Linux artefacts with Ansible.

pub mod ansible;
