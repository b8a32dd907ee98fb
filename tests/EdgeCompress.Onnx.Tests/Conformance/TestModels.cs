namespace EdgeCompress.Onnx.Tests.Conformance;

/// <summary>The ONNX backend test models shipped by Debian's libonnx-testdata package.</summary>
internal static class TestModels
{
    public const string Root = "/usr/share/libonnx-testdata/data";

    public static readonly string[] Suites = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    /// <summary>Every test-case folder holding a model.onnx, in a stable order.</summary>
    public static IReadOnlyList<string> Cases() =>
        Suites.Select(s => Path.Combine(Root, s))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Where(d => File.Exists(Path.Combine(d, "model.onnx")))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The case folder of one named test, e.g. ("node", "test_conv_with_strides_padding").</summary>
    public static string Case(string suite, string name) => Path.Combine(Root, suite, name);

    public static bool Available => Directory.Exists(Path.Combine(Root, "node"));
}
