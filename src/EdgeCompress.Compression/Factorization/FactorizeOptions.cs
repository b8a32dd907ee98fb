using EdgeCompress.Onnx;
using System.Globalization;

namespace EdgeCompress.Compression.Factorization;

/// <summary>How ranks are chosen.</summary>
public enum RankSelection
{
    /// <summary>Per layer, the smallest rank keeping a fraction of the singular-value energy.</summary>
    Energy,

    /// <summary>A target fraction of the model's parameters; ranks spread greedily by error per parameter saved.</summary>
    ParamsFraction,

    /// <summary>Per layer, the rank empirical variational Bayesian matrix factorisation estimates.</summary>
    Auto,

    /// <summary>The ranks given by the user (one for all layers and/or per node).</summary>
    Fixed,
}

/// <summary>Which decomposition convolutions get (Gemm/MatMul always get SVD).</summary>
public enum FactorMethod
{
    /// <summary>Tucker-2 for k x k convolutions, SVD for 1x1 convolutions and matrices.</summary>
    Auto,

    /// <summary>SVD everywhere; a k x k convolution becomes a k x k conv to rank r then a 1x1 conv.</summary>
    Svd,

    /// <summary>Tucker-2 (1x1, k x k core, 1x1) for k x k convolutions.</summary>
    Tucker,

    /// <summary>CP (1x1, k x 1 depthwise, 1 x k depthwise, 1x1) for 2-D k x k convolutions.</summary>
    Cp,
}

/// <summary>Settings of the factorization pass. Call <see cref="Validate"/> before use.</summary>
public sealed class FactorizeOptions
{
    /// <summary>How ranks are chosen.</summary>
    public RankSelection Selection { get; init; } = RankSelection.Energy;

    /// <summary>Fraction of singular-value energy to keep (for <see cref="RankSelection.Energy"/>), in (0, 1].</summary>
    public double Energy { get; init; } = 0.95;

    /// <summary>Target parameters as a fraction of the model's (for <see cref="RankSelection.ParamsFraction"/>), in (0, 1).</summary>
    public double ParamsFraction { get; init; } = 0.5;

    /// <summary>Rank for every layer (for <see cref="RankSelection.Fixed"/>); layers it does not fit are skipped with a warning.</summary>
    public int? Rank { get; init; }

    /// <summary>Ranks for named nodes; a rank a node cannot take is an error.</summary>
    public IReadOnlyDictionary<string, int> NodeRanks { get; init; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Calibration data for a parameter target: ranks are spread by the output error each layer's cut
    /// causes on it (measured), not by the weight error (data-free). Only with <see cref="RankSelection.ParamsFraction"/>.</summary>
    public EdgeCompress.Data.DataSpec? Calibration { get; init; }

    /// <summary>Decomposition for convolutions.</summary>
    public FactorMethod Method { get; init; } = FactorMethod.Auto;

    /// <summary>Ranks are rounded up to a multiple of this (device-friendly widths); 1 leaves them.</summary>
    public int RoundTo { get; init; } = 1;

    /// <summary>A layer is factorized only when it saves at least this fraction of its parameters.</summary>
    public double MinSaving { get; init; } = 0.1;

    /// <summary>Nodes (by name or label) left as they are.</summary>
    public IReadOnlySet<string> Exclude { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>HOOI refinement sweeps after the HOSVD start of Tucker-2 (0 = plain HOSVD).</summary>
    public int HooiIterations { get; init; } = 2;

    /// <summary>Upper bound on CP-ALS sweeps.</summary>
    public int CpMaxIterations { get; init; } = 200;

    /// <summary>CP-ALS stops when the relative error changes by less than this between sweeps.</summary>
    public double CpTolerance { get; init; } = 1e-5;

    /// <summary>Throws <see cref="InputException"/> naming the option when a setting is out of range.</summary>
    public void Validate()
    {
        if (Selection == RankSelection.Energy && !(Energy > 0 && Energy <= 1))
        {
            throw new InputException($"--rank-energy must be in (0, 1], got {Format(Energy)}");
        }
        if (Selection == RankSelection.ParamsFraction && !(ParamsFraction > 0 && ParamsFraction < 1))
        {
            throw new InputException($"--params must be a fraction in (0, 1), got {Format(ParamsFraction)}");
        }
        if (Selection == RankSelection.Fixed && Rank is null && NodeRanks.Count == 0)
        {
            throw new InputException("fixed ranks need --rank R or --rank NODE=R");
        }
        if (Calibration is not null && Selection != RankSelection.ParamsFraction)
        {
            throw new InputException($"--calibration {Calibration.Text}: only used with --params (it measures each layer's output error to spread the ranks)");
        }
        if (Rank is < 1)
        {
            throw new InputException($"--rank must be at least 1, got {Rank}");
        }
        foreach (var (node, rank) in NodeRanks)
        {
            if (rank < 1)
            {
                throw new InputException($"--rank {node}={rank}: a rank must be at least 1");
            }
        }
        if (RoundTo < 1)
        {
            throw new InputException($"--round-to must be at least 1, got {RoundTo}");
        }
        if (!(MinSaving >= 0 && MinSaving < 1))
        {
            throw new InputException($"--min-saving must be in [0, 1), got {Format(MinSaving)}");
        }
        if (HooiIterations < 0 || CpMaxIterations < 1 || !(CpTolerance > 0))
        {
            throw new InputException("HOOI iterations must be >= 0, CP iterations >= 1 and the CP tolerance > 0");
        }
    }

    /// <summary>The settings as text for the pass record.</summary>
    public Dictionary<string, string> Describe()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["selection"] = Selection.ToString(),
            ["method"] = Method.ToString(),
            ["round_to"] = RoundTo.ToString(CultureInfo.InvariantCulture),
            ["min_saving"] = Format(MinSaving),
        };
        switch (Selection)
        {
            case RankSelection.Energy:
                d["energy"] = Format(Energy);
                break;
            case RankSelection.ParamsFraction:
                d["params_fraction"] = Format(ParamsFraction);
                if (Calibration is not null)
                {
                    d["calibration"] = Calibration.Text;
                }
                break;
            case RankSelection.Fixed:
                d["rank"] = Rank?.ToString(CultureInfo.InvariantCulture) ?? "";
                d["node_ranks"] = string.Join(",", NodeRanks.Select(kv => $"{kv.Key}={kv.Value}"));
                break;
        }
        if (Exclude.Count > 0)
        {
            d["exclude"] = string.Join(",", Exclude);
        }
        return d;
    }

    private static string Format(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}
