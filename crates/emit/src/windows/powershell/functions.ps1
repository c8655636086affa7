# ---------------------------------------------------------------------------
# Runtime (static; the data above is what smbguard generated for this group).
# Every user string above is a single-quoted literal; nothing below builds a
# command from text, so no value can become code.
# ---------------------------------------------------------------------------

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$script:SmbguardCmdlet = $PSCmdlet
$script:Problems = [System.Collections.Generic.List[string]]::new()
# Settings this Windows build cannot take, each with the reason; reported per
# host and counted as problems, never skipped silently (review A.7).
$script:NotApplied = [System.Collections.Generic.List[string]]::new()
$script:FileSharingRules = $null
# Where the read-back looked (Get-SmbguardReadTarget), named in the final line.
$script:GpoApplied = $false
$script:ReadScope = $PolicyStore
$ReadOnlyStores = @('ActiveStore', 'RSOP', 'SystemDefaults', 'StaticServiceStore', 'ConfigurableServiceStore')
$IsDomainGpo = $PolicyStore.Contains('\')
# SMB settings, services and the host guard rails concern the machine the
# script runs on; for a domain GPO they travel in the GPO backup instead.
$IsLocalMachine = -not $IsDomainGpo
$HostsShares = ($Role -eq 'domain-controller' -or $Role -eq 'file-server')

function Write-SmbguardStatus([string]$State, [string]$What) {
    Write-Host ($State.PadRight(10) + ' ' + $What)
}

function Test-SmbguardChange([string]$What, [string]$Change) {
    return $script:SmbguardCmdlet.ShouldProcess($What, $Change)
}

function Add-SmbguardProblem([string]$Text) {
    $script:Problems.Add($Text)
}

# A list as one comparable string: sorted, comma-joined; empty or Any = 'Any'.
function Format-SmbguardList($Items) {
    $list = @($Items | Where-Object { $null -ne $_ -and [string]$_ -ne '' } | ForEach-Object { [string]$_ })
    if ($list.Count -eq 0 -or ($list.Count -eq 1 -and $list[0] -eq 'Any')) {
        return 'Any'
    }
    return (($list | Sort-Object) -join ',')
}

function ConvertTo-SmbguardNumber([System.Net.IPAddress]$Address) {
    $bytes = $Address.GetAddressBytes()
    [Array]::Reverse($bytes)
    $unsigned = [byte[]]($bytes + [byte]0)
    return [System.Numerics.BigInteger]::new($unsigned)
}

function Get-SmbguardMaskLength([System.Net.IPAddress]$Mask) {
    $length = 0
    foreach ($b in $Mask.GetAddressBytes()) {
        for ($bit = 7; $bit -ge 0; $bit--) {
            if (($b -shr $bit) -band 1) { $length++ }
        }
    }
    return $length
}

# Address lists compared as numeric ranges, whatever form Windows prints
# them in (a, a/len, a/mask, a-b); keywords are kept as words.
function ConvertTo-SmbguardRanges($Items) {
    $out = @()
    foreach ($item in @($Items)) {
        $text = [string]$item
        if ($text -eq '' -or $text -eq 'Any' -or $text -eq '*') { continue }
        $lo = $null
        $hi = $null
        if ($text.Contains('-')) {
            $pair = $text.Split('-')
            $lo = [System.Net.IPAddress]::Parse($pair[0])
            $hi = [System.Net.IPAddress]::Parse($pair[1])
        } elseif ($text.Contains('/')) {
            $pair = $text.Split('/')
            $base = [System.Net.IPAddress]::Parse($pair[0])
            $bits = $base.GetAddressBytes().Length * 8
            if ($pair[1].Contains('.')) {
                $length = Get-SmbguardMaskLength ([System.Net.IPAddress]::Parse($pair[1]))
            } else {
                $length = [int]$pair[1]
            }
            $size = [System.Numerics.BigInteger]::Pow(2, $bits - $length)
            $n = ConvertTo-SmbguardNumber $base
            $first = $n - [System.Numerics.BigInteger]::Remainder($n, $size)
            $out += ('' + $bits + ':' + $first.ToString() + '-' + ($first + $size - 1).ToString())
            continue
        } else {
            $parsed = $null
            if (-not [System.Net.IPAddress]::TryParse($text, [ref]$parsed)) {
                $out += $text
                continue
            }
            $lo = $parsed
            $hi = $parsed
        }
        $bits = $lo.GetAddressBytes().Length * 8
        $out += ('' + $bits + ':' + (ConvertTo-SmbguardNumber $lo).ToString() + '-' + (ConvertTo-SmbguardNumber $hi).ToString())
    }
    if ($out.Count -eq 0) {
        return 'Any'
    }
    return (($out | Sort-Object) -join ';')
}

# Allow (A) and deny (D) ACEs both count: a deny ACE is an exception, and
# dropping it would hide drift (review A.12).
function Get-SmbguardSids([string]$Sddl) {
    $sids = @()
    foreach ($m in [regex]::Matches($Sddl, '\((A|D);;CC;;;([^)]*)\)')) {
        $sids += ($m.Groups[1].Value + ':' + $m.Groups[2].Value)
    }
    return (($sids | Sort-Object) -join ',')
}

function Get-SmbguardTarget {
    if ($null -ne $script:Session) {
        return @{ GPOSession = $script:Session }
    }
    return @{ PolicyStore = $PolicyStore }
}

# The store the read-back compares against. Only PersistentStore rules take
# effect immediately ("Rules created in this store are attached to the
# ActiveStore and activated on the computer immediately", New-NetFirewallRule
# -PolicyStore); a GPO store takes effect through Group Policy processing, and
# a higher-precedence store or AllowLocalPolicyMerge = 0 can change what is
# enforced (MS-GPFAS 2.2.3.13). So local targets are verified in ActiveStore,
# what Windows enforces, after gpupdate for the local GPO (review A.5, A.6).
# A domain GPO is verified in ActiveStore too when Group Policy applied it to
# this computer (Test-SmbguardGpoApplied); otherwise only the GPO's contents
# can be read, and the script says so ($script:ReadScope).
function Get-SmbguardReadTarget {
    if ($IsDomainGpo -and -not $script:GpoApplied) {
        $script:ReadScope = 'the contents of ' + $PolicyStore + ' only (this computer is not in its scope: not what Windows enforces here)'
        return @{ PolicyStore = $PolicyStore }
    }
    $script:ReadScope = 'ActiveStore (what Windows enforces on this computer)'
    return @{ PolicyStore = 'ActiveStore' }
}

# Whether the last Group Policy refresh applied the domain GPO to this
# computer. RSoP logging records each GPO of the computer's GPO list as an
# RSOP_GPO instance in root\rsop\computer; an applied GPO is enabled, passed
# its WMI filter (filterAllowed) and was not denied by security filtering
# (accessDenied) (RSOP_GPO class; MS-GPOL 3.2.5.1.6). -PolicyStore names the
# GPO as DOMAIN\display-name, and RSOP_GPO.name is the display name.
function Test-SmbguardGpoApplied {
    $name = $PolicyStore.Substring($PolicyStore.IndexOf('\') + 1)
    try {
        $gpos = @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName RSOP_GPO -ErrorAction Stop)
    } catch {
        Write-SmbguardStatus 'note' ('cannot read RSoP (root\rsop\computer): ' + $_.Exception.Message)
        return $false
    }
    foreach ($gpo in $gpos) {
        if ([string]$gpo.name -eq $name -and $gpo.enabled -and $gpo.filterAllowed -and -not $gpo.accessDenied) {
            return $true
        }
    }
    return $false
}

function Compare-SmbguardRule($Want, $Have) {
    $d = @()
    if ([string]$Have.Enabled -ne 'True') { $d += ('Enabled is ' + [string]$Have.Enabled) }
    if ([string]$Have.Direction -ne $Want.Direction) { $d += ('Direction is ' + [string]$Have.Direction) }
    if ([string]$Have.Action -ne $Want.Action) { $d += ('Action is ' + [string]$Have.Action) }
    if ([string]$Have.Profile -ne $Want.Profile) { $d += ('Profile is ' + [string]$Have.Profile) }
    if ([string]$Have.Group -ne $RuleGroup) { $d += ('Group is ' + [string]$Have.Group) }
    if ($Want.Direction -eq 'Inbound' -and [string]$Have.EdgeTraversalPolicy -ne 'Block') {
        $d += ('EdgeTraversalPolicy is ' + [string]$Have.EdgeTraversalPolicy)
    }
    $pf = $Have | Get-NetFirewallPortFilter
    if ([string]$pf.Protocol -ne $Want.Protocol) { $d += ('Protocol is ' + [string]$pf.Protocol) }
    if ((Format-SmbguardList $pf.LocalPort) -ne (Format-SmbguardList $Want.LocalPort)) {
        $d += ('LocalPort is ' + (Format-SmbguardList $pf.LocalPort))
    }
    if ((Format-SmbguardList $pf.RemotePort) -ne (Format-SmbguardList $Want.RemotePort)) {
        $d += ('RemotePort is ' + (Format-SmbguardList $pf.RemotePort))
    }
    $af = $Have | Get-NetFirewallAddressFilter
    if ((ConvertTo-SmbguardRanges $af.RemoteAddress) -ne (ConvertTo-SmbguardRanges $Want.RemoteAddress)) {
        $d += ('RemoteAddress is ' + (Format-SmbguardList $af.RemoteAddress))
    }
    if ((ConvertTo-SmbguardRanges $af.LocalAddress) -ne 'Any') {
        $d += ('LocalAddress is ' + (Format-SmbguardList $af.LocalAddress))
    }
    # Filters smbguard never sets must stay Any: a program, service,
    # interface-type or user condition narrows a block rule (review A.12).
    $app = $Have | Get-NetFirewallApplicationFilter
    if ((Format-SmbguardList $app.Program) -ne 'Any') { $d += ('Program is ' + [string]$app.Program) }
    $svc = $Have | Get-NetFirewallServiceFilter
    if ((Format-SmbguardList $svc.Service) -ne 'Any') { $d += ('Service is ' + [string]$svc.Service) }
    $itf = $Have | Get-NetFirewallInterfaceTypeFilter
    if ((Format-SmbguardList $itf.InterfaceType) -ne 'Any') { $d += ('InterfaceType is ' + [string]$itf.InterfaceType) }
    $sf = $Have | Get-NetFirewallSecurityFilter
    if ((Format-SmbguardList $sf.LocalUser) -ne 'Any') { $d += ('LocalUser is ' + [string]$sf.LocalUser) }
    if ((Format-SmbguardList $sf.RemoteUser) -ne 'Any') { $d += ('RemoteUser is ' + [string]$sf.RemoteUser) }
    if ([string]$sf.Authentication -ne $Want.Authentication) { $d += ('Authentication is ' + [string]$sf.Authentication) }
    if ([string]$sf.Encryption -ne $Want.Encryption) { $d += ('Encryption is ' + [string]$sf.Encryption) }
    if ([bool]$sf.OverrideBlockRules -ne $Want.OverrideBlockRules) { $d += ('OverrideBlockRules is ' + [string]$sf.OverrideBlockRules) }
    if ((Get-SmbguardSids ([string]$sf.RemoteMachine)) -ne (Get-SmbguardSids $Want.RemoteMachine)) {
        $d += ('RemoteMachine is ' + [string]$sf.RemoteMachine)
    }
    return $d
}

function New-SmbguardRule($Want) {
    $target = Get-SmbguardTarget
    $p = @{
        Name = $Want.Name
        DisplayName = $Want.DisplayName
        Description = $Want.Description
        Group = $RuleGroup
        Enabled = 'True'
        Direction = $Want.Direction
        Action = $Want.Action
        Profile = $Want.Profile
        Protocol = $Want.Protocol
    }
    # Inbound rules name the local (server) port; outbound rules the remote
    # port, never -LocalPort (the client's port is ephemeral).
    if (@($Want.LocalPort).Count -gt 0) { $p.LocalPort = $Want.LocalPort }
    if (@($Want.RemotePort).Count -gt 0) { $p.RemotePort = $Want.RemotePort }
    if (@($Want.RemoteAddress).Count -gt 0) { $p.RemoteAddress = $Want.RemoteAddress }
    if ($Want.Direction -eq 'Inbound') { $p.EdgeTraversalPolicy = 'Block' }
    if ($Want.Authentication -ne 'NotRequired') { $p.Authentication = $Want.Authentication }
    if ($Want.Encryption -ne 'NotRequired') { $p.Encryption = $Want.Encryption }
    # OverrideBlockRules turns an allow-if-secure rule into an authenticated
    # bypass; inbound bypass rules must name the authorised computers.
    if ($Want.OverrideBlockRules) { $p.OverrideBlockRules = $true }
    if ($Want.RemoteMachine -ne '') { $p.RemoteMachine = $Want.RemoteMachine }
    New-NetFirewallRule @target @p | Out-Null
}

# Inside a GPO session the delete must carry the session: the 2025 docset
# lists no -GPOSession on Remove-NetFirewallRule, and a rule piped into it
# carries no session option, so the old rule would stay and the next
# New-NetFirewallRule with the same -Name would fail before Save-NetGPO
# (review A.3). The CIM delete with the custom option GPOSession is the
# pattern of MichaelGrafnetter/active-directory-firewall
# (Set-ADDSFirewallPolicy.ps1).
function Remove-SmbguardRule([string]$Name) {
    $target = Get-SmbguardTarget
    if (-not $target.ContainsKey('GPOSession')) {
        Remove-NetFirewallRule @target -Name $Name
        return
    }
    $options = [Microsoft.Management.Infrastructure.Options.CimOperationOptions]::new()
    $options.SetCustomOption('GPOSession', $script:Session, $false)
    $cim = New-CimSession
    try {
        foreach ($rule in @(Get-NetFirewallRule @target -Name $Name)) {
            $cim.DeleteInstance('ROOT\StandardCimv2', $rule, $options)
        }
    } finally {
        Remove-CimSession -CimSession $cim
    }
}

# Converges smbguard's rules: a rule that already matches the plan is left
# alone, one that differs is replaced, a missing one is created, and rules in
# smbguard's group that the plan no longer has are removed. Rules outside
# smbguard's group are never touched.
function Sync-SmbguardRules {
    $target = Get-SmbguardTarget
    $wanted = @($Rules | ForEach-Object { $_.Name })
    foreach ($want in $Rules) {
        $have = Get-NetFirewallRule @target -Name $want.Name -ErrorAction SilentlyContinue
        if ($null -ne $have) {
            $diff = @(Compare-SmbguardRule $want $have)
            if ($diff.Count -eq 0) {
                Write-SmbguardStatus 'unchanged' ($want.Kb + ' ' + $want.DisplayName + ' [' + $want.Name + ']')
                continue
            }
            if (Test-SmbguardChange ($want.DisplayName + ' [' + $want.Name + ']') ('Replace firewall rule (' + ($diff -join '; ') + ')')) {
                Remove-SmbguardRule $want.Name
                New-SmbguardRule $want
                Write-SmbguardStatus 'replaced' ($want.Kb + ' ' + $want.DisplayName + ' [' + $want.Name + ']')
            }
            continue
        }
        if (Test-SmbguardChange ($want.DisplayName + ' [' + $want.Name + ']') 'Create firewall rule') {
            New-SmbguardRule $want
            Write-SmbguardStatus 'created' ($want.Kb + ' ' + $want.DisplayName + ' [' + $want.Name + ']')
        }
    }
    foreach ($stale in @(Get-NetFirewallRule @target -Group $RuleGroup -ErrorAction SilentlyContinue)) {
        if ($wanted -contains $stale.Name) { continue }
        if (Test-SmbguardChange ([string]$stale.DisplayName + ' [' + $stale.Name + ']') 'Remove firewall rule no longer in the plan') {
            Remove-SmbguardRule $stale.Name
            Write-SmbguardStatus 'removed' ([string]$stale.DisplayName + ' [' + $stale.Name + ']')
        }
    }
}

# Built-in rules are disabled by rule ID (display names are translated). A
# GPO store does not hold them: the stock rule is copied in and disabled, and
# the same-ID copy overrides the local rule (reference section 4.2).
function Disable-SmbguardBuiltin([string]$Id, [string]$Why) {
    $target = Get-SmbguardTarget
    $rule = Get-NetFirewallRule @target -Name $Id -ErrorAction SilentlyContinue
    if ($null -ne $rule) {
        if ([string]$rule.Enabled -eq 'False') {
            Write-SmbguardStatus 'unchanged' ('built-in ' + $Id + ' disabled')
            return
        }
        if (Test-SmbguardChange ('built-in rule ' + $Id) ('Disable (' + $Why + ')')) {
            Disable-NetFirewallRule @target -Name $Id
            Write-SmbguardStatus 'disabled' ('built-in ' + $Id)
        }
        return
    }
    if ($PolicyStore -eq 'PersistentStore') {
        Write-SmbguardStatus 'absent' ('built-in ' + $Id + ' does not exist on this Windows build')
        return
    }
    $stock = Get-NetFirewallRule -PolicyStore PersistentStore -Name $Id -ErrorAction SilentlyContinue
    if ($null -eq $stock) {
        Write-SmbguardStatus 'absent' ('built-in ' + $Id + ' is not on this machine, so it cannot be copied into the policy store')
        return
    }
    if (Test-SmbguardChange ('built-in rule ' + $Id) ('Copy into ' + $PolicyStore + ' and disable (' + $Why + ')')) {
        if ($target.ContainsKey('GPOSession')) {
            Copy-NetFirewallRule -PolicyStore PersistentStore -Name $Id -NewGPOSession $script:Session
        } else {
            Copy-NetFirewallRule -PolicyStore PersistentStore -Name $Id -NewPolicyStore $PolicyStore
        }
        Disable-NetFirewallRule @target -Name $Id
        Write-SmbguardStatus 'disabled' ('built-in ' + $Id + ' (copied into ' + $PolicyStore + ')')
    }
}

# Windows 11 24H2 and Server 2025 add the "File and Printer Sharing
# (Restrictive)" group, enabled automatically when a share is created. Its
# rule IDs are not documented and its display names are translated, so the
# rules are found by what they do: inbound rules of this machine's store,
# outside smbguard's group, in a File and Printer Sharing group (the
# resource strings @FirewallAPI.dll,-28502 for the classic group and
# -28672 for the Restrictive one, as seen in one public export, or an English
# display group starting with "File and Printer Sharing"), whose local port
# is one of the SMB transports this plan governs.
function Get-SmbguardFileSharingRules {
    # Found once per run: every inbound rule's port filter is read only here.
    if ($null -ne $script:FileSharingRules) { return $script:FileSharingRules }
    $groups = @('@FirewallAPI.dll,-28502', '@FirewallAPI.dll,-28672')
    $found = @()
    foreach ($rule in @(Get-NetFirewallRule -PolicyStore PersistentStore -Direction Inbound -ErrorAction SilentlyContinue)) {
        if ([string]$rule.Group -eq $RuleGroup) { continue }
        if ($BuiltinRuleIds -contains $rule.Name) { continue }
        $sharing = ($groups -contains [string]$rule.Group) -or ([string]$rule.DisplayGroup -like 'File and Printer Sharing*')
        if (-not $sharing) { continue }
        $pf = $rule | Get-NetFirewallPortFilter
        foreach ($t in $GovernedInbound) {
            if ([string]$pf.Protocol -eq $t.Protocol -and (@($pf.LocalPort) -contains $t.Port)) {
                $found += $rule
                break
            }
        }
    }
    $script:FileSharingRules = $found
    return $found
}

function Sync-SmbguardBuiltins {
    foreach ($id in $BuiltinRuleIds) {
        Disable-SmbguardBuiltin $id 'KB3185535: built-in rule that opens SMB'
    }
    foreach ($rule in @(Get-SmbguardFileSharingRules)) {
        Disable-SmbguardBuiltin $rule.Name ('File and Printer Sharing rule on an SMB port: ' + [string]$rule.DisplayName)
    }
}

function Sync-SmbguardProfiles {
    $target = Get-SmbguardTarget
    foreach ($want in $ProfileDefaults) {
        $have = Get-NetFirewallProfile @target -Name $want.Name
        $same = ([string]$have.Enabled -eq $want.Enabled) -and ([string]$have.DefaultInboundAction -eq $want.DefaultInboundAction) -and ([string]$have.DefaultOutboundAction -eq $want.DefaultOutboundAction)
        if ($same) {
            Write-SmbguardStatus 'unchanged' ($want.Name + ' profile defaults')
            continue
        }
        if (Test-SmbguardChange ($want.Name + ' profile') ('Set Enabled=' + $want.Enabled + ', DefaultInboundAction=' + $want.DefaultInboundAction + ', DefaultOutboundAction=' + $want.DefaultOutboundAction)) {
            Set-NetFirewallProfile @target -Name $want.Name -Enabled $want.Enabled -DefaultInboundAction $want.DefaultInboundAction -DefaultOutboundAction $want.DefaultOutboundAction
            Write-SmbguardStatus 'set' ($want.Name + ' profile defaults')
        }
    }
}

# Proposals as comparable text: 'MachineKerberos', 'None/None/None', ...
function Format-SmbguardProposals($Set, [string]$Kind) {
    if ($null -eq $Set) { return '' }
    $out = @()
    foreach ($p in @($Set.Proposal)) {
        if ($Kind -eq 'Auth') {
            $out += [string]$p.AuthenticationMethod
        } else {
            $out += ([string]$p.Encapsulation + '/' + [string]$p.ESPHash + '/' + [string]$p.Encryption)
        }
    }
    return ($out -join ',')
}

function Compare-SmbguardIsolation($Have, $Target) {
    $d = @()
    if ([string]$Have.Enabled -ne 'True') { $d += ('Enabled is ' + [string]$Have.Enabled) }
    if ([string]$Have.InboundSecurity -ne $Isolation.InboundSecurity) { $d += ('InboundSecurity is ' + [string]$Have.InboundSecurity) }
    if ([string]$Have.OutboundSecurity -ne $Isolation.OutboundSecurity) { $d += ('OutboundSecurity is ' + [string]$Have.OutboundSecurity) }
    if ([string]$Have.Phase1AuthSet -ne $Isolation.Phase1Name) { $d += ('Phase1AuthSet is ' + [string]$Have.Phase1AuthSet) }
    if ([string]$Have.Phase2AuthSet -ne $Isolation.Phase2Name) { $d += ('Phase2AuthSet is ' + [string]$Have.Phase2AuthSet) }
    if ([string]$Have.Profile -ne $Isolation.Profile) { $d += ('Profile is ' + [string]$Have.Profile) }
    if ([string]$Have.QuickModeCryptoSet -ne $Isolation.QuickModeName) { $d += ('QuickModeCryptoSet is ' + [string]$Have.QuickModeCryptoSet) }
    # The sets themselves: a same-named set with other proposals is drift too (review A.12).
    $p1 = Format-SmbguardProposals (Get-NetIPsecPhase1AuthSet @Target -Name $Isolation.Phase1Name -ErrorAction SilentlyContinue) 'Auth'
    if ($p1 -ne 'MachineKerberos') { $d += ('phase 1 proposals are ' + $p1) }
    $p2 = Format-SmbguardProposals (Get-NetIPsecPhase2AuthSet @Target -Name $Isolation.Phase2Name -ErrorAction SilentlyContinue) 'Auth'
    if ($p2 -ne 'UserKerberos') { $d += ('phase 2 proposals are ' + $p2) }
    $qm = Format-SmbguardProposals (Get-NetIPsecQuickModeCryptoSet @Target -Name $Isolation.QuickModeName -ErrorAction SilentlyContinue) 'Crypto'
    if ($qm -ne $Isolation.QuickModeProposals) { $d += ('quick mode proposals are ' + $qm) }
    return $d
}

# The quick-mode set of the isolation rule: null encapsulation first (the
# peer is authenticated, packets are not wrapped: what the rules'
# -Authentication NoEncap needs, "you must also configure an IPsec rule that
# specifies authentication with encapsulation none as a quick mode security
# method", New-NetFirewallRule -Authentication), then ESP SHA-256 integrity
# without encryption, because "AuthNoEncap must be accompanied by at least
# one AH or ESP integrity suite" (netsh-advfirewall, consec remarks). The
# first proposal both peers have is used (New-NetIPsecQuickModeCryptoSet).
function New-SmbguardQuickModeProposals {
    $noencap = New-NetIPsecQuickModeCryptoProposal -Encapsulation None
    $esp = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -ESPHash SHA256 -Encryption None
    return @($noencap, $esp)
}

# The isolation rule of KB3185535 (K7): request authentication inbound and
# outbound, Kerberos V5 computer (phase 1) and user (phase 2). Without it on
# both ends the bypass rules above cannot apply.
function Sync-SmbguardIsolation {
    if ($null -eq $Isolation) { return }
    $target = Get-SmbguardTarget
    $have = Get-NetIPsecRule @target -Name $Isolation.Name -ErrorAction SilentlyContinue
    if ($null -ne $have) {
        $diff = @(Compare-SmbguardIsolation $have $target)
        if ($diff.Count -eq 0) {
            Write-SmbguardStatus 'unchanged' ('K7 ' + $Isolation.DisplayName)
            return
        }
    }
    if (-not (Test-SmbguardChange ($Isolation.DisplayName + ' [' + $Isolation.Name + ']') 'Create connection security rule (request/request, Kerberos V5 computer and user, null encapsulation then ESP SHA-256)')) {
        return
    }
    if ($null -ne $have) {
        Remove-NetIPsecRule @target -Name $Isolation.Name
    }
    if ($null -ne (Get-NetIPsecPhase1AuthSet @target -Name $Isolation.Phase1Name -ErrorAction SilentlyContinue)) {
        Remove-NetIPsecPhase1AuthSet @target -Name $Isolation.Phase1Name
    }
    if ($null -ne (Get-NetIPsecPhase2AuthSet @target -Name $Isolation.Phase2Name -ErrorAction SilentlyContinue)) {
        Remove-NetIPsecPhase2AuthSet @target -Name $Isolation.Phase2Name
    }
    if ($null -ne (Get-NetIPsecQuickModeCryptoSet @target -Name $Isolation.QuickModeName -ErrorAction SilentlyContinue)) {
        Remove-NetIPsecQuickModeCryptoSet @target -Name $Isolation.QuickModeName
    }
    $machine = New-NetIPsecAuthProposal -Machine -Kerberos
    New-NetIPsecPhase1AuthSet @target -Name $Isolation.Phase1Name -DisplayName $Isolation.Phase1DisplayName -Proposal $machine | Out-Null
    $user = New-NetIPsecAuthProposal -User -Kerberos
    New-NetIPsecPhase2AuthSet @target -Name $Isolation.Phase2Name -DisplayName $Isolation.Phase2DisplayName -Proposal $user | Out-Null
    New-NetIPsecQuickModeCryptoSet @target -Name $Isolation.QuickModeName -DisplayName $Isolation.QuickModeDisplayName -Proposal (New-SmbguardQuickModeProposals) | Out-Null
    New-NetIPsecRule @target -Name $Isolation.Name -DisplayName $Isolation.DisplayName -Description $Isolation.Description -Group $RuleGroup -InboundSecurity $Isolation.InboundSecurity -OutboundSecurity $Isolation.OutboundSecurity -Phase1AuthSet $Isolation.Phase1Name -Phase2AuthSet $Isolation.Phase2Name -QuickModeCryptoSet $Isolation.QuickModeName -Profile $Isolation.Profile | Out-Null
    Write-SmbguardStatus 'created' ('K7 ' + $Isolation.DisplayName)
}

# The guard rails of KB3185535, checked again on the host itself: the plan
# cannot know which machine the script ends up on.
function Assert-SmbguardHost {
    if (-not $IsLocalMachine) { return }
    $computer = Get-CimInstance -ClassName Win32_ComputerSystem
    $isDc = $computer.DomainRole -ge 4
    if ($isDc -and $RefuseOnDomainController) {
        throw ('smbguard: refusing to apply the ' + $Role + ' policy of group ' + $GroupName + ' to a domain controller: it would block the SMB that Group Policy and logons need (KB3185535 K5).')
    }
    if ($Services -contains 'LanmanServer') {
        if ($isDc) {
            throw 'smbguard: refusing to disable the Server service on a domain controller (KB3185535 K8).'
        }
        $shares = @(Get-SmbShare -ErrorAction SilentlyContinue | Where-Object { -not $_.Special })
        if ($shares.Count -gt 0) {
            throw ('smbguard: refusing to disable the Server service: this host shares ' + (($shares | ForEach-Object { $_.Name }) -join ', ') + ' (KB3185535 K8).')
        }
    }
    if ($Services -contains 'LanmanWorkstation' -and $computer.PartOfDomain) {
        throw 'smbguard: refusing to disable the Workstation service on a domain member: it would stop applying Group Policy (KB3185535 K8).'
    }
}

function Get-SmbguardServerSettings {
    $s = [ordered]@{}
    if ($Smb.DisableSmb1) { $s.EnableSMB1Protocol = $false }
    if ($Smb.RequireSigning) { $s.RequireSecuritySignature = $true }
    if ($Smb.Encryption -ne 'Off') {
        $s.EncryptData = $true
        $s.RejectUnencryptedAccess = ($Smb.Encryption -eq 'Required')
    }
    # The dialect minimum exists only on Windows 11 24H2 / Server 2025
    # (manage-smb-dialects.md, prerequisites); older builds report it.
    $parameters = (Get-Command -Name Set-SmbServerConfiguration).Parameters
    if ($parameters.ContainsKey('Smb2DialectMin')) {
        $s.Smb2DialectMin = $Smb.MinDialect
    }
    foreach ($pair in (Get-SmbguardHardening 'Server')) {
        if ($parameters.ContainsKey($pair[0])) { $s[$pair[0]] = $pair[1] }
    }
    return $s
}

# The 24H2 / Server 2025 settings of one side as (parameter, value) pairs
# (modern-smb.md: smb-ntlm-blocking.md, smb-over-quic.md "Manage SMB over
# QUIC", remote mailslots, smb-signing-overview.md auditing).
function Get-SmbguardHardening([string]$Side) {
    $out = @()
    $out += , @('EnableMailslots', $Smb.RemoteMailslots)
    if ($Side -eq 'Client') {
        $out += , @('BlockNTLM', $Smb.BlockNtlm)
        # The SMB over QUIC client would bypass the TCP 445 rules: off unless
        # the estate declares QUIC servers.
        $out += , @('EnableSMBQUIC', (@($Smb.QuicServers).Count -gt 0))
        if ($Smb.Audit) {
            $out += , @('AuditServerDoesNotSupportEncryption', $true)
            $out += , @('AuditServerDoesNotSupportSigning', $true)
        }
    } elseif ($Smb.Audit) {
        $out += , @('AuditClientDoesNotSupportEncryption', $true)
        $out += , @('AuditClientDoesNotSupportSigning', $true)
        $out += , @('AuditSmb1Access', $true)
    }
    return , $out
}

# What this build cannot apply, with the reason (review A.7): the parameter is
# missing from the SmbShare module before 24H2 / Server 2025
# (configure-smb-client-require-encryption.md, manage-smb-dialects.md).
function Get-SmbguardUnsupportedSmb {
    $out = @()
    $server = (Get-Command -Name Set-SmbServerConfiguration).Parameters
    $client = (Get-Command -Name Set-SmbClientConfiguration).Parameters
    if (-not $server.ContainsKey('Smb2DialectMin')) {
        $out += ('SMB server Smb2DialectMin=' + $Smb.MinDialect + ': not supported before Windows 11 24H2 / Server 2025 (manage-smb-dialects.md)')
    }
    if (-not $client.ContainsKey('Smb2DialectMin')) {
        $out += ('SMB client Smb2DialectMin=' + $Smb.MinDialect + ': not supported before Windows 11 24H2 / Server 2025 (manage-smb-dialects.md)')
    }
    if ($Smb.Encryption -eq 'Required' -and -not $client.ContainsKey('RequireEncryption')) {
        $out += 'SMB client RequireEncryption: not supported before Windows 11 24H2 / Server 2025 (configure-smb-client-require-encryption.md); use UNC hardening for the DC and file-server paths'
    }
    # A setting that only turns something on is reported when asked for; the
    # QUIC client exists from Windows 11 / Server 2022 (build 22000) on, so
    # older builds have nothing to turn off.
    $build = [Environment]::OSVersion.Version.Build
    foreach ($side in @(@('Client', $client), @('Server', $server))) {
        foreach ($pair in (Get-SmbguardHardening $side[0])) {
            $name = $pair[0]
            if ($side[1].ContainsKey($name)) { continue }
            $wanted = [bool]$pair[1]
            $matters = $wanted -or ($name -eq 'EnableSMBQUIC' -and $build -ge 22000)
            if ($matters) {
                $out += ('SMB ' + $side[0].ToLower() + ' ' + $name + '=' + [string]$pair[1] + ': not supported by this Windows build (Windows 11 24H2 / Server 2025 setting, modern-smb.md)')
            }
        }
    }
    return $out
}

# The NTLM exception list has no cmdlet: the "Block NTLM Server Exception
# List" policy value (REG_MULTI_SZ, modern-smb.md) is written where NTLM
# blocking is supported and asked for.
function Sync-SmbguardNtlmExceptions {
    $parameters = (Get-Command -Name Set-SmbClientConfiguration).Parameters
    if (-not $Smb.BlockNtlm -or -not $parameters.ContainsKey('BlockNTLM') -or @($Smb.NtlmExceptions).Count -eq 0) { return }
    $key = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation'
    $have = @((Get-ItemProperty -LiteralPath $key -Name BlockNTLMServerExceptionList -ErrorAction SilentlyContinue).BlockNTLMServerExceptionList)
    if ((Format-SmbguardList $have) -eq (Format-SmbguardList $Smb.NtlmExceptions)) {
        Write-SmbguardStatus 'unchanged' 'NTLM server exception list'
        return
    }
    if (Test-SmbguardChange 'NTLM server exception list' ('Set ' + (@($Smb.NtlmExceptions) -join ', '))) {
        if (-not (Test-Path -LiteralPath $key)) { New-Item -Path $key -Force | Out-Null }
        Set-ItemProperty -LiteralPath $key -Name BlockNTLMServerExceptionList -Value @($Smb.NtlmExceptions) -Type MultiString
        Write-SmbguardStatus 'set' 'NTLM server exception list'
    }
}

function Get-SmbguardClientSettings {
    $s = [ordered]@{}
    if ($Smb.RequireSigning) { $s.RequireSecuritySignature = $true }
    $parameters = (Get-Command -Name Set-SmbClientConfiguration).Parameters
    if ($Smb.Encryption -eq 'Required' -and $parameters.ContainsKey('RequireEncryption')) {
        $s.RequireEncryption = $true
    }
    if ($parameters.ContainsKey('Smb2DialectMin')) {
        $s.Smb2DialectMin = $Smb.MinDialect
    }
    foreach ($pair in (Get-SmbguardHardening 'Client')) {
        if ($parameters.ContainsKey($pair[0])) { $s[$pair[0]] = $pair[1] }
    }
    return $s
}

function Compare-SmbguardSettings($Have, $Want) {
    $d = @()
    foreach ($key in @($Want.Keys)) {
        if ([string]$Have.$key -ne [string]$Want[$key]) {
            $d += ($key + ' is ' + [string]$Have.$key)
        }
    }
    return $d
}

function Sync-SmbguardSmb {
    if (-not $IsLocalMachine) { return }
    if ($null -eq (Get-Command -Name Set-SmbServerConfiguration -ErrorAction SilentlyContinue)) {
        Add-SmbguardProblem 'the SmbShare module is missing: SMB settings (K9, K2) cannot be applied'
        return
    }
    $server = Get-SmbguardServerSettings
    $diff = @(Compare-SmbguardSettings (Get-SmbServerConfiguration) $server)
    if ($diff.Count -eq 0) {
        Write-SmbguardStatus 'unchanged' 'SMB server settings'
    } elseif (Test-SmbguardChange 'SMB server configuration' ('Set ' + (($server.Keys | ForEach-Object { $_ + '=' + [string]$server[$_] }) -join ', '))) {
        Set-SmbServerConfiguration @server -Force
        Write-SmbguardStatus 'set' 'SMB server settings'
    }
    $client = Get-SmbguardClientSettings
    $diff = @(Compare-SmbguardSettings (Get-SmbClientConfiguration) $client)
    if ($diff.Count -eq 0) {
        Write-SmbguardStatus 'unchanged' 'SMB client settings'
    } elseif (Test-SmbguardChange 'SMB client configuration' ('Set ' + (($client.Keys | ForEach-Object { $_ + '=' + [string]$client[$_] }) -join ', '))) {
        Set-SmbClientConfiguration @client -Force
        Write-SmbguardStatus 'set' 'SMB client settings'
    }
    Sync-SmbguardNtlmExceptions
    foreach ($reason in @(Get-SmbguardUnsupportedSmb)) {
        Write-SmbguardStatus 'skipped' $reason
    }
    if ($Smb.DisableSmb1) {
        Sync-SmbguardSmb1Feature
        Sync-SmbguardSmb1Client
    }
}

# The SMB1 feature through dism.exe, never the DISM PowerShell module: on
# PowerShell 7 (MSIX/Store) the DISM cmdlets throw a terminating "Class not
# registered" that -ErrorAction cannot catch (PowerShell/PowerShell#13866,
# about_CommonParameters), which would stop the script before services and
# read-back (review A.1). dism.exe works in every host; a failure is recorded.
function Get-SmbguardSmb1State {
    try {
        $info = & dism.exe /English /Online /Get-FeatureInfo /FeatureName:SMB1Protocol 2>&1
        if ($LASTEXITCODE -ne 0) { return ('dism.exe exit code ' + $LASTEXITCODE) }
        foreach ($line in @($info)) {
            if ([string]$line -match '^State : (.+)$') { return $Matches[1].Trim() }
        }
        return 'unknown'
    } catch {
        return ('dism.exe failed: ' + $_.Exception.Message)
    }
}

function Sync-SmbguardSmb1Feature {
    $state = Get-SmbguardSmb1State
    if ($state -eq 'Disabled with Payload Removed' -or $state -eq 'Disabled') {
        Write-SmbguardStatus 'unchanged' ('SMB1 feature ' + $state)
        return
    }
    if ($state -ne 'Enabled' -and $state -ne 'Enable Pending') {
        Add-SmbguardProblem ('SMB1 feature state unknown (' + $state + '): K9 not verified')
        return
    }
    if (-not (Test-SmbguardChange 'Windows feature SMB1Protocol' 'Disable and remove SMB1 (K9; takes effect after a restart)')) { return }
    try {
        # /Remove drops the payload: "disable and remove SMB1" (KB3185535 K9).
        & dism.exe /Online /Disable-Feature /FeatureName:SMB1Protocol /Remove /NoRestart /Quiet | Out-Null
        if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 3010) {
            Add-SmbguardProblem ('dism.exe could not remove SMB1 (exit code ' + $LASTEXITCODE + ')')
            return
        }
        Write-SmbguardStatus 'removed' 'SMB1 feature (restart pending)'
    } catch {
        Add-SmbguardProblem ('dism.exe could not remove SMB1: ' + $_.Exception.Message)
    }
}

# The SMB1 client driver (mrxsmb10) and the Workstation service's dependency
# on it, as detect-enable-and-disable-smbv1-v2-v3.md ("Disable SMBv1 Client")
# sets them: Start = 4 and DependOnService = Bowser, MRxSmb20, NSI (review
# A.10). Where the driver is absent (SMB1 already removed) nothing is left.
$Smb1ClientKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\mrxsmb10'
$WorkstationKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\LanmanWorkstation'
$WorkstationDepends = @('Bowser', 'MRxSmb20', 'NSI')

function Test-SmbguardSmb1Client {
    $d = @()
    if (Test-Path -LiteralPath $Smb1ClientKey) {
        $start = (Get-ItemProperty -LiteralPath $Smb1ClientKey -Name Start -ErrorAction SilentlyContinue).Start
        if ([string]$start -ne '4') { $d += ('SMB1 client driver mrxsmb10 Start is ' + [string]$start) }
    }
    $deps = @((Get-ItemProperty -LiteralPath $WorkstationKey -Name DependOnService -ErrorAction SilentlyContinue).DependOnService)
    if (@($deps | Where-Object { [string]$_ -eq 'MRxSmb10' }).Count -gt 0) {
        $d += 'LanmanWorkstation still depends on MRxSmb10'
    }
    return $d
}

function Sync-SmbguardSmb1Client {
    $diff = @(Test-SmbguardSmb1Client)
    if ($diff.Count -eq 0) {
        Write-SmbguardStatus 'unchanged' 'SMB1 client driver disabled'
        return
    }
    if (-not (Test-SmbguardChange 'SMB1 client driver mrxsmb10' 'Disable (Start=4) and remove it from the Workstation dependencies (K9)')) { return }
    try {
        if (Test-Path -LiteralPath $Smb1ClientKey) {
            Set-ItemProperty -LiteralPath $Smb1ClientKey -Name Start -Value 4 -Type DWord
        }
        Set-ItemProperty -LiteralPath $WorkstationKey -Name DependOnService -Value $WorkstationDepends -Type MultiString
        Write-SmbguardStatus 'disabled' 'SMB1 client driver mrxsmb10 (restart pending)'
    } catch {
        Add-SmbguardProblem ('SMB1 client driver: ' + $_.Exception.Message)
    }
}

# K8: only for the isolated role, after the guard rails above.
function Sync-SmbguardServices {
    if (-not $IsLocalMachine) { return }
    foreach ($name in $Services) {
        $service = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($null -eq $service) {
            Write-SmbguardStatus 'absent' ('service ' + $name)
            continue
        }
        if ([string]$service.StartType -eq 'Disabled' -and [string]$service.Status -eq 'Stopped') {
            Write-SmbguardStatus 'unchanged' ('service ' + $name + ' stopped and disabled')
            continue
        }
        if (Test-SmbguardChange ('service ' + $name) 'Stop and disable (KB3185535 K8)') {
            Stop-Service -Name $name -Force
            Set-Service -Name $name -StartupType Disabled
            Write-SmbguardStatus 'disabled' ('service ' + $name)
        }
    }
}

# Windows settings that change what the rules of a store do (MS-GPFAS
# 2.2.3.13-14, 2.2.3.3): local rules ignored when merge is off, every inbound
# allow and bypass ignored in shielded mode (DoNotAllowExceptions; netsh
# "blockinboundalways": blocks all inbound connections even if the connection
# matches a rule).
function Test-SmbguardEffectiveProfiles($Target) {
    foreach ($profile in @(Get-NetFirewallProfile @Target)) {
        if ($PolicyStore -eq 'PersistentStore' -and [string]$profile.AllowLocalFirewallRules -eq 'False') {
            Add-SmbguardProblem ($profile.Name + ' profile: a GPO sets AllowLocalPolicyMerge = 0, so the local rules written here are ignored')
        }
        if ($PolicyStore -eq 'PersistentStore' -and $null -ne $Isolation -and [string]$profile.AllowLocalIPsecRules -eq 'False') {
            Add-SmbguardProblem ($profile.Name + ' profile: a GPO sets AllowLocalIPsecPolicyMerge = 0, so the local connection security rule is ignored')
        }
        if ($HostsShares -and [string]$profile.AllowInboundRules -eq 'False') {
            Add-SmbguardProblem ($profile.Name + ' profile is in shielded mode (DoNotAllowExceptions): inbound SMB to this ' + $Role + ' is blocked despite the allow and bypass rules')
        }
    }
}

# Reads back everything the script owns from what Windows enforces and fails
# loudly on any difference (KB3185535: do not trust, verify).
function Test-SmbguardState {
    $script:Session = $null
    $script:GpoApplied = $false
    if ($PolicyStore -eq 'localhost' -or $IsDomainGpo) {
        # GPO stores apply through Group Policy processing; a domain GPO also
        # needs this computer in its scope (link, security and WMI filters).
        & gpupdate.exe /target:computer /force | Out-Null
    }
    if ($IsDomainGpo) { $script:GpoApplied = Test-SmbguardGpoApplied }
    $target = Get-SmbguardReadTarget
    Write-Host ('smbguard: reading back from ' + $script:ReadScope)
    if ($target.PolicyStore -eq 'ActiveStore') { Test-SmbguardEffectiveProfiles $target }
    $owned = @(Get-NetFirewallRule @target -Group $RuleGroup -ErrorAction SilentlyContinue)
    foreach ($want in $Rules) {
        # By name, not only by group: a same-ID rule from a higher-precedence
        # store replaces smbguard's (New-NetFirewallRule -Name).
        $have = @(Get-NetFirewallRule @target -Name $want.Name -ErrorAction SilentlyContinue)
        if ($have.Count -eq 0) {
            Add-SmbguardProblem ('missing rule ' + $want.Name + ' (' + $want.DisplayName + ')')
            continue
        }
        $source = [string]$have[0].PolicyStoreSource
        Write-SmbguardStatus 'source' ($want.Name + ' from ' + $source + ' (' + [string]$have[0].PolicyStoreSourceType + ')')
        foreach ($d in @(Compare-SmbguardRule $want $have[0])) {
            Add-SmbguardProblem ('rule ' + $want.Name + ' (from ' + $source + '): ' + $d)
        }
    }
    foreach ($extra in $owned) {
        if (@($Rules | Where-Object { $_.Name -eq $extra.Name }).Count -eq 0) {
            Add-SmbguardProblem ('unexpected rule in group ' + $RuleGroup + ': ' + $extra.Name)
        }
    }
    foreach ($id in $BuiltinRuleIds) {
        $rule = Get-NetFirewallRule @target -Name $id -ErrorAction SilentlyContinue
        if ($null -ne $rule -and [string]$rule.Enabled -eq 'True') {
            Add-SmbguardProblem ('built-in rule ' + $id + ' is still enabled')
        }
    }
    foreach ($rule in @(Get-SmbguardFileSharingRules)) {
        $copy = Get-NetFirewallRule @target -Name $rule.Name -ErrorAction SilentlyContinue
        if ($null -eq $copy -or [string]$copy.Enabled -eq 'True') {
            Add-SmbguardProblem ('File and Printer Sharing rule ' + $rule.Name + ' (' + [string]$rule.DisplayName + ') is still enabled')
        }
    }
    foreach ($want in $ProfileDefaults) {
        $have = Get-NetFirewallProfile @target -Name $want.Name
        if ([string]$have.Enabled -ne $want.Enabled -or [string]$have.DefaultInboundAction -ne $want.DefaultInboundAction -or [string]$have.DefaultOutboundAction -ne $want.DefaultOutboundAction) {
            Add-SmbguardProblem ($want.Name + ' profile defaults differ from the plan')
        }
    }
    if ($null -ne $Isolation) {
        $have = Get-NetIPsecRule @target -Name $Isolation.Name -ErrorAction SilentlyContinue
        if ($null -eq $have) {
            Add-SmbguardProblem ('missing connection security rule ' + $Isolation.Name)
        } else {
            foreach ($d in @(Compare-SmbguardIsolation $have $target)) {
                Add-SmbguardProblem ('connection security rule ' + $Isolation.Name + ': ' + $d)
            }
        }
    }
    if ($IsLocalMachine -and $null -ne (Get-Command -Name Get-SmbServerConfiguration -ErrorAction SilentlyContinue)) {
        foreach ($d in @(Compare-SmbguardSettings (Get-SmbServerConfiguration) (Get-SmbguardServerSettings))) {
            Add-SmbguardProblem ('SMB server: ' + $d)
        }
        foreach ($d in @(Compare-SmbguardSettings (Get-SmbClientConfiguration) (Get-SmbguardClientSettings))) {
            Add-SmbguardProblem ('SMB client: ' + $d)
        }
        foreach ($reason in @(Get-SmbguardUnsupportedSmb)) {
            $script:NotApplied.Add($reason)
            Add-SmbguardProblem ('not applied on this Windows build: ' + $reason)
        }
        if ($Smb.DisableSmb1) {
            foreach ($d in @(Test-SmbguardSmb1Client)) { Add-SmbguardProblem $d }
        }
    }
    if ($IsLocalMachine) {
        foreach ($name in $Services) {
            $service = Get-Service -Name $name -ErrorAction SilentlyContinue
            if ($null -ne $service -and [string]$service.StartType -ne 'Disabled') {
                Add-SmbguardProblem ('service ' + $name + ' is not disabled')
            }
        }
    }
}
