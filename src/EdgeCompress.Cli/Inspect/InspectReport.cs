using System.Text.Json.Serialization;

namespace EdgeCompress.Cli.Inspect;

/// <summary>Everything `edgec inspect` reports about a model; serialised as-is for --json.</summary>
internal sealed record InspectReport
{
    public required string File { get; init; }
    public required long FileBytes { get; init; }
    public required long ExternalDataBytes { get; init; }
    public required IReadOnlyList<string> ExternalDataFiles { get; init; }
    public required long IrVersion { get; init; }
    public required string Producer { get; init; }
    public required IReadOnlyList<OpsetEntry> Opsets { get; init; }
    public required IReadOnlyList<ValueEntry> Inputs { get; init; }
    public required IReadOnlyList<ValueEntry> Outputs { get; init; }
    public required int Nodes { get; init; }
    public required int Subgraphs { get; init; }
    public required IReadOnlyList<OperatorCount> Operators { get; init; }
    public required ParameterReport Parameters { get; init; }
    public required MacReport Macs { get; init; }
    public required IReadOnlyList<FindingEntry> Findings { get; init; }
    public required IReadOnlyList<string> ShapeNotes { get; init; }
    public required IReadOnlyList<string> InferenceNotes { get; init; }
}

/// <summary>An imported operator set.</summary>
internal sealed record OpsetEntry(string Domain, long Version);

/// <summary>A graph input or output: declared shape as stored, and the shape used for MACs.</summary>
internal sealed record ValueEntry(string Name, string ElementType, string DeclaredShape, string UsedShape, string ShapeSource);

/// <summary>How many nodes (main graph and subgraphs) use an operator.</summary>
internal sealed record OperatorCount(string Operator, int Count);

/// <summary>Stored parameters by element type, with totals.</summary>
internal sealed record ParameterReport(long Count, long Bytes, IReadOnlyList<ParameterEntry> ByType);

/// <summary>Parameters of one element type.</summary>
internal sealed record ParameterEntry(string ElementType, long Count, long Bytes);

/// <summary>MAC totals and per-node figures.</summary>
internal sealed record MacReport(long Total, bool Saturated, int UnknownNodes, IReadOnlyList<NodeMacs> PerNode);

/// <summary>One node's MACs (null when a shape it needs is unknown) and the shapes used.</summary>
internal sealed record NodeMacs(string Node, string Operator, long? Macs, IReadOnlyList<string> InputShapes, string OutputShape);

/// <summary>A validation finding.</summary>
internal sealed record FindingEntry(string Severity, string? Node, string Message);

/// <summary>Source-generated JSON metadata for the inspect report (no reflection, trim-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(InspectReport))]
internal sealed partial class InspectJsonContext : JsonSerializerContext;
