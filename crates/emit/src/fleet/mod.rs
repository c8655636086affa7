//! Fleet tooling: deployment of the Linux artefacts with Ansible.

pub(crate) mod ansible;
