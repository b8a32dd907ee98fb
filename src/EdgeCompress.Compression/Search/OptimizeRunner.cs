using EdgeCompress.Manifest;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// The per-profile search: builds every candidate recipe from the baseline, measures each, keeps them all, marks the
/// Pareto set and picks the variant within the budget whose smaller gain (speed-up or size reduction) is largest. The manifest is rewritten after every candidate, so
/// an interrupted or time-limited run leaves a usable folder, and a rerun resumes where it stopped.
/// </summary>
public sealed class OptimizeRunner
{
    private readonly PassRegistry _passes;
    private readonly IVariantMeasurer _measurer;
    private readonly TimeProvider _time;

    /// <summary>Creates a runner over the passes this build has and a way to measure variants.</summary>
    public OptimizeRunner(PassRegistry passes, IVariantMeasurer measurer, TimeProvider? time = null)
    {
        _passes = passes;
        _measurer = measurer;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Runs the search; see the class remarks. Returns how it ended (ChosenId null: nothing met the budget).</summary>
    public async Task<OptimizeOutcome> RunAsync(OptimizeOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = _time.GetTimestamp();
        var run = Open(options, progress);
        await MeasureBaselineAsync(run, cancellationToken).ConfigureAwait(false);
        var source = run.Source;
        var matMulHeavy = !source.Graph.Nodes.Any(n => n.OpType is "Conv" or "ConvTranspose")
            && source.Graph.Nodes.Any(n => n.OpType is "MatMul" or "Gemm" or "LSTM" or "GRU");
        IReadOnlyList<Recipe> recipes = [.. (options.Recipes ?? CandidateGrid.For(options.Profile, matMulHeavy, options.FineTuneSpec is not null))
            .Select(r => r.ForProfile(options.Profile))];
        var context = new PassContext(run.BaselinePath, options.CalibrationSpec ?? options.DataSpec, options.FineTuneSpec, options.Preprocess);
        run.Manifest.Preprocess = context.Spec(options.DataSpec).PreprocessFor(ModelInputs.Of(source))?.ToJson();
        for (var index = 0; index < recipes.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var recipe = recipes[index];
            if (Done(run, recipe))
            {
                continue;
            }
            run.Manifest.Skipped.RemoveAll(s => s.Id == recipe.Id);
            var elapsed = _time.GetElapsedTime(started);
            if (NotTried(run, recipe, recipes, elapsed) is { } reason)
            {
                run.Manifest.Skipped.Add(new ManifestSkip { Id = recipe.Id, Reason = reason });
                continue;
            }
            progress?.Report($"[{index + 1}/{recipes.Count}] {recipe.Id} (best so far: {run.Manifest.Chosen ?? "none"}, {FormatLeft(options.TimeBudget - elapsed)} left)");
            await TryAsync(run, recipe, recipes, context, cancellationToken).ConfigureAwait(false);
            Select(run.Manifest, options);
            ManifestFile.Save(run.Manifest, run.ManifestPath);
        }
        Select(run.Manifest, options);
        ManifestFile.Save(run.Manifest, run.ManifestPath);
        WriteChosen(run.Manifest, run.OutDir);
        return new OptimizeOutcome(run.ManifestPath, run.Manifest.Chosen, run.Manifest.Variants.Count, run.Manifest.Skipped.Count);
    }

    /// <summary>One search's state: the model as loaded and sized, its folder and manifest.</summary>
    private sealed record Run(OptimizeOptions Options, OnnxModel Source, EdgeCompress.Onnx.Protos.ModelProto Declared, InputShapeOverride Shapes, string OutDir, bool NewFolder,
        OptimizeManifest Manifest, IProgress<string>? Progress)
    {
        public string ManifestPath => Path.Combine(OutDir, ManifestFile.FileName);

        public string BaselinePath => Path.Combine(OutDir, "baseline.onnx");

        public string FileOf(Recipe recipe) => Path.Combine(OutDir, "variants", recipe.Id + ".onnx");
    }

    /// <summary>Loads and sizes the model first (a bad --input-shape is refused before any folder is made), then opens
    /// the folder: a new manifest, or the one a rerun resumes.</summary>
    private static Run Open(OptimizeOptions options, IProgress<string>? progress)
    {
        var source = OnnxModel.Load(options.ModelPath);
        var declared = source.Proto.Clone();
        var shapes = InputShapeOverride.Apply(source, options.InputShapes);
        var outDir = Path.GetFullPath(options.OutputDirectory);
        var newFolder = !Directory.Exists(outDir);
        Directory.CreateDirectory(Path.Combine(outDir, "variants"));
        var baselineSha = ManifestFile.Sha256Of(options.ModelPath);
        var manifest = Resume(Path.Combine(outDir, ManifestFile.FileName), baselineSha, options, progress) ?? NewManifest(options, baselineSha);
        return new Run(options, source, declared, shapes, outDir, newFolder, manifest, progress);
    }

    /// <summary>Measures the baseline unless a resumed manifest has it; a new folder is removed when that fails.</summary>
    private async Task MeasureBaselineAsync(Run run, CancellationToken cancellationToken)
    {
        var manifest = run.Manifest;
        if (manifest.Variants.Any(v => v.Id == manifest.Baseline) && File.Exists(run.BaselinePath))
        {
            return;
        }
        new OnnxModel(run.Declared).Save(run.BaselinePath);
        manifest.Variants.RemoveAll(v => v.Id == manifest.Baseline);
        run.Progress?.Report("measuring the baseline");
        VariantMeasurement m;
        try
        {
            m = await _measurer.MeasureAsync(run.BaselinePath, run.BaselinePath, run.Progress, cancellationToken).ConfigureAwait(false);
        }
        catch when (run.NewFolder)
        {
            // Nothing can be compared without the baseline: leave no half-made folder behind.
            Directory.Delete(run.OutDir, recursive: true);
            throw;
        }
        manifest.Variants.Insert(0, ToVariant(manifest.Baseline, run.BaselinePath, run.OutDir, [], m, "the input model, unchanged", run.Options.InputShapes));
        Select(manifest, run.Options);
        ManifestFile.Save(manifest, run.ManifestPath);
    }

    /// <summary>True when an earlier run measured this recipe and its file is still there.</summary>
    private static bool Done(Run run, Recipe recipe) => run.Manifest.Variants.Any(v => v.Id == recipe.Id) && File.Exists(run.FileOf(recipe));

    /// <summary>Why a recipe is not tried now (time budget spent, a pass this build lacks, a failed first part), or null.</summary>
    private string? NotTried(Run run, Recipe recipe, IReadOnlyList<Recipe> recipes, TimeSpan elapsed)
    {
        if (elapsed >= run.Options.TimeBudget)
        {
            return $"time budget {run.Options.TimeBudget:g} spent; rerun with the same --out to resume";
        }
        if (recipe.Steps.FirstOrDefault(s => !_passes.Has(s.Pass)) is { } missing)
        {
            return $"pass '{missing.Pass}' is not available in this build";
        }
        // prune-0.3+int8 would redo prune-0.3's failing step first: record it once, do not pay for it twice.
        return FailedPrefix(recipe, recipes, run.Manifest) is { } failed
            ? $"not tried: its first step{(failed.Steps.Count > 1 ? "s" : "")} {failed.Id} failed"
            : null;
    }

    /// <summary>Builds and measures one recipe's variant. Its failure (a pass that cannot apply, a fine-tune that
    /// diverged, a measurement ONNX Runtime refused, or a bug) is recorded with its reason and the search goes on.</summary>
    private async Task TryAsync(Run run, Recipe recipe, IReadOnlyList<Recipe> recipes, PassContext context, CancellationToken cancellationToken)
    {
        var (manifest, progress, file) = (run.Manifest, run.Progress, run.FileOf(recipe));
        try
        {
            var (passes, sensitivity) = Build(run, recipe, recipes, context, cancellationToken);
            if (IdenticalTo(file, run.OutDir, manifest) is { } twin)
            {
                // Two recipes that write the same bytes (a prune ratio rounded to the same channels, a pass with
                // nothing to do) are one variant, not two rows that look like a choice.
                File.Delete(file);
                manifest.Skipped.Add(new ManifestSkip { Id = recipe.Id, Reason = $"identical to {twin} (same file bytes)" });
                progress?.Report($"{recipe.Id}: dropped, its file is identical to {twin}'s");
                return;
            }
            var m = await _measurer.MeasureAsync(file, run.BaselinePath, progress, cancellationToken).ConfigureAwait(false);
            manifest.Variants.RemoveAll(v => v.Id == recipe.Id);
            var variant = ToVariant(recipe.Id, file, run.OutDir, passes, m, recipe.Why, run.Options.InputShapes);
            variant.Recipe = RecipeFile.ToJson(recipe);
            variant.Sensitivity = sensitivity.Count > 0 ? sensitivity.OrderByDescending(x => x.Value).ToList() : null;
            manifest.Variants.Add(variant);
        }
        catch (OperationCanceledException)
        {
            ManifestFile.Save(manifest, run.ManifestPath);
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            File.Delete(file);
            var reason = FailureReason(e);
            manifest.Skipped.Add(new ManifestSkip { Id = recipe.Id, Reason = $"failed: {reason}" });
            progress?.Report($"{recipe.Id}: failed ({reason}); going on");
        }
    }

    /// <summary>Runs a recipe's passes (from the longest kept prefix's file when there is one) and writes its file;
    /// returns the passes for the manifest and any per-layer int8 sensitivity they measured.</summary>
    private (List<ManifestPass> Passes, List<ManifestLayerSensitivity> Sensitivity) Build(Run run, Recipe recipe, IReadOnlyList<Recipe> recipes,
        PassContext context, CancellationToken cancellationToken)
    {
        var model = new OnnxModel(run.Source.Proto.Clone());
        var passes = new List<ManifestPass>();
        var reused = LongestDonePrefix(recipe, recipes, run.Manifest, run.OutDir);
        if (reused is { } prefix)
        {
            // prune-0.3+int8 starts from prune-0.3's file: the fine-tuning it cost is not paid twice.
            model = OnnxModel.Load(Path.Combine(run.OutDir, prefix.Variant.File));
            InputShapeOverride.Apply(model, run.Options.InputShapes);
            passes.AddRange(prefix.Variant.Passes);
            run.Progress?.Report($"{recipe.Id}: starting from {prefix.Variant.Id}");
        }
        var sensitivity = new List<ManifestLayerSensitivity>();
        foreach (var step in recipe.Steps.Skip(reused?.Steps ?? 0))
        {
            var result = _passes.Create(step, context).Apply(model, run.Progress, cancellationToken);
            model = result.Model;
            sensitivity.AddRange(result.Record.Layers
                .Where(l => l.Metrics?.ContainsKey(DefaultPasses.SensitivityMetric) == true)
                .Select(l => new ManifestLayerSensitivity { Node = l.Node, Metric = "relative output error when only this layer is int8", Value = l.Metrics![DefaultPasses.SensitivityMetric] }));
            passes.Add(new ManifestPass { Pass = step.Pass, Settings = new(result.Record.Settings.Count > 0 ? result.Record.Settings : PassRegistry.SettingsText(step)) });
        }
        run.Shapes.Restore(model);
        // Resolved once per search (manifest.Preprocess): parsing an image folder's spec lists the folder.
        ModelMetadata.Record(model, run.Manifest.Preprocess);
        model.Save(run.FileOf(recipe));
        return (passes, sensitivity);
    }

    /// <summary>Makes DIR/chosen.onnx a copy of the manifest's chosen variant (removed when none is chosen).</summary>
    public static void WriteChosen(OptimizeManifest manifest, string outDir)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var chosenPath = Path.Combine(outDir, "chosen.onnx");
        File.Delete(chosenPath);
        if (manifest.Chosen is not null)
        {
            File.Copy(Path.Combine(outDir, manifest.Variants.First(v => v.Id == manifest.Chosen).File), chosenPath);
        }
    }

