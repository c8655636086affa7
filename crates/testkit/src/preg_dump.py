# Dumps a Registry.pol file as Samba's PIDL-generated NDR parser
# (samba.dcerpc.preg, Debian package python3-samba) reads it, one entry a line:
#   hex(key) TAB hex(value) TAB type TAB payload
# payload: 'none' (no data), 's:' + hex(utf-8) for strings, 'i:' + decimal for
# the integer types (DWORD, big-endian DWORD, QWORD), 'b:' + hex otherwise.
# smbguard_testkit::preg::view renders smbguard's reading the same way.
import sys
from samba.dcerpc import preg
from samba.ndr import ndr_unpack
data = open(sys.argv[1], 'rb').read()
p = ndr_unpack(preg.file, data)
assert p.header.signature == 'PReg' and p.header.version == 1, (p.header.signature, p.header.version)
assert p.num_entries == len(p.entries)
h = lambda s: s.encode('utf-8').hex()
for e in p.entries:
    d = e.data
    if d is None:
        payload = 'none'
    elif isinstance(d, str):
        payload = 's:' + h(d)
    elif isinstance(d, int):
        payload = 'i:%d' % d
    else:
        payload = 'b:' + bytes(d).hex()
    print('%s\t%s\t%d\t%s' % (h(e.keyname), h(e.valuename), e.type, payload))
