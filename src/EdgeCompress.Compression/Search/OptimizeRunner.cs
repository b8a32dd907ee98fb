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
public sealed partial class OptimizeRunner
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
}
