using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Pruning;

/// <summary>
/// First-order Taylor importance (Molchanov et al.): for channel c, the mean over samples of |z_c . dL/dz_c|, the
/// first-order estimate of how much the loss moves when the channel is removed. ONNX Runtime has no autograd here,
/// so the directional derivative is measured by central differences: every point where a layer reads the group's
/// channels gets a scale input, and the loss is evaluated with channel c scaled by 1+eps and 1-eps. Removing a
/// channel is exactly zeroing it where it is read, so this probes the right quantity. The loss is cross-entropy
/// against labels, or against the model's own predictions for unlabelled data.
/// </summary>
internal static class TaylorImportance
{
    private const float Epsilon = 0.01f;

    public static Dictionary<int, double[]> Score(OnnxModel original, DependencyGraph g, IReadOnlyCollection<int> roots,
        ChannelPruningOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var probe = new OnnxModel(original.Proto.Clone());
        var points = InsertProbes(probe, g);
        using var runner = ModelRunner.Create(probe, "taylor probe");
        var modelInputs = runner.Inputs.Where(i => !points.Any(p => p.Input == i.Name)).ToList();
        var sample = options.Calibration!.Open(modelInputs, options.CalibrationRows).First();
        var ones = points.ToDictionary(p => p.Input, p => Enumerable.Repeat(1f, (int)p.Layout.Length).ToArray());
        var reference = runner.Run(WithScales(sample, points, ones))[0];
        var labels = sample.Labels ?? ArgMax(reference);
        var scores = roots.ToDictionary(r => r, r => new double[g.Spaces.CountOf(r)]);
        var done = 0;
        var total = scores.Values.Sum(v => v.Length);
        foreach (var (root, target) in scores)
        {
            for (var c = 0; c < target.Length; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var up = Loss(runner.Run(WithScales(sample, points, Scaled(g, points, ones, root, c, 1 + Epsilon)))[0], labels);
                var down = Loss(runner.Run(WithScales(sample, points, Scaled(g, points, ones, root, c, 1 - Epsilon)))[0], labels);
                target[c] = up.Zip(down, (u, d) => Math.Abs(u - d) / (2 * Epsilon)).Average();
                if (++done % 64 == 0)
                {
                    progress?.Report($"taylor importance: {done}/{total} channels");
                }
            }
        }
        return scores;
    }

    private sealed record ProbePoint(string Input, string Scaled, ChannelLayout Layout, int Rank);

    /// <summary>Puts a Mul by a fed scale vector in front of every layer input that reads prunable channels.</summary>
    private static List<ProbePoint> InsertProbes(OnnxModel probe, DependencyGraph g)
    {
        var graph = probe.Graph;
        var points = new List<ProbePoint>();
        var byValue = new Dictionary<string, ProbePoint>(StringComparer.Ordinal);
        foreach (var site in g.Sites.OfType<ParamSlice>().Where(s => s.Role == SiteRole.ConsumerWeight))
        {
            var value = site.InputValue!;
            var rank = g.RankOf(value);
            if (!byValue.TryGetValue(value, out var point))
            {
                var input = graph.UniqueName(value + "_taylor_scale");
                var scaled = graph.UniqueName(value + "_taylor");
                var dims = new long[rank - site.Layout.Axis];
                Array.Fill(dims, 1);
                dims[0] = site.Layout.Length;
                var vi = new ValueInfoProto { Name = input, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() } } };
                foreach (var d in dims)
                {
                    vi.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
                }
                graph.AddGraphInput(vi);
                graph.AddNode(NodeAttributes.Create("Mul", scaled, [value, input], [scaled]));
                point = new ProbePoint(input, scaled, site.Layout, dims.Length);
                byValue[value] = point;
                points.Add(point);
            }
            // The probe is a clone taken before any edit, so the consumer sits at the same index.
            graph.SetInput(graph.Nodes[g.IndexOf(site.Node)], 0, point.Scaled);
        }
        graph.SortTopologically();
        return points;
    }

    private static Dictionary<string, float[]> Scaled(DependencyGraph g, List<ProbePoint> points, Dictionary<string, float[]> ones, int root, int channel, float factor)
    {
        var result = new Dictionary<string, float[]>(ones);
        foreach (var p in points)
        {
            long offset = 0;
            float[]? copy = null;
            foreach (var seg in p.Layout.Segments)
            {
                if (g.Spaces.Find(seg.Space) == root)
                {
                    copy ??= (float[])ones[p.Input].Clone();
                    for (long r = 0; r < seg.Repeat; r++)
                    {
                        copy[offset + (channel * seg.Repeat) + r] = factor;
                    }
                }
                offset += seg.Length;
            }
            if (copy is not null)
            {
                result[p.Input] = copy;
            }
        }
        return result;
    }

    private static Sample WithScales(Sample sample, List<ProbePoint> points, Dictionary<string, float[]> scales)
    {
        var inputs = sample.Inputs.ToList();
        foreach (var p in points)
        {
            var dims = new long[p.Rank];
            Array.Fill(dims, 1);
            dims[0] = p.Layout.Length;
            inputs.Add(new SampleTensor(p.Input, dims, scales[p.Input], null, TensorProto.Types.DataType.Float));
        }
        return new Sample(inputs, sample.Labels);
    }

    private static int[] ArgMax(RunOutput output)
    {
        var rows = (int)output.Dims[0];
        var width = output.Values.Length / Math.Max(1, rows);
        return Enumerable.Range(0, rows).Select(r =>
        {
            var best = 0;
            for (var j = 1; j < width; j++)
            {
                if (output.Values[(r * width) + j] > output.Values[(r * width) + best])
                {
                    best = j;
                }
            }
            return best;
        }).ToArray();
    }

    /// <summary>Per-row cross-entropy of logits against class labels.</summary>
    private static double[] Loss(RunOutput output, int[] labels)
    {
        var rows = labels.Length;
        var width = output.Values.Length / rows;
        var loss = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = output.Values.AsSpan(r * width, width);
            var max = double.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
            }
            var sum = 0.0;
            foreach (var v in row)
            {
                sum += Math.Exp(v - max);
            }
            loss[r] = Math.Log(sum) + max - row[Math.Min(labels[r], width - 1)];
        }
        return loss;
    }
}
