#!/usr/bin/env python3
"""Writes the synthetic audit-input fixtures (issue 14) into fixtures/windows and fixtures/samba.

They are synthesized because no permissively licensed public export of these layouts was
found: a regedit export of the firewall stores (UTF-16LE with BOM), a REGEDIT4 file (ANSI,
code page 1252), and Get-NetFirewallRule exports in the community CSV layout (';', code page
1252) and as ConvertTo-Json. The rule strings follow the v2.33 strings Windows 11 writes for
its built-in rules (see docs/windows.md). Rerun from the repository root; the output is
deterministic. The Samba fixture is made by running `testparm -s` on fixtures/samba/smb.conf.
"""
import json
import os
import subprocess

LOCAL = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy"
GPO = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\WindowsFirewall"
DEFAULTS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Defaults\FirewallPolicy"

SMB_IN = ("v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Private|Profile=Public|LPort=445|"
          "RA4=LocalSubnet|RA6=LocalSubnet|App=System|Name=@FirewallAPI.dll,-28511|"
          "Desc=@FirewallAPI.dll,-28514|EmbedCtxt=@FirewallAPI.dll,-28502|")
SMB_IN_DEFAULT = SMB_IN.replace("Active=TRUE", "Active=FALSE")
BACKUP = ("v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|"
          "App=C:\\Program Files\\Contoso Backup\\agent.exe|Name=Contoso Backup Agent|")
BLOCK = "v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Block SMB inbound|"
BYPASS = ("v2.30|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|"
          "RMauth=O:LSD:(A;;CC;;;S-1-5-21-1004336348-1177238915-682003330-1107)|Security=Authenticate|"
          "Name=SMB from admin hosts|")
CSR = ("v2.30|Action=SecureServer|Active=TRUE|Name=SMB isolation|"
       "Auth1Set={E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE3}|Auth2Set={E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE4}|"
       "Crypto2Set={E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE2}|")
MDM_RULE = "v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|RA4=10.20.0.0/255.255.0.0|Name=Intune SMB|"
WSH = "V2.30|Action=Block|Dir=In|App=%SystemRoot%\\system32\\svchost.exe|Svc=Spooler|Name=WSH spooler|"


def reg_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hex_lines(name, kind, data, width=20):
    """regedit's layout: comma-separated bytes, lines continued with a backslash."""
    head = f'"{name}"=hex({kind:x}):'
    parts = [f"{b:02x}" for b in data]
    out, line = [], head
    for i, p in enumerate(parts):
        piece = p + ("," if i + 1 < len(parts) else "")
        if len(line) + len(piece) > 77:
            out.append(line + "\\")
            line = "  "
        line += piece
    out.append(line)
    return "\r\n".join(out)


