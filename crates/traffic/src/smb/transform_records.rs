//! SMB 3.x transform headers: encryption (`0xFD 'SMB'`, [MS-SMB2] §2.2.41)
//! and compression (`0xFC 'SMB'`, §2.2.42).

use nom::bytes::streaming::{tag, take};
use nom::number::streaming::{le_u16, le_u32, le_u64};
use nom::{IResult, Parser};

pub(crate) const SMB3_TRANSFORM_MAGIC: &[u8; 4] = b"\xfdSMB";
pub(crate) const SMB3_COMPRESSION_MAGIC: &[u8; 4] = b"\xfcSMB";

/// SMB2 TRANSFORM_HEADER: everything after it is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb3TransformHeader<'a> {
    pub(crate) signature: &'a [u8],
    pub(crate) nonce: &'a [u8],
    pub(crate) original_message_size: u32,
    /// "Flags" in 3.1.1 (0x0001 = encrypted), "EncryptionAlgorithm" in 3.0.
    pub(crate) flags: u16,
    pub(crate) session_id: u64,
}

pub(crate) fn parse_smb3_transform_header(i: &[u8]) -> IResult<&[u8], Smb3TransformHeader<'_>> {
    let (i, _protocol_id) = tag(&SMB3_TRANSFORM_MAGIC[..]).parse(i)?;
    let (i, signature) = take(16usize).parse(i)?;
    let (i, nonce) = take(16usize).parse(i)?;
    let (i, original_message_size) = le_u32(i)?;
    let (i, _reserved) = le_u16(i)?;
    let (i, flags) = le_u16(i)?;
    let (i, session_id) = le_u64(i)?;
    Ok((
        i,
        Smb3TransformHeader {
            signature,
            nonce,
            original_message_size,
            flags,
            session_id,
        },
    ))
}

/// SMB2 COMPRESSION_TRANSFORM_HEADER (unchained or chained form; both start
/// with the same 16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb3CompressionHeader {
    pub(crate) original_compressed_segment_size: u32,
    pub(crate) compression_algorithm: u16,
    /// 0x0000 = unchained, 0x0001 = chained.
    pub(crate) flags: u16,
    /// Unchained: offset of the compressed data (the bytes before it, right
    /// after this header, are uncompressed). Chained: length.
    pub(crate) offset_or_length: u32,
}

impl Smb3CompressionHeader {
    pub(crate) const fn is_chained(&self) -> bool {
        self.flags & 0x0001 != 0
    }
}

pub(crate) fn parse_smb3_compression_header(i: &[u8]) -> IResult<&[u8], Smb3CompressionHeader> {
    let (i, _protocol_id) = tag(&SMB3_COMPRESSION_MAGIC[..]).parse(i)?;
    let (i, original_compressed_segment_size) = le_u32(i)?;
    let (i, compression_algorithm) = le_u16(i)?;
    let (i, flags) = le_u16(i)?;
    let (i, offset_or_length) = le_u32(i)?;
    Ok((
        i,
        Smb3CompressionHeader {
            original_compressed_segment_size,
            compression_algorithm,
            flags,
            offset_or_length,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::{parse_smb3_compression_header, parse_smb3_transform_header};

    #[test]
    fn transform_header() {
        // zeek__smb311_encrypted_transform_only.pcap frame 7 (first TRANSFORM
        // PDU, client to server): session id 0x0000281cac000069, flags 1,
        // original size 0x68; signature and nonce zeroed here.
        let mut pdu = b"\xfdSMB".to_vec();
        pdu.extend_from_slice(&[0xaa; 16]);
        pdu.extend_from_slice(&[0xbb; 16]);
        pdu.extend_from_slice(&[0x68, 0, 0, 0, 0, 0, 0x01, 0x00]);
        pdu.extend_from_slice(&[0x69, 0x00, 0x00, 0xac, 0x1c, 0x28, 0x00, 0x00]);
        let (rest, h) = parse_smb3_transform_header(&pdu).unwrap();
        assert!(rest.is_empty());
        assert_eq!(h.flags, 1);
        assert_eq!(h.original_message_size, 0x68);
        assert_eq!(h.session_id, 0x0000_281c_ac00_0069);
        assert_eq!(h.signature, &[0xaa; 16]);
        assert_eq!(h.nonce, &[0xbb; 16]);
        assert!(parse_smb3_transform_header(&pdu[..20]).is_err());
    }

    #[test]
    fn compression_header() {
        // [MS-SMB2] §2.2.42.1 layout, LZ77 (0x0002), unchained, offset 0x50.
        let pdu = b"\xfcSMB\x00\x10\x00\x00\x02\x00\x00\x00\x50\x00\x00\x00";
        let (_, h) = parse_smb3_compression_header(pdu).unwrap();
        assert_eq!(h.original_compressed_segment_size, 0x1000);
        assert_eq!(h.compression_algorithm, 2);
        assert!(!h.is_chained());
        assert_eq!(h.offset_or_length, 0x50);
    }
}
