
# ---- runtime (fixed text; the estate's values are the literals above) ----

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$FirewallSubkeys = @('FirewallRules', 'ConSecRules', 'DomainProfile', 'PrivateProfile',
    'PublicProfile', 'StandardProfile', 'Phase1AuthenticationSets', 'Phase2AuthenticationSets',
    'Phase2CryptoSets')
$Stores = @(
    @{ Name = 'gpo'; Root = 'SOFTWARE\Policies\Microsoft\WindowsFirewall' },
    @{ Name = 'mdm'; Root = 'SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\Mdm' },
    @{ Name = 'local'; Root = 'SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy' }
)
$SmbKeys = @(
    'SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters',
    'SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters',
    'SYSTEM\CurrentControlSet\Services\LanmanWorkstation',
    'SYSTEM\CurrentControlSet\Services\mrxsmb10',
    'SOFTWARE\Policies\Microsoft\Windows\LanmanServer',
    'SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation',
    'SOFTWARE\Policies\Microsoft\Windows\NetworkProvider',
    'SOFTWARE\Policies\Microsoft\Windows\Bowser'
)
$SmbValueNames = @('SMB1', 'RequireSecuritySignature', 'EnableSecuritySignature', 'EncryptData',
    'RejectUnencryptedAccess', 'RequireEncryption', 'BlockNTLM', 'BlockNTLMServerExceptionList',
    'MinSmb2Dialect', 'MaxSmb2Dialect', 'EnableMailslots', 'AuditClientDoesNotSupportEncryption',
    'AuditClientDoesNotSupportSigning', 'AuditServerDoesNotSupportEncryption',
    'AuditServerDoesNotSupportSigning', 'Start', 'DependOnService')

# One registry value as a bundle value, or $null for types the bundle does not carry.
function ConvertTo-BundleValue {
    param([Microsoft.Win32.RegistryKey]$Key, [string]$Relative, [string]$Name)
    $kind = $Key.GetValueKind($Name)
    $raw = $Key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    if ($null -eq $raw) { return $null }
    switch ($kind.ToString()) {
        'DWord' {
            $bytes = [System.BitConverter]::GetBytes([int32]$raw)
            $data = [System.BitConverter]::ToUInt32($bytes, 0)
            $type = 'REG_DWORD'
        }
        'String' { $data = [string]$raw; $type = 'REG_SZ' }
        'ExpandString' { $data = [string]$raw; $type = 'REG_EXPAND_SZ' }
        'MultiString' { $data = [string[]]$raw; $type = 'REG_MULTI_SZ' }
        default { return $null }
    }
    return [pscustomobject][ordered]@{ key = $Relative; name = $Name; type = $type; data = $data }
}

# The values of HKLM\$Root and of its firewall subkeys (read-only).
function Read-Store {
    param([string]$Root)
    $values = New-Object System.Collections.Generic.List[object]
    $base = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($Root, $false)
    if ($null -eq $base) { return , $values }
    try {
        $keys = @(@{ Relative = ''; Key = $base })
        foreach ($sub in $FirewallSubkeys) {
            $k = $base.OpenSubKey($sub, $false)
            if ($null -ne $k) { $keys += @{ Relative = $sub; Key = $k } }
        }
        foreach ($entry in $keys) {
            foreach ($name in $entry.Key.GetValueNames()) {
                $v = ConvertTo-BundleValue -Key $entry.Key -Relative $entry.Relative -Name $name
                if ($null -ne $v) { $values.Add($v) }
            }
        }
    } finally {
        $base.Close()
    }
    return , $values
}

# The SMB values the audit reads, keys relative to HKLM.
function Read-SmbValues {
    $values = New-Object System.Collections.Generic.List[object]
    foreach ($path in $SmbKeys) {
        $k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($path, $false)
        if ($null -eq $k) { continue }
        try {
            foreach ($name in $k.GetValueNames()) {
                if ($SmbValueNames -notcontains $name) { continue }
                $v = ConvertTo-BundleValue -Key $k -Relative $path -Name $name
                if ($null -ne $v) { $values.Add($v) }
            }
        } finally {
            $k.Close()
        }
    }
    return , $values
}

