<#
.SYNOPSIS
    Publishes edged (the EdgeCompress on-board daemon) as a trimmed NativeAOT binary.
.DESCRIPTION
    A thin wrapper over `dotnet publish`: every setting (NativeAOT, trimming, invariant globalization) lives in
    src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj, so a plain `dotnet publish` gives the same result.
.EXAMPLE
    ./publish.ps1 -Runtime linux-x64 -Output out/edged-x64 -Version 0.1.0
#>
[CmdletBinding()]
param(
    [ValidateSet('linux-x64', 'linux-arm64')]
    [string] $Runtime = 'linux-x64',
    [string] $Output = '',
    [string] $Version = '0.1.0'
)

$ErrorActionPreference = 'Stop'
if (-not $Output) { $Output = Join-Path 'artifacts' "edged-$Runtime" }
$project = Join-Path $PSScriptRoot 'src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj'
& dotnet publish $project -c Release -r $Runtime -o $Output "-p:Version=$Version"
if ($LASTEXITCODE -ne 0) {
    throw "dotnet publish failed with exit code $LASTEXITCODE"
}
Write-Host "edged $Version for $Runtime published to $Output"
