using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Training.Tests;

/// <summary>Helpers shared by the tests: temp folders, ONNX Runtime runs, Fashion-MNIST accuracy.</summary>
internal static class TestModels
{
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "edgec-train-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a single-input model in ONNX Runtime and returns the first output's values and shape.</summary>
    public static (float[] Values, int[] Dims) Run(string modelPath, float[] input, int[] dims)
    {
        using var session = new InferenceSession(modelPath);
        var name = session.InputMetadata.Keys.First();
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(input, dims))]);
        var t = outputs[0].AsTensor<float>();
        return (t.ToArray(), t.Dimensions.ToArray());
    }

    /// <summary>Top-1 accuracy of a Fashion-MNIST classifier on the first <paramref name="count"/> test images.</summary>
    public static double FashionMnistAccuracy(string modelPath, int count)
    {
        using var session = new InferenceSession(modelPath);
        var images = EdgeCompress.Data.FashionMnist.Read("test", count).ToList();
        var correct = 0;
        foreach (var chunk in images.Chunk(250))
        {
            var pixels = chunk.SelectMany(c => c.Pixels).ToArray();
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(pixels, [chunk.Length, 1, 28, 28]))]);
            var logits = outputs[0].AsTensor<float>().ToArray();
            for (var i = 0; i < chunk.Length; i++)
            {
                var row = logits.AsSpan(i * 10, 10);
                if (row.IndexOf(MaxOf(row)) == chunk[i].Label)
                {
                    correct++;
                }
            }
        }
        return (double)correct / images.Count;
    }

    private static float MaxOf(ReadOnlySpan<float> row)
    {
        var m = float.NegativeInfinity;
        foreach (var v in row)
        {
            m = Math.Max(m, v);
        }
        return m;
    }

    /// <summary>A tiny model with one operator the importer does not know (TopK), to check the error text.</summary>
    public static string ModelWithUnsupportedOp(string dir)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(Info("input", [-1, 1, 28, 28]));
        graph.Node.Add(NodeAttributes.Create("Flatten", "flat", ["input"], ["f"]));
        graph.Initializer.Add(TensorData.FromInt64s("k", [1], [10]));
        graph.Node.Add(NodeAttributes.Create("TopK", "pick_top", ["f", "k"], ["logits", "idx"]));
        graph.Output.Add(Info("logits", [-1, 10]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var path = Path.Combine(dir, "topk.onnx");
        new OnnxModel(model).Save(path);
        return path;
    }

    private static ValueInfoProto Info(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}

/// <summary>Records worker progress as it arrives, on the reporting thread (Progress&lt;T&gt; would post it later).</summary>
internal sealed class SyncRecorder(List<TrainingProgress> seen) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        lock (seen)
        {
            seen.Add(value);
        }
    }
}
