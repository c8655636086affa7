//! Compressed captures (`.pcap.gz`, `.pcapng.zst`, as tshark reads them),
//! recognised by their magic bytes rather than the file name and
//! decompressed as a stream: memory stays bounded whatever the size.

use std::io::{self, Cursor, Read};

/// gzip member header ([RFC 1952] §2.3.1: ID1 ID2).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Zstandard frame magic number ([RFC 8878] §3.1.1), little endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Which compression wraps an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// From the first bytes of the input; `None` for an uncompressed one.
    pub(crate) fn sniff(prefix: &[u8]) -> Option<Self> {
        if prefix.starts_with(&ZSTD_MAGIC) {
            Some(Self::Zstd)
        } else if prefix.starts_with(&GZIP_MAGIC) {
            Some(Self::Gzip)
        } else {
            None
        }
    }
}

/// `reader`, decompressed if its first bytes say so. The bytes read to
/// sniff are put back in front, so nothing is lost either way.
pub(crate) fn maybe_decompress<'r, R: Read + 'r>(mut reader: R) -> io::Result<Box<dyn Read + 'r>> {
    let mut head = [0u8; 4];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let whole = Cursor::new(head).take(filled as u64).chain(reader);
    Ok(match Compression::sniff(&head[..filled]) {
        // Multi-member: `cat a.gz b.gz` and pigz output are one stream.
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Some(Compression::Zstd) => Box::new(zstd::stream::read::Decoder::new(whole)?),
        None => Box::new(whole),
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::{Compression, maybe_decompress};

    fn read_all(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        maybe_decompress(data)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn gzip_zstd_and_plain_round_trip() {
        let plain = b"\xd4\xc3\xb2\xa1 a capture".repeat(1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(Compression::sniff(&gz), Some(Compression::Gzip));
        assert_eq!(read_all(&gz), plain);
        let zst = zstd::stream::encode_all(&plain[..], 1).unwrap();
        assert_eq!(Compression::sniff(&zst), Some(Compression::Zstd));
        assert_eq!(read_all(&zst), plain);
        assert_eq!(read_all(&plain), plain);
        assert_eq!(read_all(b"ab"), b"ab", "shorter than a magic");
        assert_eq!(read_all(b""), b"");
    }

    #[test]
    fn corrupt_compressed_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let r = maybe_decompress(&b"\x1f\x8b\x08\x00garbage"[..])
            .unwrap()
            .read_to_end(&mut out);
        assert!(r.is_err());
        let r = maybe_decompress(&b"\x28\xb5\x2f\xfdgarbage"[..])
            .and_then(|mut d| d.read_to_end(&mut out));
        assert!(r.is_err());
    }
}
