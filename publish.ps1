<#
.SYNOPSIS
    Publishes edged (the EdgeCompress on-board daemon) as a trimmed NativeAOT binary and packs the board tarball.
.DESCRIPTION
    A thin wrapper over `dotnet publish`: every setting (NativeAOT, trimming, invariant globalization, the arm64
    cross toolchain, what the publish folder may hold, the tarball layout) lives in MSBuild
    (src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj and eng/Publish.targets), so
        dotnet publish src/EdgeCompress.Daemon -c Release -r linux-arm64 -p:EdgedTarball=true
    gives the same result on any machine without PowerShell.
    Output: the publish folder (edged, libonnxruntime.so) and edged-VERSION-RUNTIME.tar.gz next to it.
    Cross-compiling linux-arm64 on an x64 Linux machine needs clang, lld, llvm and the arm64 C runtime
    (eng/bootstrap.sh installs them on Debian/Ubuntu).
.EXAMPLE
    ./publish.ps1 -Runtime linux-arm64 -Output out/edged-arm64 -Version 0.2.0
#>
[CmdletBinding()]
param(
    [ValidateSet('linux-arm64', 'linux-x64')]
    [string] $Runtime = 'linux-arm64',
    [string] $Output = '',
    [ValidatePattern('^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$')]
    [string] $Version = '0.1.0'
)

$ErrorActionPreference = 'Stop'
if (-not $Output) { $Output = Join-Path (Join-Path $PSScriptRoot 'artifacts') "edged-$Runtime" }
# Absolute, from PowerShell's current location (which is not the process's working directory).
$Output = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Output).TrimEnd('/', '\')
$project = Join-Path $PSScriptRoot 'src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj'
& dotnet publish $project -c Release -r $Runtime -o $Output "-p:Version=$Version" '-p:EdgedTarball=true'
if ($LASTEXITCODE -ne 0) {
    throw "dotnet publish failed with exit code $LASTEXITCODE"
}
$tarball = Join-Path (Split-Path -Parent $Output) "edged-$Version-$Runtime.tar.gz"
Write-Host "edged $Version for $Runtime published to $Output; board tarball: $tarball"