function Get-HostAddresses {
    $out = New-Object System.Collections.Generic.List[string]
    foreach ($nic in [System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
        if ($nic.OperationalStatus -ne 'Up') { continue }
        foreach ($u in $nic.GetIPProperties().UnicastAddresses) {
            if ([System.Net.IPAddress]::IsLoopback($u.Address)) { continue }
            $out.Add($u.Address.ToString())
        }
    }
    return , $out
}

function Get-RegistryText {
    param([string]$Path, [string]$Name)
    $k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($Path, $false)
    if ($null -eq $k) { return '' }
    try { return [string]$k.GetValue($Name, '') } finally { $k.Close() }
}

function Get-Smb1Feature {
    try {
        $f = Get-CimInstance -ClassName Win32_OptionalFeature -Filter "Name='SMB1Protocol'" -ErrorAction Stop
    } catch {
        return 'unknown'
    }
    if ($null -eq $f) { return 'absent' }
    switch ([int]$f.InstallState) {
        1 { return 'enabled' }
        2 { return 'disabled' }
        3 { return 'absent' }
        default { return 'unknown' }
    }
}

function Get-Shares {
    $out = New-Object System.Collections.Generic.List[object]
    try {
        foreach ($s in @(Get-CimInstance -ClassName Win32_Share -ErrorAction Stop)) {
            $special = ([uint32]$s.Type) -ge [uint32]2147483648
            $out.Add([pscustomobject][ordered]@{ name = [string]$s.Name; path = [string]$s.Path; special = $special })
        }
    } catch {
        Write-Verbose ('shares not read: ' + $_.Exception.Message)
    }
    return , $out
}

function Get-SmbServices {
    $out = New-Object System.Collections.Generic.List[object]
    try {
        $filter = "Name='LanmanServer' OR Name='LanmanWorkstation'"
        foreach ($s in @(Get-CimInstance -ClassName Win32_Service -Filter $filter -ErrorAction Stop)) {
            $out.Add([pscustomobject][ordered]@{ name = [string]$s.Name; state = [string]$s.State; start = [string]$s.StartMode })
        }
    } catch {
        Write-Verbose ('services not read: ' + $_.Exception.Message)
    }
    return , $out
}

# SHA-1 of the stores, as smbguard computes it: "store\key!name=data" lines,
# sorted ordinally, joined with LF, UTF-8.
function Get-PolicyHash {
    param($Firewall)
    $lines = New-Object System.Collections.Generic.List[string]
    foreach ($store in @('gpo', 'mdm', 'local')) {
        foreach ($v in $Firewall[$store]) {
            if ($v.type -eq 'REG_MULTI_SZ') { $data = [string]::Join('|', [string[]]$v.data) } else { $data = [string]$v.data }
            $lines.Add($store + '\' + $v.key + '!' + $v.name + '=' + $data)
        }
    }
    $sorted = $lines.ToArray()
    [System.Array]::Sort($sorted, [System.StringComparer]::Ordinal)
    $bytes = (New-Object System.Text.UTF8Encoding $false).GetBytes([string]::Join("`n", $sorted))
    $sha = [System.Security.Cryptography.SHA1]::Create()
    try { $hash = $sha.ComputeHash($bytes) } finally { $sha.Dispose() }
    return ([System.BitConverter]::ToString($hash) -replace '-', '').ToLowerInvariant()
}

function Get-Dword {
    param($Values, [string]$Key, [string]$Name)
    foreach ($v in $Values) {
        if ($v.key -eq $Key -and $v.name -eq $Name -and $v.type -eq 'REG_DWORD') { return [int64]$v.data }
    }
    return $null
}

# The codes a host can tell on its own (the flow findings need smbguard audit).
function Get-LocalCodes {
    param($Bundle)
    $codes = New-Object System.Collections.Generic.List[string]
    $smb = $Bundle.smb.registry
    $server = 'SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters'
    $client = 'SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters'
    $clientPolicy = 'SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation'
    $featureOff = @('disabled', 'absent') -contains $Bundle.smb.smb1_feature
    $smb1Server = (Get-Dword $smb $server 'SMB1') -ne 0
    $smb1Client = (Get-Dword $smb 'SYSTEM\CurrentControlSet\Services\mrxsmb10' 'Start') -ne 4
    if ($RemoveSmb1 -and -not $featureOff -and ($smb1Server -or $smb1Client)) { $codes.Add('SG-H007') }
    $signing = ((Get-Dword $smb $server 'RequireSecuritySignature') -eq 1) -and ((Get-Dword $smb $client 'RequireSecuritySignature') -eq 1)
    $encrypt = (Get-Dword $smb $server 'EncryptData') -eq 1
    if (($RequireSigning -and -not $signing) -or ($Encryption -ne 'off' -and -not $encrypt)) { $codes.Add('SG-H008') }
    $ntlm = ((Get-Dword $smb $clientPolicy 'BlockNTLM') -eq 1) -or ((Get-Dword $smb $client 'BlockNTLM') -eq 1)
    if ($BlockNtlm -and -not $ntlm) { $codes.Add('SG-H009') }
    foreach ($p in @(@('DomainProfile', 'DomainProfile'), @('PrivateProfile', 'StandardProfile'), @('PublicProfile', 'PublicProfile'))) {
        $on = Get-Dword $Bundle.firewall['gpo'] $p[0] 'EnableFirewall'
        if ($null -eq $on) { $on = Get-Dword $Bundle.firewall['mdm'] $p[0] 'EnableFirewall' }
        if ($null -eq $on) { $on = Get-Dword $Bundle.firewall['local'] $p[1] 'EnableFirewall' }
        if ($on -eq 0) { $codes.Add('SG-H010'); break }
    }
    return , $codes
}

$firewall = [ordered]@{}
foreach ($s in $Stores) { $firewall[$s.Name] = Read-Store -Root $s.Root }
$cs = $null
try { $cs = Get-CimInstance -ClassName Win32_ComputerSystem -ErrorAction Stop } catch { Write-Verbose 'Win32_ComputerSystem not read' }
$nt = 'SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$build = Get-RegistryText $nt 'CurrentBuildNumber'
$ubr = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($nt, $false)
if ($null -ne $ubr) {
    try { $u = $ubr.GetValue('UBR', $null); if ($null -ne $u) { $build = $build + '.' + [string]$u } } finally { $ubr.Close() }
}
$bundle = [ordered]@{
    schema = 'smbguard-evidence/1'
    collector = 'smbguard ' + $SmbguardVersion + ' collector (estate ' + $Estate + ')'
    host = [ordered]@{
        name = [string]$env:COMPUTERNAME
        domain = $(if ($null -ne $cs) { [string]$cs.Domain } else { '' })
        domain_joined = $(if ($null -ne $cs) { [bool]$cs.PartOfDomain } else { $false })
        os_build = $build
        addresses = Get-HostAddresses
    }
    firewall = $firewall
    smb = [ordered]@{
        registry = Read-SmbValues
        smb1_feature = Get-Smb1Feature
        shares = Get-Shares
    }
    services = Get-SmbServices
}
$json = ConvertTo-Json -InputObject $bundle -Depth 8 -Compress
$target = $OutFile
if ($target -eq '' -and $OutDirectory -ne '') {
    $target = Join-Path $OutDirectory ([string]$env:COMPUTERNAME + '.json')
}
if ($target -ne '') {
    [System.IO.File]::WriteAllText($target, $json, (New-Object System.Text.UTF8Encoding $false))
} elseif (-not $Digest) {
    Write-Output $json
}
if ($Digest) {
    $rules = 0
    foreach ($s in @('gpo', 'mdm', 'local')) {
        $rules += @($firewall[$s] | Where-Object { $_.key -eq 'FirewallRules' }).Count
    }
    $codes = Get-LocalCodes -Bundle $bundle
    $codeText = $(if ($codes.Count -gt 0) { [string]::Join(',', $codes.ToArray()) } else { 'none' })
    $line = 'smbguard-digest/1 host=' + [string]$env:COMPUTERNAME + ' hash=' + (Get-PolicyHash -Firewall $firewall) + ' rules=' + $rules + ' codes=' + $codeText
    if ($line.Length -gt 2047) { $line = $line.Substring(0, 2047) }
    Write-Output $line
}
