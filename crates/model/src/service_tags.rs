//! Azure service tags (`ServiceTags_Public_*.json`, Microsoft's published
//! format: `{changeNumber, cloud, values: [{name, id, properties:
//! {changeNumber, region, addressPrefixes, ...}}]}`), resolved offline into
//! address sets, with the provenance every artefact records.

use serde::Deserialize;

use crate::addr::{AddrSet, parse_addr_spec};

/// One tag of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTag {
    /// `name`, e.g. `Storage.WestEurope`.
    pub name: String,
    /// The tag's own `changeNumber`.
    pub change_number: u64,
    /// IPv4 and IPv6 prefixes, merged.
    pub addresses: AddrSet,
}

/// A parsed service tag file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTagFile {
    /// The file's `changeNumber`.
    pub change_number: u64,
    /// `cloud` (`Public`, ...).
    pub cloud: String,
    /// Every tag, in file order.
    pub tags: Vec<ServiceTag>,
}

impl ServiceTagFile {
    /// The tag named `name`, case-insensitively (Microsoft's names are
    /// CamelCase; users write them as they like).
    pub fn tag(&self, name: &str) -> Option<&ServiceTag> {
        self.tags.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// Which tag file an estate used and which tags it resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTagsUsed {
    /// The file as the user named it.
    pub file: String,
    /// The file's `changeNumber`.
    pub change_number: u64,
    /// `(tag name as in the file, tag changeNumber)`, sorted, once each.
    pub tags: Vec<(String, u64)>,
}

impl ServiceTagsUsed {
    /// One provenance line for artefact headers.
    pub fn summary(&self) -> String {
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|(n, c)| format!("{n} (changeNumber {c})"))
            .collect();
        format!(
            "Azure service tags from {} (changeNumber {}): {}",
            self.file,
            self.change_number,
            tags.join(", ")
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFile {
    change_number: u64,
    #[serde(default)]
    cloud: String,
    values: Vec<RawValue>,
}

#[derive(Deserialize)]
struct RawValue {
    name: String,
    properties: RawProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProperties {
    change_number: u64,
    #[serde(default)]
    address_prefixes: Vec<String>,
}

/// Parses a service tag file; the error says what is wrong.
pub fn parse_service_tags(text: &str) -> Result<ServiceTagFile, String> {
    let raw: RawFile = serde_json::from_str(text)
        .map_err(|e| format!("not a service tag file (ServiceTags_*.json): {e}"))?;
    let mut tags = Vec::with_capacity(raw.values.len());
    for v in raw.values {
        let mut addresses = AddrSet::empty();
        for p in &v.properties.address_prefixes {
            let a = parse_addr_spec(p).map_err(|e| format!("tag `{}`: prefix {e}", v.name))?;
            addresses = addresses.union(&a);
        }
        tags.push(ServiceTag {
            name: v.name,
            change_number: v.properties.change_number,
            addresses,
        });
    }
    Ok(ServiceTagFile {
        change_number: raw.change_number,
        cloud: raw.cloud,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_are_errors_not_panics() {
        for t in [
            "",
            "{}",
            "[]",
            "{\"changeNumber\": 1, \"values\": [{\"name\": \"x\"}]}",
            "{\"changeNumber\": 1, \"values\": [{\"name\": \"x\", \"properties\": {\"changeNumber\": 1, \"addressPrefixes\": [\"nope\"]}}]}",
        ] {
            assert!(parse_service_tags(t).is_err(), "{t}");
        }
    }

    #[test]
    fn v4_and_v6_prefixes_merge() {
        let f = parse_service_tags(r#"{"changeNumber": 7, "cloud": "Public", "values": [{"name": "Storage.WestEurope", "id": "Storage.WestEurope", "properties": {"changeNumber": 3, "region": "westeurope", "addressPrefixes": ["198.51.100.0/25", "198.51.100.128/25", "2001:db8:5::/48"]}}]}"#).expect("parses");
        let t = f.tag("storage.westeurope").expect("case-insensitive");
        assert_eq!(t.change_number, 3);
        assert_eq!(t.addresses.to_cidrs().len(), 2);
    }
}
