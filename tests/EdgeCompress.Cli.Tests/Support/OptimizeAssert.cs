using EdgeCompress.Manifest;

namespace EdgeCompress.Cli.Tests.Support;

/// <summary>optimize's exit promise: 0 exactly when the manifest chose a variant (and chosen.onnx is that file), 1 when
/// none met the budget (and there is no chosen.onnx). Never 2 or a crash for a search that ran.</summary>
public static class OptimizeAssert
{
    public static OptimizeManifest ExitMatchesChoice(int exitCode, string outDir, string stderr)
    {
        var manifestPath = Path.Combine(outDir, ManifestFile.FileName);
        Assert.True(File.Exists(manifestPath), $"exit {exitCode}, no manifest: {stderr}");
        var manifest = ManifestFile.Load(manifestPath);
        var chosenFile = Path.Combine(outDir, "chosen.onnx");
        if (manifest.Chosen is null)
        {
            Assert.True(exitCode == 1, $"nothing chosen but exit {exitCode}: {stderr}");
            Assert.False(File.Exists(chosenFile), "chosen.onnx written although nothing was chosen");
        }
        else
        {
            Assert.True(exitCode == 0, $"{manifest.Chosen} chosen but exit {exitCode}: {stderr}");
            Assert.Equal(manifest.Variants.Single(v => v.Id == manifest.Chosen).Sha256, ManifestFile.Sha256Of(chosenFile));
        }
        return manifest;
    }
}
