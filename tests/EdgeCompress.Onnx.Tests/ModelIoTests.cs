using EdgeCompress.Onnx.Protos;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Onnx.Tests;

public sealed class ModelIoTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgec-io-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static ModelBuilder ConvModel() =>
        new ModelBuilder().Input("x", 1, 3, 16, 16).Weight("w", 64, 3, 7, 7).Weight("b", 64)
            .Node("Conv", ["x", "w", "b"], ["y"], ("pads", new long[] { 3, 3, 3, 3 })).Output("y", 1, 64, 16, 16);

    private static byte[] UnknownField(int number, long value)
    {
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        output.WriteTag(number, WireFormat.WireType.Varint);
        output.WriteInt64(value);
        output.Flush();
        return ms.ToArray();
    }

    [Fact]
    public void Fields_this_schema_does_not_know_survive_a_load_and_save()
    {
        var b = ConvModel();
        // An unknown field inside a node, and one at the top level of the model.
        var nodeBytes = b.Graph.Node[0].ToByteArray().Concat(UnknownField(4242, 7)).ToArray();
        b.Graph.Node[0] = NodeProto.Parser.ParseFrom(nodeBytes);
        var bytes = b.Proto.ToByteArray().Concat(UnknownField(999, 123456)).ToArray();
        File.WriteAllBytes(PathOf("in.onnx"), bytes);

        OnnxModel.Load(PathOf("in.onnx")).Save(PathOf("out.onnx"));
        var saved = File.ReadAllBytes(PathOf("out.onnx"));
        Assert.True(saved.AsSpan().IndexOf(UnknownField(999, 123456)) >= 0, "top-level unknown field lost");
        var reloaded = OnnxModel.Load(PathOf("out.onnx"));
        Assert.True(reloaded.Graph.Nodes[0].ToByteArray().AsSpan().IndexOf(UnknownField(4242, 7)) >= 0, "node unknown field lost");
        Assert.Equal(bytes.Length, saved.Length);
    }

    [Fact]
    public void A_model_saved_with_external_data_reloads_equal_and_runs_in_onnx_runtime()
    {
        var model = ConvModel().Build();
        model.Save(PathOf("inline.onnx"));
        model.Save(PathOf("split.onnx"), new OnnxSaveOptions { ExternalDataThresholdBytes = 1024 });

        Assert.True(new FileInfo(PathOf("split.onnx")).Length < 2048, "the weights should have moved out");
        Assert.True(new FileInfo(PathOf("split.onnx.data")).Length >= 64 * 3 * 49 * 4);
        var reloaded = OnnxModel.Load(PathOf("split.onnx"));
        Assert.True(model.Proto.Equals(reloaded.Proto), "reloaded model differs");
        Assert.Equal([PathOf("split.onnx.data")], reloaded.ExternalDataFiles);
        // Saving with external data must leave the in-memory model exactly as it was.
        Assert.True(model.Proto.Equals(OnnxModel.Load(PathOf("inline.onnx")).Proto), "in-memory model changed by the save");
        Assert.True(model.Proto.Equals(ConvModel().Proto), "in-memory model changed by the save");

        var input = Enumerable.Range(0, 3 * 16 * 16).Select(i => (i % 13) / 13f).ToArray();
        Assert.Equal(Run(PathOf("inline.onnx"), input), Run(PathOf("split.onnx"), input));
    }

    private static float[] Run(string path, float[] input)
    {
        using var session = new InferenceSession(path);
        using var x = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 16, 16]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [x], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Fact]
    public void Saving_over_the_file_a_model_was_loaded_from_is_refused_and_leaves_it_intact()
    {
        ConvModel().Build().Save(PathOf("m.onnx"));
        var before = File.ReadAllBytes(PathOf("m.onnx"));
        var model = OnnxModel.Load(PathOf("m.onnx"));
        var e = Assert.Throws<OnnxFormatException>(() => model.Save(PathOf("m.onnx")));
        Assert.Contains("refusing to overwrite the input model", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(PathOf("m.onnx")));
    }

    [Fact]
    public void A_failed_save_leaves_no_output_and_no_temporary_files()
    {
        var model = ConvModel().Build();
        var e = Assert.Throws<OnnxFormatException>(() =>
            model.Save(PathOf("out.onnx"), new OnnxSaveOptions { ExternalDataThresholdBytes = 1, ExternalDataFileName = "../escape.data" }));
        Assert.Contains("escapes the model folder", e.Message, StringComparison.Ordinal);
        Assert.Empty(_dir.GetFiles());
        model.Save(PathOf("out.onnx"));
        Assert.Equal(["out.onnx"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void Typed_float_data_and_raw_data_load_to_the_same_values_and_keep_their_encoding()
    {
        var b = new ModelBuilder().Input("x", 4).Node("Add", ["x", "typed"], ["y"]).Output("y", 4);
        var typed = new TensorProto { Name = "typed", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 4 } };
        typed.FloatData.AddRange([1.5f, -2f, 0.25f, 8f]);
        b.Graph.Initializer.Add(typed);
        File.WriteAllBytes(PathOf("typed.onnx"), b.Proto.ToByteArray());

        var loaded = OnnxModel.Load(PathOf("typed.onnx"));
        Assert.Equal([1.5f, -2f, 0.25f, 8f], TensorData.ToArray<float>(loaded.Graph.Initializers["typed"]));
        loaded.Save(PathOf("again.onnx"));
        var again = OnnxModel.Load(PathOf("again.onnx"));
        Assert.False(again.Graph.Initializers["typed"].HasRawData);
        Assert.True(b.Proto.Equals(again.Proto));
    }

    [Fact]
    public void A_stream_load_refuses_external_data_without_a_folder_and_reads_it_with_one()
    {
        ConvModel().Build().Save(PathOf("split.onnx"), new OnnxSaveOptions { ExternalDataThresholdBytes = 1024 });
        using (var s = File.OpenRead(PathOf("split.onnx")))
        {
            var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(s));
            Assert.Contains("external data", e.Message, StringComparison.Ordinal);
        }
        using (var s = File.OpenRead(PathOf("split.onnx")))
        {
            Assert.True(ConvModel().Proto.Equals(OnnxModel.Load(s, _dir.FullName).Proto));
        }
    }

    [Fact]
    public void An_external_data_path_escaping_the_model_folder_is_refused()
    {
        var b = ConvModel();
        var w = b.Graph.Initializer[0];
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        File.WriteAllBytes(PathOf("evil.onnx"), b.Proto.ToByteArray());
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(PathOf("evil.onnx")));
        Assert.Contains("'../../etc/passwd', which escapes the model folder", e.Message, StringComparison.Ordinal);
    }
}
