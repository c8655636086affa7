
# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

if ($ReadOnlyStores -contains $PolicyStore) {
    throw ('smbguard: -PolicyStore ' + $PolicyStore + ' is read-only; use localhost, PersistentStore or DOMAIN\GPO-name')
}
Write-Host ('smbguard: group ' + $GroupName + ' (' + $Role + ') of estate ' + $Estate + ' -> policy store ' + $PolicyStore)
if (-not $IsLocalMachine) {
    Write-Host 'smbguard: a domain GPO is targeted: SMB settings, services and host guard rails are not applied to this machine; they come with the GPO backup (registry.pol, Services.xml).'
}
Assert-SmbguardHost

$script:Session = $null
if ($IsDomainGpo -and -not $WhatIfPreference) {
    # One cached copy of the GPO, saved once at the end (Open-NetGPO / Save-NetGPO).
    $script:Session = Open-NetGPO -PolicyStore $PolicyStore
}

Sync-SmbguardRules
Sync-SmbguardBuiltins
Sync-SmbguardProfiles
Sync-SmbguardIsolation
Sync-SmbguardSmb
Sync-SmbguardServices

if ($null -ne $script:Session) {
    Save-NetGPO -GPOSession $script:Session
    Write-Host ('smbguard: saved ' + $PolicyStore)
}

if ($WhatIfPreference) {
    Write-Host 'smbguard: -WhatIf: nothing was changed.'
    return
}

Test-SmbguardState
if ($script:Problems.Count -gt 0) {
    throw ('smbguard: verification FAILED for group ' + $GroupName + [Environment]::NewLine + ($script:Problems -join [Environment]::NewLine))
}
Write-Host ('smbguard: verified ' + @($Rules).Count + ' firewall rule(s), ' + @($BuiltinRuleIds).Count + ' built-in rule(s) disabled, profiles, isolation, SMB settings and services in ' + $script:ReadScope)
