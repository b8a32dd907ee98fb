using System.Runtime.Versioning;

// edged and these tests run on Linux only (processes, signals, /proc, Unix file modes).
[assembly: SupportedOSPlatform("linux")]