    /// <summary>One line for the manifest: the message's first line; a fault that is not an input or pass error also names its type.</summary>
    public static string FailureReason(Exception e)
    {
        var first = e.Message.Split('\n', 2)[0].Trim();
        return e is InputException or InvalidOperationException or EdgeCompress.Runtime.ModelRunException
            or NotSupportedException or IOException or Passes.WorkFailedException
            ? first
            : $"{e.GetType().Name}: {first}";
    }

    private static string? IdenticalTo(string file, string outDir, OptimizeManifest manifest)
    {
        var sha = ManifestFile.Sha256Of(file);
        return manifest.Variants.FirstOrDefault(v => v.Sha256 == sha && File.Exists(Path.Combine(outDir, v.File)))?.Id;
    }

    private static OptimizeManifest? Resume(string manifestPath, string baselineSha, OptimizeOptions options, IProgress<string>? progress)
    {
        if (!File.Exists(manifestPath))
        {
            return null;
        }
        var old = ManifestFile.Load(manifestPath);
        if (old.BaselineSha256 != baselineSha || old.Profile != options.Profile.Id || old.Data != options.DataSpec)
        {
            throw new InputException(
                $"{options.OutputDirectory}: holds a search for another model, profile or data; choose an empty --out folder");
        }
        // Keep only variants whose files are still there and unchanged.
        old.Variants.RemoveAll(v => !File.Exists(Path.Combine(Path.GetDirectoryName(manifestPath)!, v.File))
            || ManifestFile.Sha256Of(Path.Combine(Path.GetDirectoryName(manifestPath)!, v.File)) != v.Sha256);
        progress?.Report($"resuming: {old.Variants.Count} variants already measured");
        return old;
    }