def regedit5():
    multi = "".join(s + "\0" for s in ["SMB2_10", "SMB3_11"]).encode("utf-16-le") + b"\0\0"
    expand = "%SystemRoot%\\System32\\srvsvc.dll\0".encode("utf-16-le")
    lines = [
        "Windows Registry Editor Version 5.00",
        "",
        "; synthesized for smbguard's tests: every firewall store in one export",
        f"[{GPO}]",
        '"PolicyVersion"=dword:0000021a',
        "",
        f"[{GPO}\\DomainProfile]",
        '"EnableFirewall"=dword:00000001',
        '"AllowLocalPolicyMerge"=dword:00000000',
        '"DefaultInboundAction"=dword:00000001',
        "",
        f"[{GPO}\\FirewallRules]",
        f'"smbguard-block-445"={reg_string(BLOCK)}',
        "",
        f"[{GPO}\\ConSecRules]",
        f'"smbguard-isolation"={reg_string(CSR)}',
        "",
        f"[{LOCAL}]",
        "",
        f"[{LOCAL}\\StandardProfile]",
        '"EnableFirewall"=dword:00000000',
        "",
        f"[{LOCAL}\\StandardProfile\\Logging]",
        '"LogFilePath"=' + reg_string("%systemroot%\\system32\\LogFiles\\Firewall\\pfirewall.log"),
        "",
        f"[{LOCAL}\\FirewallRules]",
        f'"FPS-SMB-In-TCP"={reg_string(SMB_IN)}',
        f'"{{6F0B9A53-1C29-4E7C-9E4B-2B7C6D0E1F21}}"={reg_string(BACKUP)}',
        f'"SMB-Bypass-Admins"={reg_string(BYPASS)}',
        '"Removed-Rule"=-',
        "",
        f"[{LOCAL}\\Mdm\\FirewallRules]",
        f'"IntuneSmb"={reg_string(MDM_RULE)}',
        "",
        f"[{LOCAL}\\RestrictedServices\\Static\\System]",
        f'"WSH-Spooler-Block"={reg_string(WSH)}',
        "",
        f"[{DEFAULTS}\\FirewallRules]",
        f'"FPS-SMB-In-TCP"={reg_string(SMB_IN_DEFAULT)}',
        "",
        r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters]",
        '"SMB1"=dword:00000000',
        hex_lines("NullSessionPipes", 7, multi),
        hex_lines("ServiceDll", 2, expand),
        '@="default value"',
        '"Binary"=hex:01,02,03',
        '"Qword"=hex(b):10,00,00,00,00,00,00,00',
        "",
        r"[-HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\FirewallRules\Stale]",
        "",
    ]
    return b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le")


def regedit4():
    expand = "%SystemRoot%\\Système\0".encode("cp1252")
    lines = [
        "REGEDIT4",
        "",
        f"[{GPO}\\FirewallRules]",
        '"Règle-SMB"=' + reg_string(BLOCK.replace("Block SMB inbound", "Blocage SMB entrant")),
        "",
        f"[{LOCAL}\\DomainProfile]",
        '"EnableFirewall"=dword:00000001',
        hex_lines("LogFilePath", 2, expand),
        "",
    ]
    return "\r\n".join(lines).encode("cp1252")


COLUMNS = ["Name", "DisplayName", "Description", "Group", "Enabled", "Profile", "Platform",
           "Direction", "Action", "EdgeTraversalPolicy", "LooseSourceMapping", "LocalOnlyMapping",
           "Owner", "LocalAddress", "RemoteAddress", "Protocol", "LocalPort", "RemotePort",
           "IcmpType", "DynamicTarget", "Program", "Package", "Service", "InterfaceAlias",
           "InterfaceType", "LocalUser", "RemoteUser", "RemoteMachine", "Authentication",
           "Encryption", "OverrideBlockRules"]

DEFAULT = {"Enabled": "True", "Profile": "Any", "Platform": "", "EdgeTraversalPolicy": "Block",
           "LooseSourceMapping": "False", "LocalOnlyMapping": "False", "Owner": "",
           "LocalAddress": "Any", "RemoteAddress": "Any", "Protocol": "Any", "LocalPort": "Any",
           "RemotePort": "Any", "IcmpType": "Any", "DynamicTarget": "Any", "Program": "Any",
           "Package": "", "Service": "Any", "InterfaceAlias": "Any", "InterfaceType": "Any",
           "LocalUser": "Any", "RemoteUser": "Any", "RemoteMachine": "Any",
           "Authentication": "NotRequired", "Encryption": "NotRequired", "OverrideBlockRules": "False",
           "Description": "", "Group": ""}

