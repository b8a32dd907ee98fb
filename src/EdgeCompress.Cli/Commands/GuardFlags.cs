using System.CommandLine;
using System.Globalization;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Data;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// The quality guard's flags, shared by every verb that judges a compressed model (quantize, prune, factorize,
/// optimize): budgets in each measure's own units, the decision threshold of score outputs, and the user's own
/// metric command. Setting any budget makes a failing guard fail the command (exit 1, nothing written); without one
/// the guard is still measured and printed, and a failure is a warning.
/// </summary>
internal sealed class GuardFlags
{
    private static readonly GuardLimits Defaults = new();

    /// <param name="maxDropAliases">Older names of --max-drop kept working (quantize's --accuracy-budget).</param>
    public GuardFlags(params string[] maxDropAliases)
    {
        MaxDrop = new Option<double?>("--max-drop", maxDropAliases)
        {
            Description = "budget: largest drop in top-1 points (labelled data), in decision agreement points (unlabelled), or in the --metric-command's units",
        };
    }

    public Option<double?> MaxDrop { get; }

    public Option<double?> MinSqnr { get; } = new("--min-sqnr")
    {
        Description = string.Create(CultureInfo.InvariantCulture, $"budget: dense outputs (masks, feature maps, boxes) keep at least this SQNR in dB (default {Defaults.MinSqnrDb})"),
    };

    public Option<double?> MaxScoreDiff { get; } = new("--max-score-diff")
    {
        Description = string.Create(CultureInfo.InvariantCulture, $"budget: scores and probabilities move by at most this much (default {Defaults.MaxScoreDifference})"),
    };

    public Option<double> Threshold { get; } = new("--threshold")
    {
        Description = "decision threshold of a score output (one sigmoid value per sample)",
        DefaultValueFactory = _ => 0.5,
    };

    public Option<string?> MetricCommand { get; } = new("--metric-command")
    {
        Description = "your own evaluator: \"CMD {model} {data}\" printing a JSON number (mAP, WER...); it then decides pass or fail",
    };

    public Option<bool> MetricHigherIsBetter { get; } = new("--metric-higher-is-better")
    {
        Description = "the metric command's number is better when higher (--metric-higher-is-better false for error rates such as WER)",
        DefaultValueFactory = _ => true,
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { MaxDrop, MinSqnr, MaxScoreDiff, Threshold, MetricCommand, MetricHigherIsBetter })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The guard settings the flags give; a usage error for values no guard can use.</summary>
    public QualitySettings Settings(ParseResult parse, int? maxRows = null)
    {
        var maxDrop = parse.GetValue(MaxDrop);
        var sqnr = parse.GetValue(MinSqnr);
        var scoreDiff = parse.GetValue(MaxScoreDiff);
        var threshold = parse.GetValue(Threshold);
        if (maxDrop is { } d && !(d >= 0))
        {
            throw new UsageException($"--max-drop {Text(d)}: must be 0 or more");
        }
        if (scoreDiff is { } s && !(s >= 0))
        {
            throw new UsageException($"--max-score-diff {Text(s)}: must be 0 or more");
        }
        if (sqnr is { } q && double.IsNaN(q))
        {
            throw new UsageException("--min-sqnr: not a number");
        }
        if (!(threshold > 0 && threshold < 1))
        {
            throw new UsageException($"--threshold {Text(threshold)}: must lie between 0 and 1");
        }
        MetricCommand? metric = null;
        if (parse.GetValue(MetricCommand) is { } template)
        {
            try
            {
                metric = new MetricCommand(template, parse.GetValue(MetricHigherIsBetter));
            }
            catch (DataException e)
            {
                throw new UsageException(e.Message, e);
            }
        }
        var limits = Defaults with
        {
            MinSqnrDb = sqnr ?? Defaults.MinSqnrDb,
            MaxScoreDifference = scoreDiff ?? Defaults.MaxScoreDifference,
        };
        return new QualitySettings
        {
            Limits = limits,
            Threshold = threshold,
            MaxDrop = maxDrop,
            Metric = metric,
            MaxRows = maxRows,
            Enforced = maxDrop is not null || sqnr is not null || scoreDiff is not null,
        };
    }

    private static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);
}