    private static OptimizeManifest NewManifest(OptimizeOptions o, string sha) => new()
    {
        CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        Tool = o.Tool,
        Profile = o.Profile.Id,
        Data = o.DataSpec,
        BaselineSha256 = sha,
    };

    private static ManifestVariant ToVariant(string id, string file, string outDir, List<ManifestPass> passes, VariantMeasurement m, string why,
        IReadOnlyDictionary<string, long[]> inputShapes)
    {
        var model = OnnxModel.Load(file);
        InputShapeOverride.Apply(model, inputShapes);
        return new ManifestVariant
        {
            Id = id,
            File = Path.GetRelativePath(outDir, file),
            Sha256 = ManifestFile.Sha256Of(file),
            SizeBytes = new FileInfo(file).Length,
            Parameters = model.Graph.Initializers.Values.Sum(TensorData.ElementCount),
            Macs = CostModelEstimator.MacsPerSample(model),
            Passes = passes,
            AccuracyPercent = m.AccuracyPercent,
            MetricValue = m.Metric,
            FidelityCosine = m.FidelityCosine,
            Outputs = m.Outputs?.ToList(),
            EnergyPerInferenceMillijoules = m.EnergyPerInferenceMillijoules,
            Why = why,
            Notes = m.Notes?.ToList() ?? [],
            Latency = new ManifestLatency
            {
                Source = m.LatencySource,
                Where = m.LatencyWhere,
                P50Ms = m.P50Ms,
                P90Ms = m.P90Ms,
                P99Ms = m.P99Ms,
                SamplesMs = m.SamplesMs?.ToList(),
                SpeedupVsBaseline = m.SpeedupVsBaseline,
            },
        };
    }

