using System.Globalization;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Inspect;

/// <summary>Builds the inspect report: shapes (user-given, declared, or dynamic dims taken as 1 for MACs),
/// costs, operator histogram and validation findings.</summary>
internal static class InspectReportBuilder
{
    public static InspectReport Build(OnnxModel model, string path, IReadOnlyDictionary<string, long[]> userShapes)
    {
        var display = Path.GetFileName(path);
        var graph = model.Graph;
        var used = new Dictionary<string, long[]>(userShapes, StringComparer.Ordinal);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (var input in graph.RealInputs)
        {
            var declared = TensorType.FromValueInfo(input);
            // 16 bytes is the widest element (complex128): a shape whose bytes overflow 64 bits cannot exist.
            if (declared?.KnownDims() is { } known && SafeMath.IsSaturated(SafeMath.Multiply(SafeMath.Product(known), 16)))
            {
                throw new OnnxFormatException($"{display}: input '{input.Name}' declares shape {declared.ShapeText()}, more bytes than any machine can hold");
            }
            if (userShapes.ContainsKey(input.Name))
            {
                sources[input.Name] = "--input-shape";
            }
            else if (declared?.Dims is { } dims && !declared.IsFullyKnown)
            {
                used[input.Name] = dims.Select(d => d.IsKnown ? d.Value : 1).ToArray();
                sources[input.Name] = "dynamic dims taken as 1";
                notes.Add($"input '{input.Name}' has dynamic shape {declared.ShapeText()}; MACs use {string.Join("x", used[input.Name])} (pass --input-shape {input.Name}=... to choose)");
            }
            else
            {
                sources[input.Name] = declared?.Dims is null ? "unknown" : "model";
            }
        }

        var shapes = ShapeInference.Infer(model, used);
        var cost = CostModel.Compute(model, shapes);
        var findings = ModelValidator.Validate(model);
        var graphs = ModelWalker.GraphAndSubgraphs(graph.Proto).ToArray();

        return new InspectReport
        {
            File = Path.GetFullPath(path),
            FileBytes = new FileInfo(path).Length,
            ExternalDataFiles = model.ExternalDataFiles.Select(Path.GetFileName).ToArray()!,
            ExternalDataBytes = model.ExternalDataFiles.Sum(f => new FileInfo(f).Length),
            IrVersion = model.Proto.IrVersion,
            Producer = $"{model.Proto.ProducerName} {model.Proto.ProducerVersion}".Trim(),
            Opsets = model.Proto.OpsetImport.Select(o => new OpsetEntry(string.IsNullOrEmpty(o.Domain) ? "ai.onnx" : o.Domain, o.Version)).ToArray(),
            Inputs = graph.RealInputs.Select(v => Value(v, shapes, sources.GetValueOrDefault(v.Name, "model"))).ToArray(),
            Outputs = graph.Proto.Output.Select(v => Value(v, shapes, "inferred")).ToArray(),
            Nodes = graph.Nodes.Count,
            Subgraphs = graphs.Length - 1,
            Operators = graphs.SelectMany(g => g.Node)
                .GroupBy(n => string.IsNullOrEmpty(n.Domain) || n.Domain == "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
                .Select(g => new OperatorCount(g.Key, g.Count()))
                .OrderByDescending(o => o.Count).ThenBy(o => o.Operator, StringComparer.Ordinal)
                .ToArray(),
            Parameters = new ParameterReport(cost.ParameterCount, cost.ParameterBytes,
                cost.Parameters.Select(p => new ParameterEntry(DataTypes.Name(p.ElementType), p.Count, p.Bytes)).ToArray()),
            Macs = new MacReport(cost.TotalMacs, cost.MacsSaturated, cost.UnknownMacNodes,
                cost.Nodes.Select(n => new NodeMacs(n.Node, n.OpType, n.Macs, n.InputShapes, n.OutputShape)).ToArray()),
            Findings = findings.Select(f => new FindingEntry(f.Severity.ToString().ToLowerInvariant(), f.Node, f.Message)).ToArray(),
            ShapeNotes = notes,
            InferenceNotes = shapes.Notes,
        };
    }

    private static ValueEntry Value(Onnx.Protos.ValueInfoProto v, ShapeInferenceResult shapes, string source)
    {
        var declared = TensorType.FromValueInfo(v);
        var inferred = shapes.TypeOf(v.Name);
        var typeName = declared is not null ? DataTypes.Name(declared.ElementType)
            : inferred is not null ? DataTypes.Name(inferred.ElementType)
            : v.Type?.ValueCase.ToString().ToLowerInvariant() ?? "?";
        return new ValueEntry(v.Name, typeName, declared?.ShapeText() ?? "?", inferred?.ShapeText() ?? "?", source);
    }

    /// <summary>Parses "--input-shape name=1x3x224x224" values (also accepting commas between dims).</summary>
    public static Dictionary<string, long[]> ParseInputShapes(IEnumerable<string> values)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.LastIndexOf('=');
            if (eq <= 0 || eq == value.Length - 1)
            {
                throw new UsageException($"--input-shape '{value}': expected NAME=DIMS, e.g. input=1x3x224x224");
            }
            var name = value[..eq];
            var dims = value[(eq + 1)..].Split('x', ',');
            var parsed = new long[dims.Length];
            for (var i = 0; i < dims.Length; i++)
            {
                if (!long.TryParse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]) || parsed[i] <= 0)
                {
                    throw new UsageException($"--input-shape '{value}': dim '{dims[i]}' is not a positive integer");
                }
            }
            if (SafeMath.IsSaturated(SafeMath.Multiply(SafeMath.Product(parsed), 16)))
            {
                throw new UsageException($"--input-shape '{value}': {string.Join("x", parsed)} is more elements than any machine can hold");
            }
            if (!result.TryAdd(name, parsed))
            {
                throw new UsageException($"--input-shape: '{name}' is given twice");
            }
        }
        return result;
    }
}
