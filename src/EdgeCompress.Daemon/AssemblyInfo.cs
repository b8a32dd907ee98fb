using System.Runtime.Versioning;

// edged runs on Linux boards and hosts only (systemd, sysfs, /proc); this lets the analyzers check that.
[assembly: SupportedOSPlatform("linux")]
