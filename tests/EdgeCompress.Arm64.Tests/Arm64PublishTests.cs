using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeCompress.Arm64.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCompress.Arm64.Tests;

[Collection(Arm64PublishGroup.Name)]
[Trait("Category", "aot")]
public sealed partial class Arm64PublishTests(Arm64Publish publish, ITestOutputHelper output)
{
    private const long MaxBinaryBytes = 20L * 1024 * 1024;
    private const ushort ElfMachineAarch64 = 0xB7;

    [SkippableFact]
    public void A_plain_dotnet_publish_cross_compiles_edged_for_linux_arm64_without_a_single_warning()
    {
        var result = publish.Get();

        var warnings = Warning().Matches(result.Log).Select(m => m.Value.Trim()).Distinct().ToArray();
        Assert.True(result.ExitCode == 0, $"publish failed:\n{result.Log}");
        Assert.True(warnings.Length == 0, "the arm64 publish warned:\n" + string.Join('\n', warnings));
        using var elf = File.OpenRead(publish.Binary);
        var header = new byte[20];
        elf.ReadExactly(header);
        Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
        Assert.Equal(ElfMachineAarch64, BitConverter.ToUInt16(header, 18));
    }

    [SkippableFact]
    public void The_arm64_edged_binary_is_at_most_20_MB_and_the_publish_folder_holds_only_it_and_libonnxruntime()
    {
        Assert.Equal(0, publish.Get().ExitCode);

        var binaryBytes = new FileInfo(publish.Binary).Length;
        var files = Directory.GetFileSystemEntries(publish.PublishDir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        output.WriteLine($"linux-arm64 edged: {binaryBytes} bytes ({binaryBytes / 1048576.0:F1} MiB); libonnxruntime.so {new FileInfo(Path.Combine(publish.PublishDir, "libonnxruntime.so")).Length} bytes; tarball {new FileInfo(publish.Tarball).Length} bytes; publish took {publish.Get().Elapsed.TotalSeconds:F0} s");

        Assert.True(binaryBytes <= MaxBinaryBytes, $"edged for linux-arm64 is {binaryBytes} bytes, over the 20 MB budget");
        Assert.Equal(["edged", "libonnxruntime.so"], files);
    }

    [SkippableFact]
    public async Task The_board_tarball_holds_binary_runtime_unit_scripts_config_profile_and_version()
    {
        Assert.Equal(0, publish.Get().ExitCode);

        var entries = await ReadTarballAsync(publish.Tarball);

        const string top = "edged-0.1.0-linux-arm64/";
        foreach (var expected in new[]
                 {
                     "edged", "libonnxruntime.so", "VERSION", "edged.json", "device-profiles/rpi4.json", "firmware-scripts/edged.service",
                     "firmware-scripts/install.sh", "firmware-scripts/uninstall.sh", "firmware-scripts/rpi-enable-i2c.sh",
                     "firmware-scripts/cpu-governor.sh", "firmware-scripts/jetson-power.sh",
                 })
        {
            Assert.True(entries.ContainsKey(top + expected), $"{expected} missing from the tarball; it has: {string.Join(", ", entries.Keys)}");
        }

        Assert.DoesNotContain(entries.Keys, name => name.EndsWith(".dll", StringComparison.Ordinal) || name.EndsWith(".pdb", StringComparison.Ordinal) || name.EndsWith(".dbg", StringComparison.Ordinal));
        Assert.Equal("0.1.0", entries[top + "VERSION"].Text.Trim());
        using var config = JsonDocument.Parse(entries[top + "edged.json"].Text);
        Assert.Equal("rpi4", config.RootElement.GetProperty("profile").GetString());
        Assert.Equal("/var/lib/edged", config.RootElement.GetProperty("store").GetString());
        Assert.True(entries[top + "edged"].Mode.HasFlag(UnixFileMode.UserExecute), "edged is not executable in the tarball");
        Assert.True(entries[top + "firmware-scripts/install.sh"].Mode.HasFlag(UnixFileMode.OtherExecute), "install.sh is not executable in the tarball");
        Assert.Equal(new FileInfo(publish.Binary).Length, entries[top + "edged"].Length);
    }

    private static async Task<Dictionary<string, (UnixFileMode Mode, long Length, string Text)>> ReadTarballAsync(string path)
    {
        var entries = new Dictionary<string, (UnixFileMode, long, string)>(StringComparer.Ordinal);
        await using var file = File.OpenRead(path);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                continue;
            }

            var (name, mode, length, text) = (entry.Name, entry.Mode, entry.Length, "");
            if (length < 64 * 1024 && entry.DataStream is { } data)
            {
                using var reader = new StreamReader(data);
                text = await reader.ReadToEndAsync();
            }

            entries[name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name] = (mode, length, text);
        }

        return entries;
    }

    // MSBuild's "file(line,col): warning CODE: ..." lines; IL2xxx/IL3xxx are the trim and AOT analysis warnings.
    [GeneratedRegex(@"[^\r\n]*:\s*warning\s+[A-Z]+\d+[^\r\n]*")]
    private static partial Regex Warning();
}