    /// <summary>The kept variant whose recipe is the longest proper prefix of <paramref name="recipe"/>'s steps.</summary>
    private static (ManifestVariant Variant, int Steps)? LongestDonePrefix(Recipe recipe, IReadOnlyList<Recipe> recipes, OptimizeManifest manifest, string outDir)
    {
        (ManifestVariant, int)? best = null;
        foreach (var other in recipes)
        {
            var n = other.Steps.Count;
            if (n >= recipe.Steps.Count || n <= (best?.Item2 ?? 0) || !other.Steps.SequenceEqual(recipe.Steps.Take(n), StepComparer.Instance))
            {
                continue;
            }
            var variant = manifest.Variants.FirstOrDefault(v => v.Id == other.Id);
            if (variant is not null && File.Exists(Path.Combine(outDir, variant.File)))
            {
                best = (variant, n);
            }
        }
        return best;
    }

    /// <summary>A proper prefix of <paramref name="recipe"/> that failed in this run or an earlier one.</summary>
    private static Recipe? FailedPrefix(Recipe recipe, IReadOnlyList<Recipe> recipes, OptimizeManifest manifest) =>
        recipes.FirstOrDefault(other => other.Steps.Count < recipe.Steps.Count
            && other.Steps.SequenceEqual(recipe.Steps.Take(other.Steps.Count), StepComparer.Instance)
            && manifest.Skipped.Any(s => s.Id == other.Id && s.Reason.StartsWith("failed: ", StringComparison.Ordinal)));

