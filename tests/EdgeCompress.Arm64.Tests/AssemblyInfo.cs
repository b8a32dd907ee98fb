using System.Runtime.Versioning;

// The arm64 board tests run on Linux only (qemu-user, mount namespaces, shell scripts, Unix file modes).
[assembly: SupportedOSPlatform("linux")]
