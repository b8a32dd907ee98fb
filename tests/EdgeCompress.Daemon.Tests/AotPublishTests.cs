using System.Text.RegularExpressions;

namespace EdgeCompress.Daemon.Tests;

/// <summary>Runs alone: the NativeAOT compiler needs the machine's cores, and sharing them with the other daemon tests only slows both.</summary>
[CollectionDefinition(nameof(AotPublishTests), DisableParallelization = true)]
public sealed class AotPublishRunsAlone;

[Collection(nameof(AotPublishTests))]
[Trait("Category", "aot")]
public partial class AotPublishTests
{
    private const long MaxBinaryBytes = 20L * 1024 * 1024;

    [Fact]
    public async Task Edged_publishes_as_NativeAOT_for_linux_x64_without_trim_or_AOT_warnings_into_a_clean_folder_and_the_binary_serves_benchmarks()
    {
        var root = Processes.RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("edged-aot-").FullName;
        try
        {
            var (exitCode, log) = Processes.Run("dotnet", ["publish", Path.Combine(root, "src/EdgeCompress.Daemon/EdgeCompress.Daemon.csproj"),
                "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "-nologo", "--disable-build-servers", "-nodeReuse:false"],
                TimeSpan.FromMinutes(20));

            var aotWarnings = AotWarning().Matches(log).Select(m => m.Value).Distinct().ToArray();
            Assert.True(aotWarnings.Length == 0, "trim/AOT warnings:\n" + string.Join('\n', aotWarnings));
            Assert.True(exitCode == 0, $"publish failed (NativeAOT needs clang and zlib1g-dev, see eng/apt-packages-daemon.txt):\n{log}");
            var binary = new FileInfo(Path.Combine(output, "edged"));
            Assert.True(binary.Exists, "no native edged binary");
            Assert.True(binary.Length <= MaxBinaryBytes, $"edged is {binary.Length} bytes, over the 20 MB budget");
            Assert.False(File.Exists(Path.Combine(output, "edged.dll")), "published as IL, not native");

            // eng/Publish.targets keeps only what the board runs: no .pdb/.xml/.dbg, static web assets or Windows DLLs.
            var published = Directory.GetFileSystemEntries(output).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["edged", "libonnxruntime.so"], published);

            // The native binary must really work, ONNX Runtime included: reflection-free paths only exist in AOT.
            using var edged = await EdgedProcess.StartNativeAsync(binary.FullName);
            try
            {
                await edged.PushAsync("aot", TestModels.Mlp(seed: 40));
                var status = await edged.BenchmarkAsync(new EdgeCompress.Protocol.BenchmarkRequest { Model = "aot", Iterations = 50 });
                Assert.True(status.Status == "completed", status.Error);
                Assert.Equal(50, status.Result!.Count);
                Assert.Equal(0, edged.Stop());
            }
            finally
            {
                Directory.Delete(edged.Store, recursive: true);
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [GeneratedRegex(@"(warning|error) IL[23]\d{3}[^\r\n]*")]
    private static partial Regex AotWarning();
}