    private sealed class StepComparer : IEqualityComparer<PassStep>
    {
        public static readonly StepComparer Instance = new();

        public bool Equals(PassStep? x, PassStep? y) => x is not null && y is not null && PassRegistry.Same(x, y);

        public int GetHashCode(PassStep obj) => obj.Pass.GetHashCode(StringComparison.Ordinal);
    }

    private static string FormatLeft(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:F0} min" : $"{Math.Max(0, t.TotalSeconds):F0} s";

    /// <summary>Balanced gains within this fraction of the best one are a tie, won by the faster variant.</summary>
    public const double GainTieFraction = 0.05;

    /// <summary>
    /// Marks budget compliance and the Pareto set, and picks, within the budget, the variant whose smaller gain over
    /// the baseline (speed-up or size reduction) is largest; near-ties (<see cref="GainTieFraction"/>) go to the
    /// faster one. Without a baseline latency: the fastest.
    /// </summary>
    public static void Select(OptimizeManifest manifest, OptimizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(options);
        var budgets = options.Profile.Budgets;
        var maxDrop = options.MaxAccuracyDropPoints ?? budgets.MaxAccuracyDropPoints;
        manifest.Budget = new ManifestBudget { MaxAccuracyDropPoints = maxDrop, MaxModelMb = budgets.MaxModelMb, TargetLatencyMs = budgets.TargetLatencyMs };
        var baseline = manifest.Variants.FirstOrDefault(v => v.Id == manifest.Baseline);
        var metric = options.Metric;
        manifest.Metric = metric?.Template;
        manifest.MetricHigherIsBetter = metric?.HigherIsBetter;
        var byMetric = metric is not null && baseline?.MetricValue is not null;
        double Score(ManifestVariant v) => byMetric && v.MetricValue is { } mv ? (metric!.HigherIsBetter ? mv : -mv)
            : v.AccuracyPercent ?? (100.0 * (v.FidelityCosine ?? 0));
        // Without labels the guard judges every output by its own measure, the worst one deciding: decisions (a
        // score's threshold, argmax) may disagree on at most maxDrop percent of samples.
        var limits = options.GuardLimits with { MaxDisagreementPoints = maxDrop };
        foreach (var v in manifest.Variants)
        {
            // With labels accuracy decides (the per-output figures are still recorded); without, the worst output.
            var labelled = v.AccuracyPercent is not null && baseline?.AccuracyPercent is not null;
            v.GuardFailure = v.Id == manifest.Baseline ? null
                : byMetric ? MetricFailure(metric!, baseline!.MetricValue!.Value, v.MetricValue, maxDrop)
                : labelled ? (baseline!.AccuracyPercent - v.AccuracyPercent > maxDrop + 1e-9
                    ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"top-1 {baseline.AccuracyPercent:F2}% -> {v.AccuracyPercent:F2}%: {baseline.AccuracyPercent - v.AccuracyPercent:F2} pt lost, more than the {maxDrop:G4} pt allowed")
                    : null)
                : v.Outputs is { Count: > 0 } outs ? Evaluation.OutputGuard.Failure(outs, limits) : null;
            var accuracyOk = baseline is null || (byMetric || labelled || v.Outputs is { Count: > 0 } ? v.GuardFailure is null : (v.FidelityCosine ?? 0) >= 0.99);
            // Never chosen when measured slower than the baseline (a board's int8 kernels can lose to float): smaller
            // is no reason to ship a slower model. Estimates are not held to this; they are labelled as estimates.
            var speedup = baseline is null || v.Id == manifest.Baseline || v.Latency?.Source != "measured" ? null : v.SpeedupOver(baseline);
            v.NotChosenBecause = speedup < 1
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"measured {speedup:F2}x: slower than the baseline ({v.Latency!.Where})")
                : null;
            v.MeetsBudget = accuracyOk
                && v.SizeBytes <= budgets.MaxModelMb * 1024 * 1024
                && (v.Latency is null || v.Latency.P50Ms <= budgets.TargetLatencyMs);
        }
        // Latency compared through the same-run speed-up where there is one: the baseline's median over it.
        double Effective(ManifestVariant v) => baseline?.Latency is { P50Ms: > 0 } bl && v.SpeedupOver(baseline) is { } s ? bl.P50Ms / s : v.Latency!.P50Ms;
        var points = manifest.Variants.Where(v => v.Latency is not null)
            .Select(v => new TradeoffPoint(v.Id, Score(v), Effective(v), v.SizeBytes)).ToList();
        var front = ParetoFront.Of(points);
        foreach (var v in manifest.Variants)
        {
            v.Pareto = front.Contains(v.Id);
        }
        // Balanced: the variant whose smaller gain over the baseline (speed-up or size reduction) is largest, so
        // neither is traded away for a few percent of the other (a pruned model and its int8 copy run about as fast
        // on hosts without VNNI but are 4x apart in size). Gains within GainTieFraction are a tie, won by the faster.
        var inBudget = manifest.Variants.Where(v => v.MeetsBudget && v.NotChosenBecause is null && v.Latency is not null).ToList();
        double Gain(ManifestVariant v) => baseline?.Latency is { P50Ms: > 0 } bl && baseline.SizeBytes > 0 && v.SizeBytes > 0
            ? Math.Min(bl.P50Ms / Effective(v), (double)baseline.SizeBytes / v.SizeBytes)
            : 1 / Effective(v);
        var top = inBudget.Count == 0 ? 0 : inBudget.Max(Gain);
        var best = inBudget.Where(v => Gain(v) >= top * (1 - GainTieFraction)).OrderBy(Effective).ThenBy(v => v.SizeBytes).FirstOrDefault();
        manifest.Chosen = best?.Id;
        manifest.ChosenReason = best is null
            ? $"no variant met the budget (accuracy drop <= {maxDrop} points, size <= {budgets.MaxModelMb} MiB, p50 <= {budgets.TargetLatencyMs} ms)"
            : $"best balance within the budget (largest smaller gain of speed-up and size reduction; within {GainTieFraction * 100:0}%, the faster): p50 {best.Latency!.P50Ms:F3} ms ({best.Latency.Source}), "
              + (byMetric && best.MetricValue is { } bm ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{metric!.Name} {bm:G6} (baseline {baseline!.MetricValue:G6}), ") : "")
              + (best.AccuracyPercent is { } a && baseline?.AccuracyPercent is { } b ? $"accuracy {a:F2}% ({a - b:+0.00;-0.00} points), " : "")
              + $"{best.SizeBytes / 1024.0:F0} KiB"
              + (baseline is not null && best.Id != baseline.Id ? $", {(double)baseline.SizeBytes / best.SizeBytes:F1}x smaller and {best.SpeedupOver(baseline):F2}x faster than the baseline"
                + (best.Latency.SpeedupVsBaseline is null ? "" : " (timed interleaved with it)") : "");
    }

    private static string? MetricFailure(Evaluation.MetricCommand metric, double baseline, double? value, double maxDrop)
    {
        if (value is not { } v)
        {
            return $"{metric.Name} was not measured on this variant";
        }
        var drop = metric.Drop(baseline, v);
        return drop > maxDrop + 1e-12
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{metric.Name} {baseline:G6} -> {v:G6}: worse by {drop:G4}, more than the {maxDrop:G4} allowed")
            : null;
    }
}