RULES = [
    {"Name": "FPS-SMB-In-TCP", "DisplayName": "Datei- und Druckerfreigabe (SMB eingehend)",
     "Description": "Eingehende Regel für die Datei- und Druckerfreigabe (SMB über TCP 445).",
     "Group": "@FirewallAPI.dll,-28502", "Profile": "Private, Public", "Direction": "Inbound",
     "Action": "Allow", "RemoteAddress": "LocalSubnet", "Protocol": "TCP", "LocalPort": "445",
     "Program": "System"},
    {"Name": "{6F0B9A53-1C29-4E7C-9E4B-2B7C6D0E1F21}", "DisplayName": "Contoso Backup Agent",
     "Direction": "Inbound", "Action": "Allow", "Protocol": "TCP", "LocalPort": "445,5445",
     "RemoteAddress": "10.20.0.0/255.255.0.0,2001:db8::/32",
     "Program": "%ProgramFiles%\\Contoso Backup\\agent.exe"},
    {"Name": "SMB-Bypass-Admins", "DisplayName": "SMB from admin hosts", "Direction": "Inbound",
     "Action": "Allow", "Protocol": "TCP", "LocalPort": "445", "Authentication": "Required",
     "OverrideBlockRules": "True",
     "RemoteMachine": "O:LSD:(A;;CC;;;S-1-5-21-1004336348-1177238915-682003330-1107)"},
    {"Name": "Block-SMB-Out-Tool", "DisplayName": "Block SMB from tool", "Enabled": "False",
     "Profile": "Domain", "Direction": "Outbound", "Action": "Block", "Protocol": "TCP",
     "RemotePort": "445", "Program": "C:\\tools\\foo.exe", "InterfaceAlias": "Ethernet 2",
     "Platform": "6.2+"},
    {"Name": "CoreNet-ICMP4-DUFRAG-In", "DisplayName": "Core Networking - Destination Unreachable",
     "Direction": "Inbound", "Action": "Allow", "Protocol": "ICMPv4", "IcmpType": "3:4",
     "EdgeTraversalPolicy": "DeferToUser", "InterfaceType": "Wired, Wireless"},
    {"Name": "RPC-EPMAP", "DisplayName": "RPC endpoint mapper", "Direction": "Inbound",
     "Action": "Allow", "Protocol": "TCP", "LocalPort": "RPCEPMap", "Service": "RpcSs",
     "Encryption": "Dynamic", "RemoteAddress": "Intranet,DNS4"},
    {"Name": "Broken-Action", "DisplayName": "a rule whose action is unreadable",
     "Direction": "Inbound", "Action": "Maybe"},
]


def row(rule):
    full = dict(DEFAULT)
    full.update(rule)
    return [full[c] for c in COLUMNS]


def csv_quote(value):
    return '"' + value.replace('"', '""') + '"'


def netfw_csv():
    lines = [";".join(csv_quote(c) for c in COLUMNS)]
    lines += [";".join(csv_quote(v) for v in row(r)) for r in RULES]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def netfw_json():
    items = [dict(zip(COLUMNS, row(r))) for r in RULES[:6]]
    # ConvertTo-Json of the objects themselves: enums as numbers, filters nested.
    items.append({"Name": "Numeric-Enums", "DisplayName": "enums as numbers", "Enabled": 1,
                  "Profile": 5, "Direction": 1, "Action": 4, "EdgeTraversalPolicy": 0,
                  "Port": {"Protocol": "TCP", "LocalPort": ["445", "139"], "RemotePort": "Any"},
                  "Addr": {"LocalAddress": "Any", "RemoteAddress": ["203.0.113.0/24"]},
                  "Program": None})
    text = json.dumps(items, indent=4, ensure_ascii=False)
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    write("fixtures/windows/synthetic-firewall-stores.reg", regedit5())
    write("fixtures/windows/synthetic-regedit4-cp1252.reg", regedit4())
    write("fixtures/windows/synthetic-netfirewallrule-cp1252.csv", netfw_csv())
    write("fixtures/windows/synthetic-netfirewallrule.json", netfw_json())
    out = subprocess.run(["testparm", "-s", "fixtures/samba/smb.conf"], capture_output=True,
                         env=dict(os.environ, LC_ALL="C"), check=True)
    write("fixtures/samba/testparm-s.txt", out.stderr + out.stdout)


if __name__ == "__main__":
    main()
